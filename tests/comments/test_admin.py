import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from comments.models import Comment, CommenterRule, ModerationRules
from tests.factories import ArticleFactory, CommentFactory

pytestmark = pytest.mark.django_db

QUEUE = "/admin/comments/comment/"


def act_on_queue(client, action, comments, **query):
    """As a moderator does: open the queue, tick the comments, choose the action."""
    page = client.get(QUEUE, query).content.decode()
    seen = re.findall(r'<input type="hidden" name="seen" value="([0-9:]+)">', page)
    data = {"action": action, "_selected_action": [c.pk for c in comments], "seen": seen}
    return client.post(QUEUE, data, follow=True)


def test_queue_shows_reason_reports_and_how_long_the_oldest_waited(moderator_client):
    CommentFactory(
        status=Comment.Status.PENDING,
        body="Does anyone know whether other governments will follow?",
        status_reason="First comment from this email address",
        created_at=timezone.now() - timedelta(hours=3),
    )
    CommentFactory(status=Comment.Status.PENDING)
    page = moderator_client.get(QUEUE, {"status__exact": "pending"}).content.decode()
    assert "Does anyone know whether other governments will follow?" in page
    assert "First comment from this email address" in page
    assert "2 comments awaiting moderation" in page
    assert "the oldest has waited 3" in page and "hours" in page


def test_admin_index_shows_the_pending_count(moderator_client):
    CommentFactory(status=Comment.Status.PENDING)
    assert "1 comment awaiting moderation" in moderator_client.get("/admin/").content.decode()


def test_bulk_approve_publishes_tells_the_author_and_records_who(
    moderator_client, moderator, django_capture_on_commit_callbacks
):
    held = CommentFactory(status=Comment.Status.PENDING, author_email="rosa@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        response = act_on_queue(moderator_client, "approve", [held])
    assert "Approved 1 comment." in response.content.decode()
    held.refresh_from_db()
    assert held.status == Comment.Status.APPROVED and held.moderated_by == moderator
    held.article.refresh_from_db()
    assert held.article.comment_count == 1
    assert mail.outbox[0].to == ["rosa@example.org"]


@pytest.mark.parametrize(
    "action, status",
    [("mark_spam", Comment.Status.SPAM), ("remove", Comment.Status.REMOVED)],
)
def test_bulk_spam_and_remove(moderator_client, action, status):
    comments = CommentFactory.create_batch(2)
    moderator_client.post(QUEUE, {"action": action, "_selected_action": [c.pk for c in comments]})
    assert set(Comment.objects.values_list("status", flat=True)) == {status}


def test_changing_status_on_the_comment_page_goes_through_moderation(moderator_client, moderator):
    comment = CommentFactory(status=Comment.Status.PENDING, body="Held text")
    moderator_client.post(
        f"{QUEUE}{comment.pk}/change/",
        {
            "seen_version": "1",
            "body": "Held text, trimmed",
            "status": "approved",
            "is_featured": "on",
            "reports-TOTAL_FORMS": "0",
            "reports-INITIAL_FORMS": "0",
            "reports-MIN_NUM_FORMS": "0",
            "reports-MAX_NUM_FORMS": "1000",
        },
    )
    comment.refresh_from_db()
    assert comment.status == Comment.Status.APPROVED and comment.moderated_by == moderator
    assert comment.is_featured and comment.body_html == "<p>Held text, trimmed</p>"


def test_search_by_email_ip_and_text(moderator_client):
    CommentFactory(author_email="rosa@example.org", ip_address="198.51.100.8", body="Bravo")
    CommentFactory(body="Other")
    for query in ("rosa@example.org", "198.51.100.8", "Bravo"):
        page = moderator_client.get(QUEUE, {"q": query}).content.decode()
        assert "Bravo" in page and "Other" not in page


def test_moderators_may_moderate_and_edit_rules_but_nothing_else(moderator_client):
    assert moderator_client.get(QUEUE).status_code == 200
    rules = moderator_client.get("/admin/comments/moderationrules/", follow=True)
    assert rules.status_code == 200 and "Blocklist words" in rules.content.decode()
    assert moderator_client.get("/admin/comments/commenterrule/add/").status_code == 200
    assert moderator_client.get("/admin/articles/article/").status_code == 403
    assert moderator_client.get("/admin/auth/user/").status_code == 403


def test_moderation_rules_are_one_editable_row(moderator_client):
    rules = ModerationRules.current()
    moderator_client.post(
        f"/admin/comments/moderationrules/{rules.pk}/change/",
        {"blocklist_words": "cheap pills", "moderation_words": "", "max_links": "3"},
    )
    rules.refresh_from_db()
    assert rules.blocklist() == ["cheap pills"] and rules.max_links == 3
    assert not rules.require_previous_approval
    assert ModerationRules.objects.count() == 1


def test_commenter_rule_records_who_made_it(moderator_client, moderator):
    moderator_client.post(
        "/admin/comments/commenterrule/add/",
        {"email": " Troll@Example.org ", "action": "ban", "note": "Threats"},
    )
    rule = CommenterRule.objects.get()
    assert rule.email == "troll@example.org" and rule.created_by == moderator


@pytest.mark.parametrize("count", [1, 50])
def test_queue_has_a_fixed_query_budget(moderator_client, django_assert_num_queries, count):
    article = ArticleFactory()
    CommentFactory.create_batch(count, article=article, status=Comment.Status.PENDING)
    with django_assert_num_queries(11):
        response = moderator_client.get(QUEUE)
    assert response.status_code == 200
