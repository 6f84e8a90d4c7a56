from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from comments.models import Comment, CommenterRule, ModerationRules, Report
from comments.services import CommentChanged, comment_delete, comment_moderate
from newsroom import audit

MODERATED = {
    Comment.Status.APPROVED: ngettext_lazy(
        "Approved %(n)d comment.", "Approved %(n)d comments.", "n"
    ),
    Comment.Status.SPAM: ngettext_lazy(
        "Marked %(n)d comment as spam.", "Marked %(n)d comments as spam.", "n"
    ),
    Comment.Status.REMOVED: ngettext_lazy("Removed %(n)d comment.", "Removed %(n)d comments.", "n"),
}


CHANGED_SINCE_READ = _(
    "Nothing was approved: these comments changed since you read them (or were not on your "
    "page): %(comments)s. Read them again, then decide."
)


class CommentAdminForm(forms.ModelForm):
    """
    Carries the version the moderator opened, so a decision is about the text
    they read. The admin saves inside the transaction that validated the form,
    so the row locked here stays locked until the moderator's copy is saved:
    an author's edit either lands before the check (and is refused here) or
    waits until after the save.
    """

    seen_version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Comment
        fields = ["body", "status", "is_featured"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["seen_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        current = (
            Comment.objects.select_for_update()
            .filter(pk=self.instance.pk)
            .values_list("version", flat=True)
        )
        if cleaned.get("seen_version") != current.first():
            raise forms.ValidationError(
                _(
                    "Its author changed this comment after you opened it. Nothing was saved: "
                    "reload the page, read the new text, then decide."
                )
            )
        return cleaned


def seen_versions(request):
    """{id: version} of the comments the changelist showed this moderator (see `first_words`)."""
    seen = {}
    for value in request.POST.getlist("seen"):
        pk, _sep, version = value.partition(":")
        if pk.isdigit() and version.isdigit():
            seen[int(pk)] = int(version)
    return seen


class ReportInline(admin.TabularInline):
    model = Report
    extra = 0
    can_delete = False
    readonly_fields = ["reporter", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    """The moderation queue: pending first, the reason each was held, one click to the thread."""

    form = CommentAdminForm

    list_display = [
        "first_words",
        "author_name",
        "article_link",
        "status",
        "status_reason",
        "report_count",
        "is_featured",
        "created_at",
    ]
    list_filter = [
        "status",
        "is_featured",
        "created_at",
        ("article", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["article"]
    search_fields = ["author_name", "author_email", "ip_address", "body"]
    date_hierarchy = "created_at"
    actions = ["approve", "mark_spam", "remove", "feature", "unfeature"]
    raw_id_fields = ["article", "parent", "user"]
    inlines = [ReportInline]
    readonly_fields = [
        "article",
        "parent",
        "user",
        "author_name",
        "author_email",
        "author_url",
        "ip_address",
        "user_agent",
        "created_at",
        "status_reason",
        "report_count",
        "moderated_by",
        "moderated_at",
        "thread_link",
    ]
    fields = [
        "seen_version",
        "thread_link",
        "article",
        "parent",
        ("author_name", "author_email", "author_url"),
        "user",
        ("ip_address", "user_agent"),
        "created_at",
        "body",
        ("status", "status_reason"),
        "is_featured",
        "report_count",
        ("moderated_by", "moderated_at"),
    ]

    def has_add_permission(self, request):
        return False  # comments come from readers, through the site

    def delete_model(self, request, obj):
        """Deleting goes through the service: audited, recounted, replies kept."""
        comment_delete(comments=[obj], by=request.user)

    def delete_queryset(self, request, queryset):
        comment_delete(comments=queryset, by=request.user)

    def get_deleted_objects(self, objs, request):
        """
        The confirmation lists only the comments chosen: their replies are never
        deleted, and do not block the deletion either (the database would
        refuse it, but the service keeps a comment with replies as a placeholder).
        """
        _cascade, _counts, perms_needed, _replies = super().get_deleted_objects(objs, request)
        chosen = [str(comment) for comment in objs]
        return chosen, {Comment._meta.verbose_name_plural: len(chosen)}, perms_needed, []

    def get_ordering(self, request):
        return ["created_at"] if request.GET.get("status__exact") == "pending" else ["-created_at"]

    @admin.display(description=_("comment"))
    def first_words(self, comment):
        """The words the moderator reads, and which version they were, sent back with an action."""
        return format_html(
            '{}<input type="hidden" name="seen" value="{}:{}">',
            Truncator(comment.body).words(12),
            comment.pk,
            comment.version,
        )

    @admin.display(description=_("article"))
    def article_link(self, comment):
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            comment.get_absolute_url(),
            Truncator(comment.article.title).chars(40),
            reverse("admin:comments_comment_changelist")
            + f"?article__id__exact={comment.article_id}",
            _("all on this article"),
        )

    @admin.display(description=_("thread"))
    def thread_link(self, comment):
        return format_html(
            '<a href="{}">{}</a>', comment.get_absolute_url(), _("See it in its thread on the site")
        )

    def save_model(self, request, obj, form, change):
        """
        Edits save as usual (a new text is a new version); a status change goes
        through moderation, like the actions, bound to the version just saved:
        the text the moderator had on screen.
        """
        if change and "body" in form.changed_data:
            obj.revise(obj.body)
        if change and "status" in form.changed_data:
            new_status, obj.status = obj.status, form.initial["status"]
            super().save_model(request, obj, form, change)
            comment_moderate(
                comments=[obj],
                status=new_status,
                by=request.user,
                seen_versions={obj.pk: obj.version},
            )
        else:
            super().save_model(request, obj, form, change)

    def _moderate(self, request, queryset, status):
        try:
            changed = comment_moderate(
                comments=queryset,
                status=status,
                by=request.user,
                seen_versions=seen_versions(request),
            )
        except CommentChanged as refusal:
            words = ", ".join(f"“{Truncator(c.body).words(6)}”" for c in refusal.comments)
            self.message_user(request, CHANGED_SINCE_READ % {"comments": words}, messages.ERROR)
            return
        self.message_user(request, MODERATED[status] % {"n": len(changed)}, messages.SUCCESS)

    @admin.action(description=_("Approve"), permissions=["change"])
    def approve(self, request, queryset):
        self._moderate(request, queryset, Comment.Status.APPROVED)

    @admin.action(description=_("Mark as spam"), permissions=["change"])
    def mark_spam(self, request, queryset):
        self._moderate(request, queryset, Comment.Status.SPAM)

    @admin.action(description=_("Remove"), permissions=["change"])
    def remove(self, request, queryset):
        self._moderate(request, queryset, Comment.Status.REMOVED)

    @admin.action(description=_("Feature"), permissions=["change"])
    def feature(self, request, queryset):
        for comment in queryset:
            audit.record("comment.featured", actor=request.user, target=comment)
        queryset.update(is_featured=True, updated_at=timezone.now())

    @admin.action(description=_("Stop featuring"), permissions=["change"])
    def unfeature(self, request, queryset):
        queryset.update(is_featured=False, updated_at=timezone.now())


@admin.register(ModerationRules)
class ModerationRulesAdmin(admin.ModelAdmin):
    """One set of rules: the list page goes straight to it."""

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit.record(
            "moderation.rules_changed", actor=request.user, target=obj, fields=form.changed_data
        )

    def changelist_view(self, request, extra_context=None):
        rules = ModerationRules.current()
        return redirect(reverse("admin:comments_moderationrules_change", args=[rules.pk]))


@admin.register(CommenterRule)
class CommenterRuleAdmin(admin.ModelAdmin):
    list_display = ["email", "action", "note", "created_by", "created_at"]
    list_filter = ["action"]
    list_select_related = ["created_by"]
    search_fields = ["email", "note"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        audit.record("moderation.commenter_rule", actor=request.user, target=obj)
