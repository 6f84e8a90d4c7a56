from pathlib import Path

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.contrib.flatpages.admin import FlatPageAdmin
from django.contrib.flatpages.forms import FlatpageForm
from django.contrib.flatpages.models import FlatPage
from django.template import engines
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from articles.sanitize import validate_body_size
from newsroom import audit, mail
from newsroom.models import AuditEntry, OutgoingEmail


def static_page_templates():
    """
    The templates a static page may be shown with: those under flatpages/ in a
    template folder. Any other would put an internal page at a public address,
    such as the admin's sign-in form or an email meant for one donor.
    """
    names = sorted(
        {
            f"flatpages/{path.name}"
            for folder in engines["django"].template_dirs
            for path in Path(folder, "flatpages").glob("*.html")
        }
    )
    return [("", _("Default")), *((name, name) for name in names)]


class StaticPageForm(FlatpageForm):
    """
    The content within the size limit, before anything parses it (every save
    then sanitizes it: articles.signals), and a template from the list.
    """

    template_name = forms.ChoiceField(
        label=FlatPage._meta.get_field("template_name").verbose_name,
        choices=static_page_templates,
        required=False,
        error_messages={
            "invalid_choice": _(
                "“%(value)s” is not a static page template; choose one from the list."
            )
        },
    )

    def clean_content(self):
        validate_body_size(self.cleaned_data["content"])
        return self.cleaned_data["content"]


class NewsroomFlatPageAdmin(FlatPageAdmin):
    form = StaticPageForm


admin.site.unregister(FlatPage)
admin.site.register(FlatPage, NewsroomFlatPageAdmin)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the log is written by the code that acts, and nobody edits history."""

    list_display = ["created_at", "actor", "action", "target_type", "target_repr"]
    list_filter = [
        "action",
        "target_type",
        ("actor", admin.RelatedOnlyFieldListFilter),
        "created_at",
    ]
    list_select_related = ["actor", "target_type"]
    search_fields = ["target_repr", "action", "actor__username"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(admin.ModelAdmin):
    """
    Read-only, so staff can see what did not reach a reader and send it again;
    each sees only their app's email (OutgoingEmail.objects.visible_to). The
    body is not shown: a receipt carries the commenter's private link.
    """

    list_display = [
        "created_at",
        "purpose",
        "recipient_list",
        "subject",
        "status",
        "attempts",
        "last_error",
        "next_attempt_at",
        "sent_at",
    ]
    list_filter = ["status", "purpose"]
    search_fields = ["recipients", "subject"]
    fields = list_display
    readonly_fields = list_display
    date_hierarchy = "created_at"
    actions = ["send_again_now"]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user).defer("body")

    @admin.display(description=_("recipients"))
    def recipient_list(self, email):
        return ", ".join(email.recipients)

    @admin.action(description=_("Send again now"), permissions=["resend"])
    def send_again_now(self, request, queryset):
        count = mail.send_again(queryset)
        self.message_user(
            request,
            ngettext(
                "%(count)d email is being sent again; its status here shows how it went.",
                "%(count)d emails are being sent again; their status here shows how it went.",
                count,
            )
            % {"count": count},
        )

    def has_resend_permission(self, request):
        return request.user.has_perm("newsroom.resend_outgoingemail")

    def changelist_view(self, request, extra_context=None):
        failed = self.get_queryset(request).filter(status=OutgoingEmail.Status.FAILED).count()
        if failed:
            title = ngettext(
                "Outgoing email: %(count)d failed to send",
                "Outgoing email: %(count)d failed to send",
                failed,
            ) % {"count": failed}
            extra_context = {"title": title, **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AuditedUserAdmin(UserAdmin):
    """Records who put whom into which staff group."""

    def save_related(self, request, form, formsets, change):
        before = set(form.instance.groups.values_list("name", flat=True)) if change else set()
        super().save_related(request, form, formsets, change)
        after = set(form.instance.groups.values_list("name", flat=True))
        for group in sorted(after - before):
            audit.record(
                "user.added_to_group", actor=request.user, target=form.instance, group=group
            )
        for group in sorted(before - after):
            audit.record(
                "user.removed_from_group", actor=request.user, target=form.instance, group=group
            )


admin.site.unregister(User)
admin.site.register(User, AuditedUserAdmin)
