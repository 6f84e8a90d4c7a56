import re

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Rss201rev2Feed
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from articles.models import Article, Section

# Characters XML 1.0 cannot carry: one in a headline or a name would make the
# whole feed unserializable, a 500 for every subscriber.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_safe(value):
    if isinstance(value, str):
        return _NOT_XML.sub("", value)
    if isinstance(value, list | tuple):
        return [_xml_safe(item) for item in value]
    return value


class XmlSafeRssFeed(Rss201rev2Feed):
    """RSS 2.0 whose every text, of the feed and of each item, is cleaned on the way in."""

    def __init__(self, title, link, description, **kwargs):
        super().__init__(
            *_xml_safe([title, link, description]),
            **{key: _xml_safe(value) for key, value in kwargs.items()},
        )

    def add_item(self, title, link, description, **kwargs):
        super().add_item(
            *_xml_safe([title, link, description]),
            **{key: _xml_safe(value) for key, value in kwargs.items()},
        )


class LatestArticlesFeed(Feed):
    """
    RSS 2.0 of the latest published articles, as WordPress serves at /feed/.

    Feed readers render RSS titles and descriptions as HTML, so our plain-text
    headlines, summaries and section names are escaped once more before the XML
    escaping (as Django's own default item_title does): a headline such as
    `a <b> c` reaches the reader as text, never as markup.
    """

    feed_type = XmlSafeRssFeed

    def title(self):
        return settings.SITE_NAME

    def link(self):
        return reverse("articles:home")

    def description(self):
        return settings.SITE_TAGLINE

    def articles(self):
        return Article.objects.published().for_listing().prefetch_related("tags")

    def items(self):
        return self.articles()[: settings.ARTICLES_IN_FEED]

    def item_title(self, item):
        return escape(item.title)

    def item_description(self, item):
        return escape(item.summary)

    def item_pubdate(self, item):
        return item.publish_at

    def item_updateddate(self, item):
        return item.updated_at

    def item_author_name(self, item):
        return ", ".join(author.name for author in item.byline_authors)

    def item_categories(self, item):
        section = [item.section.name] if item.section else []
        return section + [tag.name for tag in item.tags.all()]


class SectionFeed(LatestArticlesFeed):
    def get_object(self, request, path):
        return get_object_or_404(Section, path=path)

    def title(self, section):
        return escape(
            _("%(site)s: %(section)s") % {"site": settings.SITE_NAME, "section": section.name}
        )

    def link(self, section):
        return section.get_absolute_url()

    def description(self, section):
        return escape(section.description or settings.SITE_TAGLINE)

    def items(self, section):
        return self.articles().in_section(section)[: settings.ARTICLES_IN_FEED]
