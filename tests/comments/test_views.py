import re
from datetime import timedelta
from urllib.parse import urlsplit

import feedparser
import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from comments.models import Comment
from comments.tokens import manage_token, unsubscribe_token
from tests.factories import ArticleFactory, CommentFactory

pytestmark = pytest.mark.django_db


def text(response):
    return response.content.decode()


def post_url(article):
    return f"/comments/post/{article.pk}/"


def test_empty_form_shows_the_readers_messages_beside_the_fields(client, article, comment_data):
    response = client.post(
        post_url(article), comment_data(article, body="", author_name="", author_email="")
    )
    page = text(response)
    assert response.status_code == 400
    assert "Please enter your comment!" in page
    assert "Please enter your name here" in page
    assert "Please enter a valid email address" in page
    assert not Comment.objects.exists()


def test_what_the_reader_typed_is_kept(client, article, comment_data):
    response = client.post(
        post_url(article), comment_data(article, author_email="not-an-email", body="My point.")
    )
    page = text(response)
    assert "Please enter a valid email address" in page
    assert "My point." in page and 'value="Gustavo"' in page


def test_posting_redirects_to_the_comment_and_only_its_author_sees_it_held(
    client, article, comment_data
):
    response = client.post(post_url(article), comment_data(article))
    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{article.get_absolute_url()}#comment-{comment.pk}"
    own_view = text(client.get(article.get_absolute_url()))
    assert "Your comment is awaiting moderation." in own_view
    assert "A considered reply to the story." in own_view
    stranger = text(Client().get(article.get_absolute_url()))
    assert "A considered reply to the story." not in stranger


def test_approved_comments_show_name_link_date_permalink_and_reply(client, article):
    comment = CommentFactory(
        article=article,
        author_name="Marcos",
        author_url="https://marcos.example.org/",
        author_email="secret@example.org",
        ip_address="203.0.113.99",
        body="Some pragmatism is needed sometimes…",
    )
    page = text(client.get(article.get_absolute_url()))
    assert '<a href="https://marcos.example.org/" rel="nofollow ugc">Marcos</a>' in page
    assert f'id="comment-{comment.pk}"' in page and f'href="#comment-{comment.pk}"' in page
    assert f'href="?replytocom={comment.pk}#respond"' in page
    assert "Some pragmatism is needed sometimes…" in page
    assert "secret@example.org" not in page and "203.0.113.99" not in page


def test_replies_nest_under_their_parent(client, article):
    parent = CommentFactory(article=article, body="Is anyone having trouble making calls?")
    CommentFactory(article=article, parent=parent, body="From where I sit, it is slow.")
    page = text(client.get(article.get_absolute_url()))
    nested = re.search(
        r'<li id="li-comment-\d+">.*?trouble making calls.*?<ol class="children">\s*'
        r'<li id="li-comment-\d+">.*?From where I sit',
        page,
        re.DOTALL,
    )
    assert nested


def test_reply_link_works_without_javascript(client, article):
    parent = CommentFactory(article=article, author_name="Julio")
    page = text(client.get(article.get_absolute_url(), {"replytocom": parent.pk}))
    assert "Reply to Julio" in page
    assert f'name="parent" value="{parent.pk}"' in page


def test_reply_is_posted_under_its_parent(client, article, comment_data):
    parent = CommentFactory(article=article)
    client.post(post_url(article), comment_data(article, parent=parent.pk))
    reply = Comment.objects.get(parent=parent)
    assert reply.path.startswith(parent.path + "/")


def test_comment_count_in_header_and_lists(client, article):
    CommentFactory.create_batch(2, article=article)
    from comments.services import comment_recount

    comment_recount(article_ids=[article.pk])
    assert "2 comments" in text(client.get(article.get_absolute_url()))
    assert "2 comments" in text(client.get("/"))


def test_closed_article_says_so_and_refuses_posts(client, comment_data):
    article = ArticleFactory(comments_open=False)
    page = text(client.get(article.get_absolute_url()))
    assert "Comments are closed." in page and "Leave a comment" not in page
    response = client.post(post_url(article), comment_data(article))
    assert "Comments are closed." in text(response)
    assert not Comment.objects.exists()


def test_removed_comment_with_replies_leaves_a_placeholder(client, article):
    removed = CommentFactory(article=article, body="Offensive", status=Comment.Status.REMOVED)
    CommentFactory(article=article, parent=removed, body="A reply worth keeping")
    page = text(client.get(article.get_absolute_url()))
    assert "This comment was removed." in page and "Offensive" not in page
    assert "A reply worth keeping" in page


def test_featured_and_staff_comments_carry_badges(client, article):
    CommentFactory(article=article, body="The best answer", is_featured=True)
    CommentFactory(article=article, body="From the newsroom", is_staff=True)
    page = text(client.get(article.get_absolute_url()))
    assert "Featured comments" in page
    assert page.index("Featured comments") < page.index("The best answer")
    assert '<span class="badge">Staff</span>' in page


def test_honeypot_turns_robots_away_with_a_message(client, article, comment_data):
    response = client.post(post_url(article), comment_data(article, phone="555-0100"))
    assert "looks automated" in text(response)
    assert not Comment.objects.exists()


def test_forms_filled_too_fast_or_too_late_are_refused_with_a_message(
    client, article, comment_data, settings, time_machine
):
    time_machine.move_to(timezone.now(), tick=False)
    settings.COMMENTS_FORM_MIN_SECONDS = 3
    data = comment_data(article)
    assert "That was quick!" in text(client.post(post_url(article), data))
    time_machine.shift(timedelta(days=2, minutes=1))
    assert "more than two days old" in text(client.post(post_url(article), data))
    assert not Comment.objects.exists()


def test_a_forged_timestamp_is_refused(client, article, comment_data):
    response = client.post(post_url(article), comment_data(article, issued="forged"))
    assert "not recognized" in text(response)


def test_save_my_name_fills_the_next_form(client, article, comment_data):
    client.post(post_url(article), comment_data(article, remember="on"))
    page = text(client.get(article.get_absolute_url()))
    assert 'value="Gustavo"' in page and 'value="gustavo@example.org"' in page


def test_signed_in_reader_comments_under_their_account(client, article, django_user_model):
    user = django_user_model.objects.create_user(
        "ana", "ana@example.org", "x", first_name="Ana", last_name="Rivas"
    )
    client.force_login(user)
    page = text(client.get(article.get_absolute_url()))
    assert 'name="author_email"' not in page and "Commenting as ana." in page
    data = {
        "body": "From my account.",
        "issued": re.search(r'name="issued" value="([^"]+)"', page)[1],
    }
    client.post(post_url(article), data)
    comment = Comment.objects.get()
    assert (comment.user, comment.author_name, comment.author_email) == (
        user,
        "Ana Rivas",
        "ana@example.org",
    )


def test_reader_reports_a_comment(client, article, settings):
    settings.COMMENTS_REPORTS_TO_HOLD = 1
    comment = CommentFactory(article=article)
    response = client.post(f"/comments/{comment.pk}/report/", follow=True)
    assert "A moderator will look at this comment." in text(response)
    comment.refresh_from_db()
    assert comment.status == Comment.Status.PENDING


def test_private_link_lets_the_author_edit_withdraw_and_choose_emails(client, article):
    comment = CommentFactory(
        article=article, status=Comment.Status.PENDING, body="Typo here", email_verified=True
    )
    url = f"/comments/manage/{manage_token(comment)}/"
    assert "Awaiting moderation" in text(client.get(url))
    client.post(url, {"action": "edit", "body": "Typo fixed"})
    comment.refresh_from_db()
    assert comment.body == "Typo fixed"
    client.post(url, {"action": "notify-on"})
    comment.refresh_from_db()
    assert comment.notify_replies
    client.post(url, {"action": "withdraw"})
    assert not Comment.objects.filter(pk=comment.pk).exists()


def test_private_link_cannot_change_a_moderated_comment(client, article):
    comment = CommentFactory(article=article, body="Approved words")
    url = f"/comments/manage/{manage_token(comment)}/"
    response = client.post(url, {"action": "edit", "body": "Rewritten"}, follow=True)
    assert "can no longer be changed" in text(response)
    comment.refresh_from_db()
    assert comment.body == "Approved words"


def test_expired_or_forged_links_are_refused(client, settings, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    comment = CommentFactory(status=Comment.Status.PENDING)
    token = manage_token(comment)
    assert client.get("/comments/manage/forged/").status_code == 404
    time_machine.shift(timedelta(days=settings.COMMENTS_LINK_DAYS + 1))
    response = client.get(f"/comments/manage/{token}/")
    assert response.status_code == 404 and "expired" in text(response)


def test_one_click_unsubscribe(client):
    comment = CommentFactory(notify_replies=True)
    url = f"/comments/unsubscribe/{unsubscribe_token(comment)}/"
    assert "Stop emails about replies" in text(client.get(url))
    response = client.post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 204
    comment.refresh_from_db()
    assert not comment.notify_replies


def test_comment_feeds_list_approved_comments_only(client, article):
    CommentFactory(article=article, author_name="Marcos", body="Approved words")
    CommentFactory(article=article, status=Comment.Status.PENDING, body="Held words")
    CommentFactory(body="Elsewhere words")
    article_feed = feedparser.parse(client.get(article.get_absolute_url() + "feed/").content)
    assert [e.description for e in article_feed.entries] == ["<p>Approved words</p>"]
    site_feed = feedparser.parse(client.get("/comments/feed/").content)
    assert {e.description for e in site_feed.entries} == {
        "<p>Approved words</p>",
        "<p>Elsewhere words</p>",
    }


def test_receipt_email_links_to_the_private_page(
    client, article, comment_data, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(post_url(article), comment_data(article))
    link = re.search(r"https?://\S+/comments/manage/\S+/", mail.outbox[0].body)[0]
    path = urlsplit(link).path
    assert "Awaiting moderation" in text(client.get(path))


@pytest.mark.parametrize("comments", [0, 500])
def test_article_page_query_count_does_not_grow_with_comments(
    client, article, django_assert_num_queries, comments
):
    parent = None
    for number in range(comments):
        parent = CommentFactory(article=article, parent=parent if number % 5 else None)
    with django_assert_num_queries(9):
        response = client.get(article.get_absolute_url())
    assert text(response).count('class="comment"') == comments


def test_a_banned_commenter_is_not_told(client, article, comment_data):
    from comments.models import CommenterRule

    CommenterRule.objects.create(email="gustavo@example.org", action=CommenterRule.Action.BAN)
    response = client.post(post_url(article), comment_data(article), follow=True)
    assert Comment.objects.get().status == Comment.Status.SPAM
    assert "Your comment is awaiting moderation." in text(response)
    assert "A considered reply" not in text(Client().get(article.get_absolute_url()))


def test_comments_close_on_their_own_after_the_set_days(client, comment_data, settings):
    settings.COMMENTS_CLOSE_AFTER_DAYS = 7
    article = ArticleFactory(publish_at=timezone.now() - timedelta(days=8))
    assert "Comments are closed." in text(client.get(article.get_absolute_url()))
    assert "Comments are closed." in text(client.post(post_url(article), comment_data(article)))
    assert not Comment.objects.exists()


def test_the_cached_thread_changes_as_soon_as_a_comment_does(client, article, moderator_client):
    held = CommentFactory(article=article, status=Comment.Status.PENDING, body="Held words")
    shown = CommentFactory(article=article, body="Shown words")
    assert "Held words" not in text(client.get(article.get_absolute_url()))
    from comments.services import comment_moderate

    comment_moderate(comments=[held], status=Comment.Status.APPROVED, by=None)
    assert "Held words" in text(client.get(article.get_absolute_url()))
    moderator_client.post(
        "/admin/comments/comment/", {"action": "feature", "_selected_action": [shown.pk]}
    )
    assert "Featured comments" in text(client.get(article.get_absolute_url()))
    comment_moderate(comments=[shown], status=Comment.Status.REMOVED, by=None)
    assert "Shown words" not in text(client.get(article.get_absolute_url()))


def test_report_asks_before_it_reports(client, article):
    comment = CommentFactory(article=article, body="Questionable words")
    page = text(client.get(f"/comments/{comment.pk}/report/"))
    assert "Report this comment?" in page and "Questionable words" in page
    comment.refresh_from_db()
    assert comment.report_count == 0
