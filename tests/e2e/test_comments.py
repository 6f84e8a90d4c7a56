import re

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from playwright.sync_api import expect

from tests.factories import ArticleFactory, VerifiedCommentFactory

pytestmark = pytest.mark.django_db(transaction=True)

SEED_TITLE = "Peru Takes the Lead"


@pytest.fixture(autouse=True)
def _human_speed_is_fine(settings):
    """People take seconds to write; the browser here takes milliseconds."""
    settings.COMMENTS_FORM_MIN_SECONDS = 0
    settings.COMMENTS_FLOOD_SECONDS = 0


def test_comment_from_posting_through_moderation_to_a_reply(site, page, browser, django_user_model):
    article = ArticleFactory(title=SEED_TITLE)
    url = site.url + article.get_absolute_url()

    # A reader sends the empty form and reads WordPress's messages.
    page.goto(url)
    page.get_by_role("button", name="Post comment").click()
    expect(page.get_by_text("Please enter your comment!")).to_be_visible()
    expect(page.get_by_text("Please enter your name here")).to_be_visible()

    # Then writes the comment and sees it held, for their eyes only.
    page.get_by_role("textbox", name="Comment").fill(
        "Is anyone having trouble making calls to Venezuela?"
    )
    page.get_by_role("textbox", name="Name").fill("Julio")
    page.get_by_role("textbox", name="Email").fill("julio@example.org")
    page.get_by_role("button", name="Post comment").click()
    expect(page.get_by_text("Your comment is awaiting moderation.")).to_be_visible()
    expect(page.get_by_text("Is anyone having trouble making calls")).to_be_visible()

    stranger = browser.new_context().new_page()
    stranger.goto(url)
    expect(stranger.get_by_role("heading", name="0 comments")).to_be_visible()
    expect(stranger.get_by_text("Is anyone having trouble making calls")).to_have_count(0)

    # A moderator signs in and approves it from the queue.
    moderator = django_user_model.objects.create_user(
        "desk", "desk@example.org", "s3cret-pass!", is_staff=True
    )
    moderator.groups.add(Group.objects.get(name="Moderators"))
    desk = browser.new_context().new_page()
    desk.goto(f"{site.url}/admin/")
    desk.get_by_label("Username").fill("desk")
    desk.get_by_label("Password").fill("s3cret-pass!")
    desk.get_by_role("button", name="Log in").click()
    desk.get_by_role("link", name="1 comment awaiting moderation").click()
    row = desk.get_by_role("row").filter(has_text="Is anyone having trouble making calls")
    row.get_by_role("checkbox").check()
    desk.get_by_label("Action:").select_option(label="Approve")
    desk.get_by_role("button", name="Go").click()
    expect(desk.get_by_text("Approved 1 comment.")).to_be_visible()

    # The stranger now sees it, and replies; with JavaScript the form moves under it.
    stranger.reload()
    expect(stranger.get_by_role("heading", name="1 comment")).to_be_visible()
    expect(stranger.get_by_text("Is anyone having trouble making calls")).to_be_visible()
    stranger.get_by_role("link", name="Reply to Julio").click()
    expect(stranger.get_by_role("heading", name="Reply to Julio")).to_be_visible()
    assert "replytocom" not in stranger.url  # moved in place, no page load
    moved_under = stranger.evaluate("document.getElementById('respond').previousElementSibling.id")
    assert moved_under.startswith("comment-")
    stranger.get_by_role("textbox", name="Comment").fill("Slow here too since last night.")
    stranger.get_by_role("textbox", name="Name").fill("Gustavo")
    stranger.get_by_role("textbox", name="Email").fill("gustavo@example.org")
    stranger.get_by_role("button", name="Post comment").click()
    reply = stranger.locator("ol.children .comment").filter(has_text="Slow here too")
    expect(reply).to_be_visible()
    expect(reply.get_by_text("Your comment is awaiting moderation.")).to_be_visible()


def test_reply_without_javascript(site, browser):
    from tests.factories import CommentFactory

    article = ArticleFactory(title=SEED_TITLE)
    CommentFactory(article=article, author_name="Marcos", author_email="marcos@example.org")
    CommentFactory(article=article, author_email="rosa@example.org")  # a known commenter
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site.url + article.get_absolute_url())
    page.get_by_role("link", name="Reply to Marcos").click()
    expect(page.get_by_role("heading", name="Reply to Marcos")).to_be_visible()
    page.get_by_role("textbox", name="Comment").fill("Pragmatism, yes.")
    page.get_by_role("textbox", name="Name").fill("Rosa")
    page.get_by_role("textbox", name="Email").fill("rosa@example.org")
    page.get_by_role("button", name="Post comment").click()
    expect(page.locator("ol.children .comment").filter(has_text="Pragmatism, yes.")).to_be_visible()
    context.close()


def test_a_regular_in_a_new_browser_confirms_by_the_emailed_link(site, page):
    """Typing a known email proves nothing; the button behind the emailed link does."""
    article = ArticleFactory(title=SEED_TITLE)
    VerifiedCommentFactory(article=article, author_name="Rosa", author_email="rosa@example.org")
    page.goto(site.url + article.get_absolute_url())
    page.get_by_role("textbox", name="Comment").fill("Posting from my new phone.")
    page.get_by_role("textbox", name="Name").fill("Rosa")
    page.get_by_role("textbox", name="Email").fill("rosa@example.org")
    page.get_by_role("button", name="Post comment").click()
    expect(page.get_by_text("Your comment is awaiting moderation.")).to_be_visible()

    receipt = mail.outbox[-1]
    assert "Posting from my new phone." not in receipt.body  # the address is not proven yet
    link = re.search(r"https?://\S+(/comments/manage/\S+/)", receipt.body)[1]
    page.goto(site.url + link)
    page.get_by_role("button", name="Yes, this is my comment: confirm my address").click()
    expect(page.get_by_text("Thank you: your email address is confirmed.")).to_be_visible()
    expect(page.get_by_text("Published.")).to_be_visible()
    page.get_by_role("link", name="See it on the article").click()
    expect(page.get_by_text("Posting from my new phone.")).to_be_visible()
    expect(page.get_by_text("Your comment is awaiting moderation.")).to_have_count(0)


def test_the_owner_of_a_borrowed_address_can_say_it_wasnt_them(site, browser):
    """An impostor posts as Ivy; Ivy follows the emailed link and disowns the comment."""
    from comments.models import Comment

    article = ArticleFactory(title=SEED_TITLE)
    VerifiedCommentFactory(article=article, author_name="Ivy", author_email="ivy@example.org")
    attacker = browser.new_context().new_page()
    attacker.goto(site.url + article.get_absolute_url())
    attacker.get_by_role("textbox", name="Comment").fill("Words Ivy never wrote.")
    attacker.get_by_role("textbox", name="Name").fill("Ivy")
    attacker.get_by_role("textbox", name="Email").fill("ivy@example.org")
    attacker.get_by_role("checkbox", name="Email me when someone replies to my comment.").check()
    attacker.get_by_role("button", name="Post comment").click()
    expect(attacker.get_by_text("Your comment is awaiting moderation.")).to_be_visible()

    link = re.search(r"https?://\S+(/comments/manage/\S+/)", mail.outbox[-1].body)[1]
    ivy = browser.new_context().new_page()
    ivy.goto(site.url + link)
    expect(ivy.get_by_text("Press “Yes” only if you wrote it")).to_be_visible()
    expect(ivy.get_by_role("button", name="Email me replies")).to_have_count(0)
    ivy.get_by_role("button", name="This wasn’t me").click()
    expect(ivy.get_by_text("Nothing was confirmed")).to_be_visible()

    impostor = Comment.objects.get(body="Words Ivy never wrote.")
    assert impostor.status == Comment.Status.PENDING
    assert not impostor.email_verified and not impostor.notify_replies
    ivy.goto(site.url + article.get_absolute_url())
    expect(ivy.get_by_text("Words Ivy never wrote.")).to_have_count(0)
