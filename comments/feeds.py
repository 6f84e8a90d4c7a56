from django.conf import settings
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from articles.feeds import XmlSafeRssFeed
from articles.models import Article
from comments.models import Comment

COMMENTS_IN_FEED = 30


class LatestCommentsFeed(Feed):
    """
    Approved comments across the site, newest first: WordPress's /comments/feed/.
    Titles are escaped once more, as the article feeds' are (readers render them).
    """

    feed_type = XmlSafeRssFeed

    def title(self):
        return _("Comments on %(site)s") % {"site": settings.SITE_NAME}

    def link(self):
        return reverse("articles:home")

    def description(self):
        return _("The latest reader comments.")

    def items(self):
        return (
            Comment.objects.approved()
            .select_related("article")
            .order_by("-created_at")[:COMMENTS_IN_FEED]
        )

    def item_title(self, comment):
        return escape(
            _("%(name)s on “%(title)s”")
            % {"name": comment.author_name, "title": comment.article.title}
        )

    def item_description(self, comment):
        return comment.body_html

    def item_link(self, comment):
        return comment.get_absolute_url()

    def item_pubdate(self, comment):
        return comment.created_at

    def item_author_name(self, comment):
        return comment.author_name


class ArticleCommentsFeed(LatestCommentsFeed):
    """One article's approved comments, at its permalink plus feed/, as in WordPress."""

    def get_object(self, request, year, month, day, slug):
        return get_object_or_404(Article.objects.published(), slug=slug)

    def title(self, article):
        return escape(_("Comments on “%(title)s”") % {"title": article.title})

    def link(self, article):
        return article.get_absolute_url()

    def description(self, article):
        return escape(article.summary)

    def items(self, article):
        return (
            Comment.objects.approved()
            .filter(article=article)
            .select_related("article")
            .order_by("-created_at")[:COMMENTS_IN_FEED]
        )
