from datetime import timedelta

import pytest
from django.utils import timezone

from articles.models import Article
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def test_changing_a_published_slug_keeps_the_old_link(client):
    article = ArticleFactory(slug="peru-leads")
    first = article.get_absolute_url()
    article.slug = "peru-takes-the-lead"
    article.save()
    second = article.get_absolute_url()
    article.slug = "peru-takes-the-lead-at-the-oas"
    article.save()
    for old in (first, second):
        response = client.get(old)
        assert response.status_code == 301
        assert response["Location"] == article.get_absolute_url()


def test_changing_the_date_keeps_the_old_link(client):
    article = ArticleFactory(publish_at=timezone.now() - timedelta(days=10))
    old = article.get_absolute_url()
    article.publish_at = timezone.now() - timedelta(days=2)
    article.save()
    response = client.get(old)
    assert response.status_code == 301 and response["Location"] == article.get_absolute_url()


def test_a_draft_renamed_before_publication_leaves_no_redirect(client):
    draft = ArticleFactory(status=Article.Status.DRAFT, publish_at=None, slug="working-title")
    draft.slug = "final-title"
    draft.save()
    assert (
        client.get(draft.get_absolute_url().replace("final-title", "working-title")).status_code
        == 404
    )


def test_unpublished_article_is_gone_with_an_explanation(client):
    article = ArticleFactory()
    article.unpublish()
    article.save()
    response = client.get(article.get_absolute_url())
    assert response.status_code == 410
    assert "no longer available" in response.content.decode()


def test_never_published_draft_is_simply_not_found(client):
    assert (
        client.get(ArticleFactory(status=Article.Status.DRAFT).get_absolute_url()).status_code
        == 404
    )


def test_scheduled_unpublishing_needs_no_job(client, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    article = ArticleFactory(unpublish_at=timezone.now() + timedelta(hours=1))
    assert client.get(article.get_absolute_url()).status_code == 200
    assert article.title in client.get("/").content.decode()
    time_machine.shift(timedelta(hours=2))
    assert client.get(article.get_absolute_url()).status_code == 410
    assert article.title not in client.get("/").content.decode()
