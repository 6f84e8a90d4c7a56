"""
Every field that reaches a page, filled with each payload of the corpus, and
every page where it shows read back as a browser would.

Objects are stored through the models (as an import or a careless admin form
would store them), not through our forms: what a page shows must be safe
whatever the database holds.
"""

from xml.etree import ElementTree

import pytest
from django.contrib.auth import get_user_model
from django.contrib.flatpages.models import FlatPage
from django.core import mail
from django.db import models
from django.test import Client

from articles.models import Correction
from donations.models import Appeal, ManualMethod
from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    CampaignFactory,
    CommentFactory,
    DonationFactory,
    DonorFactory,
    ImageFactory,
    SectionFactory,
    TagFactory,
)
from tests.security.html_check import dangers
from tests.security.payloads import URL_TRICKS, XSS

pytestmark = pytest.mark.django_db

# Machine-kept columns and keys: not what a person types, and some steer code paths.
NOT_TYPED = {
    "currency",
    "provider",
    "provider_session_id",
    "provider_payment_id",
    "provider_subscription_id",
    "checkout_key",
    "wp_login",
}


def filled(instance, payload):
    """Put `payload` into every free-text column a person could type into, then save."""
    for field in instance._meta.concrete_fields:
        if (
            isinstance(field, models.CharField | models.TextField)
            and not isinstance(field, models.SlugField | models.EmailField | models.URLField)
            and field.editable
            and not field.choices
            and not field.unique
            and field.name not in NOT_TYPED
        ):
            setattr(instance, field.name, payload[: field.max_length or None])
    instance.save()
    return instance


def hostile_site(payload, url_trick):
    """One of everything, every text in it hostile."""
    section = filled(SectionFactory(slug="hostile-section"), payload)
    tag = filled(TagFactory(slug="hostile-tag"), payload)
    author = filled(AuthorFactory(slug="hostile-author"), payload)
    image = filled(ImageFactory(), payload)
    article = ArticleFactory(
        section=section, authors=[author], tags=[tag], featured_image=image, slug="hostile"
    )
    filled(article, payload)
    filled(Correction(article=article), payload)
    comment = CommentFactory(article=article, author_url=url_trick[:200])
    filled(comment, payload)
    CommentFactory(article=article, parent=comment, body=payload)
    page = FlatPage.objects.create(url="/about-us/", title=payload[:200], content=payload)
    page.sites.add(1)
    campaign = filled(CampaignFactory(slug="hostile-campaign", show_donors=True), payload)
    filled(Appeal(campaign=campaign), payload)
    filled(ManualMethod(), payload)
    donor = filled(DonorFactory(), payload)
    filled(DonationFactory(donor=donor, campaign=campaign, is_anonymous=False), payload)
    return article, comment


def public_pages(article, comment):
    when = article.publish_at
    return [
        "/",
        article.get_absolute_url(),
        article.section.get_absolute_url(),
        "/tag/hostile-tag/",
        "/author/hostile-author/",
        f"/{when:%Y}/",
        f"/{when:%Y/%m}/",
        "/search/?q=script",
        "/corrections/",
        "/about-us/",
        "/donate/",
        "/donate/hostile-campaign/",
        f"/comments/{comment.pk}/report/",
    ]


ADMIN_PAGES = [
    "articles/article/",
    "articles/section/",
    "articles/tag/",
    "articles/author/",
    "articles/image/",
    "comments/comment/",
    "donations/donation/",
    "donations/donor/",
    "donations/campaign/",
    "flatpages/flatpage/",
    "newsroom/auditentry/",
    "",
]


@pytest.fixture
def superuser_client(db):
    user = get_user_model().objects.create_superuser("root", "root@example.org", "x")
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("payload", XSS)
def test_no_payload_runs_on_any_public_page(client, payload):
    article, comment = hostile_site(payload, URL_TRICKS[XSS.index(payload) % len(URL_TRICKS)])
    for url in public_pages(article, comment):
        response = client.get(url)
        assert response.status_code == 200, url
        assert dangers(response.content.decode()) == [], url


# Every other payload: the admin escapes through Django's own templates, and a
# full sweep of its pages takes a minute.
@pytest.mark.parametrize("payload", XSS[::2])
def test_no_payload_runs_in_the_admin_even_for_a_superuser(superuser_client, payload):
    article, comment = hostile_site(payload, "javascript:alert(1)")
    pages = [f"/admin/{page}" for page in ADMIN_PAGES] + [
        f"/admin/articles/article/{article.pk}/change/",
        f"/admin/comments/comment/{comment.pk}/change/",
    ]
    for url in pages:
        response = superuser_client.get(url)
        assert response.status_code == 200, url
        assert dangers(response.content.decode(), admin_chrome=True) == [], url


@pytest.mark.parametrize("payload", XSS[:20])
def test_feeds_carry_hostile_titles_as_text_and_bodies_sanitized(client, payload):
    article, _comment = hostile_site(payload, "javascript:alert(1)")
    for url in ["/feed/", f"{article.get_absolute_url()}feed/", "/comments/feed/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        items = ElementTree.fromstring(response.content).iter("item")
        for item in items:
            description = item.findtext("description") or ""
            assert dangers(description) == [], (url, description)


@pytest.mark.parametrize("url_trick", URL_TRICKS)
def test_a_commenters_website_is_never_a_script_or_a_foreign_frame(client, url_trick):
    article, _comment = hostile_site("A fair point.", url_trick)
    page = client.get(article.get_absolute_url()).content.decode()
    assert dangers(page) == []


def test_a_comment_form_full_of_payloads_mails_none_of_them_to_the_typed_address(
    client, settings, django_capture_on_commit_callbacks
):
    """Whatever a stranger types, an address that never confirmed gets none of it."""
    from comments.forms import issue_timestamp

    settings.COMMENTS_FORM_MIN_SECONDS = 0
    settings.COMMENTS_FLOOD_SECONDS = 0
    settings.COMMENTS_RATE_PER_MINUTE = 1000
    article = ArticleFactory()
    for number, payload in enumerate(XSS[:10]):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(
                f"/comments/post/{article.pk}/",
                {
                    "body": f"{payload} SPAM-BODY-{number}",
                    "author_name": f"SPAM-NAME {payload}"[:100],
                    "author_email": "victim@example.org",
                    "author_url": "",
                    "issued": issue_timestamp(article.pk),
                },
            )
    to_victim = [message for message in mail.outbox if "victim@example.org" in message.to]
    assert 1 <= len(to_victim) <= settings.COMMENTS_RECEIPTS_PER_HOUR
    for message in to_victim:
        assert "SPAM-" not in message.subject + message.body
        assert not getattr(message, "alternatives", None)


@pytest.mark.parametrize("payload", XSS + URL_TRICKS)
def test_each_payload_is_inert_after_the_body_and_comment_sanitizers(payload):
    from articles.sanitize import sanitize_body
    from comments.sanitize import render_comment

    assert dangers(sanitize_body(payload)) == []
    assert dangers(render_comment(payload)) == []
