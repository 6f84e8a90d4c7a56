import pytest
from django.contrib.flatpages.models import FlatPage

from articles.models import Article
from tests.articles.markup import elements, parse
from tests.articles.test_admin import article_form
from tests.factories import AuthorFactory, SectionFactory

pytestmark = pytest.mark.django_db

ARTICLES = "/admin/articles/article/"
PAGES = "/admin/flatpages/flatpage/"


def too_long(settings):
    settings.ARTICLES_MAX_BODY_BYTES = 2 * 1024 * 1024
    return "<p>" + "a" * settings.ARTICLES_MAX_BODY_BYTES + "</p>"


def test_an_article_body_over_the_limit_gets_a_clear_error_and_saves_nothing(
    editor_client, settings
):
    response = editor_client.post(f"{ARTICLES}add/", article_form(body=too_long(settings)))
    assert response.status_code == 200
    assert "This text is 2.0\xa0MB; it may be at most 2.0\xa0MB." in response.content.decode()
    assert not Article.objects.exists()


def test_a_static_page_over_the_limit_gets_a_clear_error_and_saves_nothing(editor_client, settings):
    form = {"url": "/about/", "title": "About", "content": too_long(settings), "sites": [1]}
    response = editor_client.post(f"{PAGES}add/", form)
    assert response.status_code == 200
    assert "it may be at most 2.0\xa0MB." in response.content.decode()
    assert not FlatPage.objects.exists()


def test_a_body_under_the_limit_is_saved(editor_client, settings):
    settings.ARTICLES_MAX_BODY_BYTES = 100
    body = "<p>" + "a" * 90 + "</p>"
    response = editor_client.post(f"{ARTICLES}add/", article_form(body=body))
    assert response.status_code == 302
    assert Article.objects.get().body == body


def test_an_embed_bypass_posted_through_the_admin_frames_nothing_for_readers(editor_client, client):
    section, author = SectionFactory(), AuthorFactory()
    body = (
        "<p>Watch the vote.</p>"
        '<iframe src="https://evil.example\\@www.youtube.com/embed/x"></iframe>'
        '<iframe src="https://www.youtube.com/embed/vote" allow="camera; autoplay"></iframe>'
        '<p><a href="https://example.org/" target="_blank" rel="opener">Source</a></p>'
    )
    data = article_form(
        body=body, status="published", section=section.pk, **{"bylines-0-author": author.pk}
    )
    assert editor_client.post(f"{ARTICLES}add/", data).status_code == 302
    page = client.get(Article.objects.get().get_absolute_url()).content.decode()
    body_html = page[
        page.index('<div class="article__body">') : page.index('<footer class="article__footer">')
    ]
    assert elements(body_html, "iframe") == [
        {
            "src": "https://www.youtube.com/embed/vote",
            "allow": "autoplay",
            "sandbox": "allow-scripts allow-same-origin allow-popups allow-presentation",
        }
    ]
    (link,) = elements(body_html, "a")
    assert link["rel"] == "noopener noreferrer"
    assert "Watch the vote." in parse(body_html)[1]
