from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from comments import services
from comments.models import Comment, Report
from tests.factories import ArticleFactory, CommentFactory, VerifiedCommentFactory

pytestmark = pytest.mark.django_db


def post(article, **fields):
    fields.setdefault("body", "Bravo Congreso de Peru!")
    fields.setdefault("author_name", "Rosa Elena")
    fields.setdefault("author_email", "rosa@example.org")
    fields.setdefault("ip_address", "192.0.2.10")
    return services.comment_post(article=article, **fields)


def test_first_comment_is_held_and_its_author_gets_a_private_link(
    django_capture_on_commit_callbacks,
):
    article = ArticleFactory(title="Peru Takes the Lead")
    with django_capture_on_commit_callbacks(execute=True):
        comment = post(article, email_verified=True)
    comment.refresh_from_db()
    assert comment.status == Comment.Status.PENDING
    assert comment.path == f"{comment.pk:010d}"
    assert article.comment_count == 0
    receipt = mail.outbox[0]
    assert receipt.to == ["rosa@example.org"]
    assert "awaiting moderation" in receipt.subject
    assert "/comments/manage/" in receipt.body and "Bravo Congreso de Peru!" in receipt.body


def test_approved_comment_updates_the_article_count():
    article = ArticleFactory()
    VerifiedCommentFactory(
        article=article, author_name="Rosa Elena", author_email="rosa@example.org"
    )
    services.comment_recount(article_ids=[article.pk])
    post(article, email_verified=True)
    article.refresh_from_db()
    assert article.comment_count == 2


def test_closed_article_rejects_comments():
    article = ArticleFactory(comments_open=False)
    with pytest.raises(services.CommentRejected, match="Comments are closed."):
        post(article)
    assert not Comment.objects.exists()


def test_comments_close_by_themselves_after_the_set_days(settings):
    settings.COMMENTS_CLOSE_AFTER_DAYS = 14
    old = ArticleFactory(publish_at=timezone.now() - timedelta(days=15))
    recent = ArticleFactory(publish_at=timezone.now() - timedelta(days=13))
    assert not services.comments_are_open(old)
    assert services.comments_are_open(recent)
    settings.COMMENTS_CLOSE_AFTER_DAYS = 0
    assert services.comments_are_open(old)


def test_rate_limit_per_address_holds_in_the_shared_cache(settings, time_machine):
    time_machine.move_to(timezone.now().replace(second=5), tick=False)
    settings.COMMENTS_RATE_PER_MINUTE = 2
    article = ArticleFactory()
    post(article, body="one", author_email="a@example.org")
    post(article, body="two", author_email="b@example.org")
    with pytest.raises(services.CommentRejected, match="several comments in the last minute"):
        post(article, body="three", author_email="c@example.org")
    post(article, body="four", author_email="d@example.org", ip_address="192.0.2.99")
    assert Comment.objects.count() == 3
    time_machine.shift(timedelta(minutes=1))
    post(article, body="five", author_email="e@example.org")
    assert Comment.objects.count() == 4


def test_flood_from_one_address_or_email_is_refused(settings):
    settings.COMMENTS_FLOOD_SECONDS = 15
    article = ArticleFactory()
    post(article, body="first")
    with pytest.raises(services.CommentRejected, match="too quickly"):
        post(article, body="second", ip_address="192.0.2.50")
    with pytest.raises(services.CommentRejected, match="too quickly"):
        post(article, body="third", author_email="other@example.org")


def test_identical_comment_is_refused():
    article = ArticleFactory()
    post(article)
    with pytest.raises(services.CommentRejected, match="already said that"):
        post(article, body="  bravo congreso de peru!  ")


def test_moderator_approval_tells_the_author_and_records_who(
    django_capture_on_commit_callbacks, django_user_model
):
    moderator = django_user_model.objects.create_user("mod", "mod@example.org", "x")
    comment = CommentFactory(status=Comment.Status.PENDING, author_email="rosa@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_moderate(comments=[comment], status=Comment.Status.APPROVED, by=moderator)
    comment.refresh_from_db()
    assert comment.moderated_by == moderator and comment.moderated_at is not None
    assert comment.article.__class__.objects.get(pk=comment.article_id).comment_count == 1
    assert mail.outbox[0].to == ["rosa@example.org"]
    assert "is published" in mail.outbox[0].subject
    assert comment.get_absolute_url() in mail.outbox[0].body


def test_reply_notification_is_opt_in_throttled_and_unsubscribable(
    django_capture_on_commit_callbacks, settings
):
    settings.COMMENTS_REPLY_EMAIL_MINUTES = 30
    article = ArticleFactory()
    parent = VerifiedCommentFactory(
        article=article, author_email="julio@example.org", notify_replies=True
    )
    quiet = VerifiedCommentFactory(article=article, author_email="quiet@example.org")
    VerifiedCommentFactory(
        article=article, author_name="Gustavo", author_email="gustavo@example.org"
    )
    reply = {
        "author_name": "Gustavo",
        "author_email": "gustavo@example.org",
        "email_verified": True,
    }
    with django_capture_on_commit_callbacks(execute=True):
        post(article, parent=parent, body="Same here.", **reply)
        post(article, parent=parent, body="Still slow.", **reply)
        post(article, parent=quiet, body="Hello?", **reply)
    replies = [m for m in mail.outbox if m.to == ["julio@example.org"]]
    assert len(replies) == 1
    assert "replied to your comment" in replies[0].subject
    assert "/comments/unsubscribe/" in replies[0].extra_headers["List-Unsubscribe"]
    assert not [m for m in mail.outbox if m.to == ["quiet@example.org"]]


def test_a_failing_mail_server_loses_no_comment(django_capture_on_commit_callbacks, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens there
    article = ArticleFactory()
    with django_capture_on_commit_callbacks(execute=True):
        comment = post(article)
    assert Comment.objects.filter(pk=comment.pk).exists()


def test_reports_reaching_the_threshold_send_a_comment_back_to_the_queue(settings):
    settings.COMMENTS_REPORTS_TO_HOLD = 3
    comment = CommentFactory()
    services.comment_recount(article_ids=[comment.article_id])
    assert services.comment_report(comment=comment, reporter="ip:1")
    assert not services.comment_report(comment=comment, reporter="ip:1")  # once per reader
    services.comment_report(comment=comment, reporter="ip:2")
    comment.refresh_from_db()
    assert comment.status == Comment.Status.APPROVED
    services.comment_report(comment=comment, reporter="user:7")
    comment.refresh_from_db()
    assert comment.status == Comment.Status.PENDING
    assert comment.status_reason == "Reported by 3 readers"
    assert Report.objects.filter(comment=comment).count() == 3
    comment.article.refresh_from_db()
    assert comment.article.comment_count == 0


def test_author_can_edit_and_withdraw_only_while_pending():
    pending = CommentFactory(status=Comment.Status.PENDING)
    services.comment_edit_by_author(comment=pending, body="Corrected <em>text</em>")
    pending.refresh_from_db()
    assert pending.body_html == "<p>Corrected <em>text</em></p>"
    approved = CommentFactory()
    with pytest.raises(services.CommentRejected):
        services.comment_edit_by_author(comment=approved, body="sneaky edit")
    with pytest.raises(services.CommentRejected):
        services.comment_withdraw(comment=approved)
    services.comment_withdraw(comment=pending)
    assert not Comment.objects.filter(pk=pending.pk).exists()


def test_moderators_are_told_at_most_once_per_period(django_capture_on_commit_callbacks, moderator):
    article = ArticleFactory()
    with django_capture_on_commit_callbacks(execute=True):
        post(article, author_email="a@example.org", body="one")
        post(article, author_email="b@example.org", body="two")
    digests = [m for m in mail.outbox if m.to == [moderator.email]]
    assert len(digests) == 1
    assert "waiting for moderation" in digests[0].subject
    assert "status__exact=pending" in digests[0].body
