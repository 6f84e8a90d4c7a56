from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from articles.models import Article, Section


class HomeSitemap(Sitemap):
    changefreq = "hourly"
    priority = 1.0

    def items(self):
        return ["articles:home"]

    def location(self, item):
        return reverse(item)


class ArticleSitemap(Sitemap):
    changefreq = "daily"
    priority = 0.8
    limit = 5000

    def items(self):
        return Article.objects.published().only("slug", "publish_at", "updated_at")

    def lastmod(self, article):
        return article.updated_at


class SectionSitemap(Sitemap):
    changefreq = "daily"
    priority = 0.5

    def items(self):
        return Section.objects.only("path")
