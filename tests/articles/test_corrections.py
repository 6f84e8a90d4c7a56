from datetime import timedelta

import feedparser
import pytest
from django.utils import timezone

from articles.models import Article, Correction
from tests.articles.test_revisions import opened_version
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def test_editor_adds_a_correction_that_readers_see_everywhere(editor_client, client, editor):
    article = ArticleFactory(
        title="Peru Takes the Lead", publish_at=timezone.now() - timedelta(days=3)
    )
    before = article.updated_at
    data = {
        "title": article.title, "slug": article.slug, "dek": "", "body": article.body,
        "excerpt": "", "section": article.section_id, "status": "published",
        "publish_at_0": article.publish_at.strftime("%Y-%m-%d"),
        "publish_at_1": article.publish_at.strftime("%H:%M:%S"),
        "comments_open": "on", "seo_title": "", "seo_description": "",
        "bylines-TOTAL_FORMS": "1", "bylines-INITIAL_FORMS": "1", "bylines-MIN_NUM_FORMS": "0",
        "bylines-MAX_NUM_FORMS": "1000", "bylines-0-id": article.bylines.get().pk,
        "bylines-0-article": article.pk, "bylines-0-author": article.bylines.get().author_id,
        "bylines-0-position": "0",
        "corrections-TOTAL_FORMS": "1", "corrections-INITIAL_FORMS": "0",
        "corrections-MIN_NUM_FORMS": "0", "corrections-MAX_NUM_FORMS": "1000",
        "corrections-0-kind": "correction",
        "corrections-0-published_at_0": timezone.localdate().isoformat(),
        "corrections-0-published_at_1": "10:00:00",
        "corrections-0-text": "An earlier version misstated the vote: it was 81 to 13.",
        "opened_version": opened_version(editor_client, article),
    }  # fmt: skip
    response = editor_client.post(f"/admin/articles/article/{article.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    correction = Correction.objects.get()
    assert correction.created_by == editor
    article.refresh_from_db()
    assert article.updated_at > before
    latest = article.revisions.first().snapshot
    assert latest["corrections"][0].endswith("it was 81 to 13.")

    page = client.get(article.get_absolute_url()).content.decode()
    assert "Corrections and clarifications" in page
    assert "it was 81 to 13." in page
    listing = client.get("/corrections/").content.decode()
    assert "it was 81 to 13." in listing and article.get_absolute_url() in listing
    feed = feedparser.parse(client.get("/feed/").content)
    assert feed.feed.updated_parsed[:5] == article.updated_at.utctimetuple()[:5]
    assert article.updated_at.date().isoformat() in client.get("/sitemap.xml").content.decode()


def test_corrections_on_unpublished_articles_are_not_listed(client):
    draft = ArticleFactory(status=Article.Status.DRAFT)
    Correction.objects.create(article=draft, text="Hidden fix")
    assert "Hidden fix" not in client.get("/corrections/").content.decode()
