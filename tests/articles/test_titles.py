"""
Titles are text: a headline, page title, section, tag or author name, image
title, caption, credit or alt text holding markup shows as those characters
wherever it appears, and never becomes an element or an attribute.
"""

import json
import re
from xml.etree import ElementTree

import feedparser
import pytest
from django.contrib.flatpages.models import FlatPage

from articles.models import Article, Author, Image, Section, Tag
from tests.articles.markup import elements, handlers, parse
from tests.articles.test_admin import article_form
from tests.articles.test_revisions import change
from tests.factories import image_upload

pytestmark = pytest.mark.django_db

HOSTILE = 'Q&A <img src=x onerror=alert(1)> "it\'s" </title></script><svg onload=alert(2)>'


def hostile(label):
    return f"{label} {HOSTILE}"


def assert_inert(page, *shown):
    """Nothing the titles carried became markup; each title shows as the text typed."""
    assert handlers(page) == []
    assert not [img for img in elements(page, "img") if img.get("src") == "x"]
    for script in elements(page, "script"):
        assert "src" in script or script.get("type") == "application/ld+json", script
    text = parse(page)[1]
    for title in shown:
        assert title in text, title


@pytest.fixture
def hostile_site(editor_client):
    """Everything made as an editor makes it: through the admin's own forms."""

    def add(model_path, data, **files):
        response = editor_client.post(f"/admin/{model_path}/add/", {**data, **files})
        assert response.status_code == 302, response.content.decode()[:3000]

    add("flatpages/flatpage", {"url": "/about/", "title": hostile("About"),
        "content": "<p>Who we are.</p>", "sites": [1]})  # fmt: skip
    add("articles/section", {"name": hostile("Politics"), "slug": "politics"})
    add("articles/tag", {"name": hostile("Elections"), "slug": "elections"})
    add("articles/author", {"name": hostile("Ana"), "slug": "ana", "bio": hostile("Bio")})
    add(
        "articles/image",
        {"title": hostile("Photo"), "alt_text": hostile("Alt"), "caption": hostile("Caption"),
         "credit": hostile("Credit")},
        file=image_upload(size=(1000, 600)),
    )  # fmt: skip
    add(
        "articles/article",
        article_form(
            title=hostile("Headline"), slug="headline", dek=hostile("Dek"),
            body="<p>The story.</p>", status=Article.Status.PUBLISHED,
            section=Section.objects.get().pk, tags=[Tag.objects.get().pk],
            featured_image=Image.objects.get().pk,
            **{"bylines-0-author": Author.objects.get().pk},
        ),
    )  # fmt: skip
    article = Article.objects.get()
    change(
        editor_client, article, title=hostile("Corrected"), dek=article.dek,
        tags=[Tag.objects.get().pk], featured_image=article.featured_image_id,
    )  # fmt: skip
    return Article.objects.get()


def test_public_pages_show_every_hostile_title_as_text(client, hostile_site):
    article = hostile_site
    pages = {
        "/": [hostile("Corrected"), hostile("Politics"), hostile("Ana"), hostile("About")],
        article.get_absolute_url(): [
            hostile("Corrected"), hostile("Dek"), hostile("Politics"), hostile("Elections"),
            hostile("Ana"), hostile("Caption"), hostile("Credit"),
        ],
        "/category/politics/": [hostile("Politics"), hostile("Corrected")],
        "/tag/elections/": [hostile("Elections"), hostile("Corrected")],
        "/author/ana/": [hostile("Ana"), hostile("Bio"), hostile("Corrected")],
        "/search/?q=Corrected": [hostile("Corrected")],
        f"/{article.date.year}/": [hostile("Corrected")],
        "/about/": [hostile("About"), "Who we are."],
    }  # fmt: skip
    for path, shown in pages.items():
        response = client.get(path)
        assert response.status_code == 200, path
        assert_inert(response.content.decode(), *shown)


def test_the_static_page_title_is_text_in_its_title_and_heading(client, hostile_site):
    page = client.get("/about/").content.decode()
    (title,) = re.findall(r"<title>(.*?)</title>", page, re.S)
    assert parse(title)[1].startswith(hostile("About"))
    (heading,) = re.findall(r"<h1>(.*?)</h1>", page, re.S)
    assert parse(heading)[1] == hostile("About") and not parse(heading)[0]


def test_meta_tags_and_structured_data_carry_the_titles_as_text(client, hostile_site):
    article = hostile_site
    page = client.get(article.get_absolute_url()).content.decode()
    meta = {m.get("property") or m.get("name"): m.get("content") for m in elements(page, "meta")}
    assert meta["og:title"] == meta["twitter:title"] == hostile("Corrected")
    assert meta["article:section"] == hostile("Politics")
    assert meta["article:tag"] == hostile("Elections")
    assert meta["og:image:alt"] == hostile("Alt")
    (image,) = [img for img in elements(page, "img") if img.get("alt") == hostile("Alt")]
    (data,) = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert "</" not in data  # nothing in it can close the element early
    structured = json.loads(data)
    assert structured["headline"] == hostile("Corrected")
    assert structured["articleSection"] == hostile("Politics")
    assert structured["author"][0]["name"] == hostile("Ana")


def test_feeds_hand_readers_the_titles_as_text(client, hostile_site):
    for path in ("/feed/", "/category/politics/feed/"):
        raw = client.get(path).content
        ElementTree.fromstring(raw)  # well-formed
        feed = feedparser.parse(raw)
        (entry,) = feed.entries
        # Readers put titles into their pages as HTML: escaped once more, they show as typed.
        assert "<" not in entry.title and parse(entry.title) == ([], hostile("Corrected"))
        assert "<" not in entry.summary
        assert hostile("Politics") in [tag.term for tag in entry.tags]
        assert entry.author == hostile("Ana")
    section_feed = feedparser.parse(client.get("/category/politics/feed/").content)
    assert parse(section_feed.feed.title)[1].endswith(hostile("Politics"))


def test_the_sitemap_stays_well_formed(client, hostile_site):
    sitemap = ElementTree.fromstring(client.get("/sitemap.xml").content)
    locations = [node.text for node in sitemap.iter() if node.tag.endswith("loc")]
    assert any(url.endswith("/about/") for url in locations)


def test_the_admin_shows_hostile_titles_as_text(editor_client, hostile_site):
    article = hostile_site
    pages = {
        "/admin/articles/article/": [hostile("Corrected"), hostile("Politics"), hostile("Ana")],
        f"/admin/articles/article/{article.pk}/change/": [],
        "/admin/articles/section/": [hostile("Politics")],
        "/admin/articles/tag/": [hostile("Elections")],
        "/admin/articles/author/": [hostile("Ana")],
        "/admin/articles/image/": [hostile("Photo"), hostile("Credit")],
        "/admin/flatpages/flatpage/": [hostile("About")],
        f"/admin/articles/article/{article.pk}/revisions/": [],
    }
    for path, shown in pages.items():
        response = editor_client.get(path)
        assert response.status_code == 200, path
        assert_inert(response.content.decode(), *shown)
    first, latest = article.revisions.order_by("created_at", "pk")
    compare = editor_client.get(
        f"/admin/articles/article/{article.pk}/revisions/compare/",
        {"a": first.pk, "b": latest.pk},
    ).content.decode()
    assert_inert(compare)
    (row,) = [r for r in re.findall(r"<tr>(.*?)</tr>", compare, re.S) if "Headline" in r]
    assert "Headline" in parse(row)[1] and "Corrected" in parse(row)[1]
    assert "<img" in parse(row)[1]  # the typed markup, shown as text


def test_a_static_page_saved_outside_the_admin_is_sanitized_when_shown(client):
    """A fixture, a shell or an import writes the row directly; the page is no less safe."""
    page = FlatPage.objects.create(
        url="/imported/",
        title=hostile("Imported"),
        content='<p>Kept.</p><script>alert(3)</script><img src=pic.jpg onerror="alert(4)">',
    )
    page.sites.add(1)
    html = client.get("/imported/").content.decode()
    assert_inert(html, hostile("Imported"), "Kept.")
    assert "alert(3)" not in html
