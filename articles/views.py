from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.generic import (
    DayArchiveView,
    DetailView,
    ListView,
    MonthArchiveView,
    YearArchiveView,
)

from articles.models import Article, ArticleRedirect, Author, Correction, Section, Tag
from articles.structured_data import news_article


class PublishedArticlesMixin:
    """Published article cards, paginated with ?page=N."""

    context_object_name = "articles"

    def get_paginate_by(self, queryset):
        return settings.ARTICLES_PER_PAGE

    def get_queryset(self):
        return Article.objects.published().for_listing()


class ArticleListView(PublishedArticlesMixin, ListView):
    pass


class HomeView(ArticleListView):
    template_name = "articles/home.html"

    def get(self, request, *args, **kwargs):
        # WordPress searches live at /?s=…; keep those links and forms working.
        if "s" in request.GET:
            query = urlencode({"q": request.GET["s"]})
            return redirect(f"{reverse('articles:search')}?{query}", permanent=True)
        self.featured = list(
            Article.objects.published()
            .filter(is_featured=True)
            .for_listing()[: settings.ARTICLES_FEATURED_ON_HOME]
        )
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return super().get_queryset().exclude(pk__in=[article.pk for article in self.featured])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if context["page_obj"].number == 1:
            context["featured"] = self.featured
        return context


class ArticleDetailView(DetailView):
    context_object_name = "article"

    def get_queryset(self):
        return Article.objects.for_detail()

    def get_object(self, queryset=None):
        """Readers get live articles; staff preview only what they may change."""
        article = super().get_object(queryset)
        if not (article.is_published() or article.can_be_changed_by(self.request.user)):
            raise Http404
        return article

    def get(self, request, *args, **kwargs):
        try:
            self.object = self.get_object()
        except Http404:
            return self.moved_or_gone(request)
        canonical = self.object.get_absolute_url()
        if request.path != canonical:
            return redirect(canonical, permanent=True)
        response = self.render_to_response(self.get_context_data(object=self.object))
        if not self.object.is_published():
            add_never_cache_headers(response)
        return response

    def get_context_data(self, **kwargs):
        article = self.object
        return super().get_context_data(
            canonical_url=self.request.build_absolute_uri(article.get_absolute_url()),
            structured_data=news_article(article, self.request),
            **kwargs,
        )

    def moved_or_gone(self, request):
        """An old address redirects; a withdrawn article says so with 410; else 404."""
        moved = ArticleRedirect.objects.filter(old_path=request.path).select_related("article")
        redirect_to = moved.first()
        article = redirect_to.article if redirect_to else None
        if article is None:
            article = Article.objects.filter(slug=self.kwargs["slug"]).first()
        elif article.is_published():
            return redirect(article.get_absolute_url(), permanent=True)
        if article is not None and article.was_withdrawn():
            return render(request, "articles/article_gone.html", {"article": article}, status=410)
        raise Http404


class SectionView(ArticleListView):
    template_name = "articles/section_detail.html"

    def get_queryset(self):
        self.section = get_object_or_404(Section, path=self.kwargs["path"])
        return super().get_queryset().in_section(self.section)

    def get_context_data(self, **kwargs):
        return super().get_context_data(section=self.section, **kwargs)


class TagView(ArticleListView):
    template_name = "articles/tag_detail.html"

    def get_queryset(self):
        self.tag = get_object_or_404(Tag, slug=self.kwargs["slug"])
        return super().get_queryset().filter(tags=self.tag)

    def get_context_data(self, **kwargs):
        return super().get_context_data(tag=self.tag, **kwargs)


class AuthorView(ArticleListView):
    template_name = "articles/author_detail.html"

    def get_queryset(self):
        self.author = get_object_or_404(
            Author.objects.select_related("photo"), slug=self.kwargs["slug"]
        )
        return super().get_queryset().filter(authors=self.author)

    def get_context_data(self, **kwargs):
        return super().get_context_data(author=self.author, **kwargs)


class SearchView(ArticleListView):
    template_name = "articles/article_search.html"

    def get_queryset(self):
        self.query = self.request.GET.get("q", "").strip()[:200]
        if not self.query:
            return Article.objects.none()
        return super().get_queryset().search(self.query)

    def get_context_data(self, **kwargs):
        return super().get_context_data(query=self.query, **kwargs)


class ArchiveMixin(PublishedArticlesMixin):
    """Date archives in the site's time zone, at WordPress's /yyyy/mm/dd/ addresses."""

    date_field = "publish_at"
    make_object_list = True
    template_name = "articles/article_archive.html"
    allow_empty = False
    month_format = "%m"
    day_format = "%d"

    def get_dated_items(self):
        """
        A date at the edge of the calendar cannot be bounded: 9999-12-31 has no
        next day, and local midnight on 0001-01-01 east of UTC falls before the
        first representable instant. No article can be there, so: 404, not 500.
        """
        try:
            return super().get_dated_items()
        except OverflowError:
            raise Http404(_("Date out of range")) from None


class YearArchive(ArchiveMixin, YearArchiveView):
    pass


class MonthArchive(ArchiveMixin, MonthArchiveView):
    pass


class DayArchive(ArchiveMixin, DayArchiveView):
    pass


class CorrectionsView(ListView):
    """Every correction on a published article, newest first: the newsroom's public record."""

    template_name = "articles/correction_list.html"
    context_object_name = "corrections"

    def get_paginate_by(self, queryset):
        return settings.ARTICLES_PER_PAGE * 3

    def get_queryset(self):
        return Correction.objects.filter(article__in=Article.objects.published()).select_related(
            "article"
        )
