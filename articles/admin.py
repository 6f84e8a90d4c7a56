from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import BaseInlineFormSet
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from articles.models import Article, Author, Byline, Correction, Image, Section, Tag
from articles.presence import editing_now
from articles.revisions import compare, revision_record, revision_restore
from articles.sanitize import validate_body_size
from articles.services import (
    article_publish,
    article_status_changed,
    article_unpublish,
    article_version_is_current,
    correction_record,
)


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    list_display = ["title", "credit", "width", "height", "uploaded_at"]
    search_fields = ["title", "alt_text", "caption", "credit"]
    readonly_fields = ["width", "height", "uploaded_at"]
    date_hierarchy = "uploaded_at"


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "user"]
    list_select_related = ["user"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["photo"]
    raw_id_fields = ["user"]


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["name", "path", "parent"]
    list_select_related = ["parent"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


class BylineAuthorSelect(AutocompleteSelect):
    """
    The author autocomplete, labelled from the byline row already loaded.

    Django's widget looks the chosen author up again for each row, a query per
    co-author; the formset hands each widget its row's author instead.
    """

    author = None

    def optgroups(self, name, value, attr=None):
        if self.author is not None and [str(v) for v in value] == [str(self.author.pk)]:
            option = self.create_option(name, self.author.pk, str(self.author), True, 0)
            return [(None, [option], 0)]
        return super().optgroups(name, value, attr)


class BylineFormSet(BaseInlineFormSet):
    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        if form.instance.author_id:
            form.fields["author"].widget.widget.author = form.instance.author
        return form

    def clean(self):
        super().clean()
        remaining = [
            form
            for form in self.forms
            if form.cleaned_data.get("author") and not form.cleaned_data.get("DELETE")
        ]
        if self.instance.status == Article.Status.PUBLISHED and not remaining:
            raise ValidationError(_("A published article needs at least one author."))


class BylineInline(admin.TabularInline):
    model = Byline
    formset = BylineFormSet
    extra = 1
    verbose_name = _("author")
    verbose_name_plural = _("byline (in order)")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "author":
            kwargs["widget"] = BylineAuthorSelect(db_field, self.admin_site)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ArticleAdminForm(forms.ModelForm):
    """The article form, refusing to save over a version newer than the one it was opened at."""

    opened_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["opened_version"].initial = self.instance.version

    def clean_body(self):
        validate_body_size(self.cleaned_data["body"])
        return self.cleaned_data["body"]

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None:
            return cleaned
        # The admin validates and saves in one transaction: the row stays locked until saved.
        if not article_version_is_current(
            article=self.instance, opened_version=cleaned.get("opened_version")
        ):
            revisions = reverse("admin:articles_article_revisions", args=[self.instance.pk])
            raise ValidationError(
                format_html(
                    '{} <a href="{}">{}</a>',
                    _(
                        "Someone saved this article after you opened it, so your changes were "
                        "not saved over theirs. Copy your changes, reload the page and apply them."
                    ),
                    revisions,
                    _("See what they changed"),
                )
            )
        return cleaned

    class Meta:
        widgets = {
            "dek": forms.Textarea(attrs={"rows": 2}),
            "body": forms.Textarea(attrs={"rows": 24}),
            "excerpt": forms.Textarea(attrs={"rows": 3}),
        }


class CorrectionInline(admin.StackedInline):
    model = Correction
    extra = 0
    fields = ["kind", "published_at", "text"]


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    form = ArticleAdminForm
    list_display = ["title", "status", "section", "byline", "publish_at", "is_featured", "link"]
    list_filter = [
        "status",
        "section",
        "is_featured",
        ("authors", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["section"]
    search_fields = ["title", "body"]
    date_hierarchy = "publish_at"
    autocomplete_fields = ["section", "tags", "featured_image"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [BylineInline, CorrectionInline]
    actions = ["publish_now", "unpublish"]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "dek", "body", "excerpt", "opened_version"]}),
        (_("Placement"), {"fields": ["section", "tags", "featured_image", "is_featured"]}),
        (_("Publishing"), {"fields": ["status", "review_note", "publish_at", "unpublish_at"]}),
        (_("Discussion"), {"fields": ["comments_open", "comments_premoderated"]}),
        (
            _("Search engines and social media"),
            {"fields": ["seo_title", "seo_description"], "classes": ["collapse"]},
        ),
        (_("History"), {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    def can_publish(self, request):
        return request.user.has_perm("articles.publish_article")

    def has_publish_permission(self, request):
        return self.can_publish(request)

    def get_queryset(self, request):
        queryset = super().get_queryset(request).prefetch_related("bylines__author")
        if self.can_publish(request):
            return queryset
        return queryset.filter(created_by=request.user)

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return super().has_change_permission(request)
        return obj.can_be_changed_by(request.user)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not self.can_publish(request):
            fields += ["review_note", "is_featured", "publish_at", "unpublish_at"]
        return fields

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if not self.can_publish(request) and "status" in form.base_fields:
            form.base_fields["status"].choices = [
                (Article.Status.DRAFT, Article.Status.DRAFT.label),
                (Article.Status.REVIEW, _("Ready for review")),
            ]
        return form

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET":
            for name, since in editing_now(object_id, request.user):
                messages.warning(
                    request,
                    _("%(name)s is also editing this article (opened %(since)s ago).")
                    % {"name": name, "since": timesince(since)},
                )
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        previous_status = form.initial.get("status") if change else None
        super().save_model(request, obj, form, change)
        article_status_changed(article=obj, previous_status=previous_status, by=request.user)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        revision_record(article=form.instance, by=request.user)

    def get_urls(self):
        own = [
            path(
                "<path:object_id>/revisions/",
                self.admin_site.admin_view(self.revisions_view),
                name="articles_article_revisions",
            ),
            path(
                "<path:object_id>/revisions/compare/",
                self.admin_site.admin_view(self.compare_view),
                name="articles_article_compare",
            ),
            path(
                "<path:object_id>/revisions/<int:revision_id>/restore/",
                self.admin_site.admin_view(self.restore_view),
                name="articles_article_restore",
            ),
        ]
        return own + super().get_urls()

    def _article_for_history(self, request, object_id):
        article = self.get_object(request, object_id)
        if article is None or not self.has_change_permission(request, article):
            raise PermissionDenied
        return article

    def _history_page(self, request, template, article, **context):
        return TemplateResponse(
            request,
            f"admin/articles/article/{template}",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "original": article,
                **context,
            },
        )

    def revisions_view(self, request, object_id):
        article = self._article_for_history(request, object_id)
        return self._history_page(
            request,
            "revisions.html",
            article,
            title=_("Revisions of “%(title)s”") % {"title": article},
            revisions=article.revisions.select_related("created_by").defer("snapshot"),
        )

    def compare_view(self, request, object_id):
        article = self._article_for_history(request, object_id)
        picked = article.revisions.select_related("created_by").in_bulk(
            [v for v in (request.GET.get("a"), request.GET.get("b")) if v and v.isdigit()]
        )
        if len(picked) != 2:
            messages.warning(request, _("Choose two revisions to compare."))
            return redirect("admin:articles_article_revisions", object_id)
        older, newer = sorted(picked.values(), key=lambda r: (r.created_at, r.pk))
        return self._history_page(
            request,
            "compare.html",
            article,
            title=_("Changes to “%(title)s”") % {"title": article},
            older=older,
            newer=newer,
            rows=compare(older.snapshot, newer.snapshot),
        )

    def restore_view(self, request, object_id, revision_id):
        article = self._article_for_history(request, object_id)
        if request.method != "POST":
            return redirect("admin:articles_article_revisions", object_id)
        revision = get_object_or_404(article.revisions, pk=revision_id)
        revision_restore(revision=revision, by=request.user)
        messages.success(request, _("The revision was restored; it is now the latest."))
        return redirect("admin:articles_article_change", object_id)

    def save_formset(self, request, form, formset, change):
        if formset.model is not Correction:
            return super().save_formset(request, form, formset, change)
        for correction in formset.save(commit=False):
            correction_record(correction=correction, by=request.user)
        for correction in formset.deleted_objects:
            correction.delete()

    @admin.display(description=_("authors"))
    def byline(self, article):
        return ", ".join(author.name for author in article.byline_authors)

    @admin.display(description=_("on site"))
    def link(self, article):
        label = _("View") if article.is_published() else _("Preview")
        return format_html('<a href="{}">{}</a>', article.get_absolute_url(), label)

    def _report(self, request, result, done_message):
        if result.done:
            self.message_user(request, done_message(len(result.done)), messages.SUCCESS)
        for article, reason in result.refused:
            self.message_user(
                request,
                _("“%(title)s” was not changed: %(reason)s") % {"title": article, "reason": reason},
                messages.WARNING,
            )

    @admin.action(description=_("Publish now"), permissions=["publish"])
    def publish_now(self, request, queryset):
        result = article_publish(articles=queryset, by=request.user)
        self._report(
            request,
            result,
            lambda n: (
                ngettext("Published %(n)d article.", "Published %(n)d articles.", n) % {"n": n}
            ),
        )

    @admin.action(description=_("Unpublish"), permissions=["publish"])
    def unpublish(self, request, queryset):
        result = article_unpublish(articles=queryset, by=request.user)
        self._report(
            request,
            result,
            lambda n: (
                ngettext("Unpublished %(n)d article.", "Unpublished %(n)d articles.", n) % {"n": n}
            ),
        )

    def view_on_site(self, article):
        # A relative URL, so the link opens this site whatever domain the Sites entry holds.
        return article.get_absolute_url()
