"""
Readers never get a session row: a newsroom's crowd is anonymous, and a row per
reader would fill the table (and Redis) on a busy day and keep what each one did.
Only staff, who sign in, have sessions; `clearsessions` removes the expired ones.
"""

import secrets
from datetime import timedelta

import pytest
from django.contrib.messages import constants, get_messages
from django.contrib.messages.storage import default_storage
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.utils import timezone

from comments.forms import issue_timestamp
from comments.models import Comment
from comments.tokens import manage_token
from donations.models import Donation
from tests.donations.test_views import gift
from tests.factories import ArticleFactory, CampaignFactory, CommentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _readers_settings(settings):
    settings.COMMENTS_FORM_MIN_SECONDS = 0
    settings.COMMENTS_FLOOD_SECONDS = 0
    settings.STRIPE_SECRET_KEY = ""
    settings.DONATIONS_TEST_PROVIDER = True


def text(response):
    return response.content.decode()


def test_a_readers_journey_through_every_reader_page_stores_no_session():
    """Article, comment links and buttons, report, donate, checkout and thanks, with messages."""
    reader = Client()
    article = ArticleFactory(title="Peru Takes the Lead")
    CampaignFactory(slug="lights")
    other = CommentFactory(article=article, body="A comment someone else wrote.")
    own = CommentFactory(
        article=article, status=Comment.Status.PENDING, author_email="gustavo@example.org"
    )

    assert "A comment someone else wrote." in text(reader.get(article.get_absolute_url()))
    assert reader.get("/").status_code == 200
    assert reader.get("/search/?q=Peru").status_code == 200
    assert reader.get(f"{article.get_absolute_url()}?replytocom={other.pk}").status_code == 200

    manage = f"/comments/manage/{manage_token(own)}/"
    assert reader.get(manage).status_code == 200
    confirmed = reader.post(manage, {"action": "confirm"}, follow=True)
    assert "your email address is confirmed" in text(confirmed)
    saved = reader.post(manage, {"action": "notify-on"}, follow=True)
    assert "Your email preferences were saved." in text(saved)

    assert reader.get(f"/comments/{other.pk}/report/").status_code == 200
    reported = reader.post(f"/comments/{other.pk}/report/", follow=True)
    assert "A moderator will look at this comment." in text(reported)

    to_checkout = gift(reader, "/donate/lights/")
    assert to_checkout.status_code == 302
    done = reader.post(to_checkout["Location"], {"outcome": "complete"}, follow=True)
    assert "is confirmed" in text(done)
    assert Donation.objects.get().status == Donation.Status.COMPLETED

    assert Session.objects.count() == 0


def test_posting_a_comment_stores_no_session():
    reader = Client()
    article = ArticleFactory()
    posted = reader.post(
        f"/comments/post/{article.pk}/",
        {
            "body": "A considered reply to the story.",
            "author_name": "Gustavo",
            "author_email": "gustavo@example.org",
            "author_url": "",
            "parent": "",
            "issued": issue_timestamp(article.pk),
            "phone": "",
        },
    )
    assert posted.status_code == 302 and Comment.objects.count() == 1
    own_view = text(reader.get(article.get_absolute_url()))
    assert "Your comment is awaiting moderation." in own_view
    assert Session.objects.count() == 0


def test_messages_never_fall_back_to_the_session():
    """
    However many or long the messages, they stay in the cookie (the oldest may be
    dropped); Django's default storage puts what overflows the cookie in the session.
    Random text, since the cookie is compressed.
    """
    request = RequestFactory().get("/")
    request.session = SessionStore()
    request._messages = default_storage(request)
    for number in range(40):
        request._messages.add(constants.SUCCESS, f"Message {number}: " + secrets.token_urlsafe(300))
    request._messages.update(HttpResponse())
    assert not request.session.modified
    assert list(get_messages(request))


def test_clearsessions_removes_expired_staff_sessions_and_keeps_live_ones(admin_user, time_machine):
    """Cron runs `manage.py clearsessions` daily; a live session survives it."""
    time_machine.move_to(timezone.now(), tick=False)
    old = Client()
    old.force_login(admin_user)
    time_machine.shift(timedelta(weeks=3))
    live = Client()
    live.force_login(admin_user)
    assert Session.objects.count() == 2

    call_command("clearsessions")

    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session.session_key]
    assert live.get("/admin/").status_code == 200
