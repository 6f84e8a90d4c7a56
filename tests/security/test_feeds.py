"""
Feeds carry whatever staff and readers typed: a control character must not make
them unserializable (a 500 for every subscriber), and markup in a headline or a
name must reach a feed reader, which renders titles as HTML, as text.
"""

from xml.etree import ElementTree

import feedparser
import pytest

from tests.factories import ArticleFactory, CommentFactory, SectionFactory
from tests.security.html_check import dangers

pytestmark = pytest.mark.django_db

HEADLINE = "Budget\x0bvote\x01today <img src=x onerror=alert(1)>"
NAME = "Ana\x0b<img src=x onerror=alert(2)>"


@pytest.fixture
def hostile_article():
    section = SectionFactory(slug="analysis", name="Analysis\x0c", description="Desc\x02")
    article = ArticleFactory(title=HEADLINE, section=section, excerpt="Summary\x08 <b>bold</b>")
    CommentFactory(article=article, author_name=NAME, body="Fine\x0b point.")
    return article


def feeds(article):
    return ["/feed/", "/category/analysis/feed/", "/comments/feed/",
            f"{article.get_absolute_url()}feed/"]  # fmt: skip


def test_control_characters_typed_anywhere_leave_every_feed_readable(client, hostile_article):
    for url in feeds(hostile_article):
        response = client.get(url)
        assert response.status_code == 200, url
        parsed = feedparser.parse(response.content)
        assert not parsed.bozo, (url, parsed.bozo_exception)
        assert parsed.entries, url


def test_feed_readers_get_headlines_and_names_as_text(client, hostile_article):
    """A reader decodes the XML, then renders title and description as HTML."""
    for url in feeds(hostile_article):
        channel = ElementTree.fromstring(client.get(url).content).find("channel")
        for item in channel.iter("item"):
            shown = dangers(item.findtext("title")) + dangers(item.findtext("description"))
            assert shown == [], url
            assert "<img" not in item.findtext("title"), url
