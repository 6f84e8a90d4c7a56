import csv

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Count, Max, Min, Q, Sum
from django.http import StreamingHttpResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from donations.models import (
    Appeal,
    Campaign,
    Donation,
    Donor,
    ManualMethod,
    Subscription,
)
from donations.money import format_money
from donations.services import donation_confirm

CSV_COLUMNS = [
    "id", "created_at", "completed_at", "status", "amount", "currency", "frequency", "email",
    "name", "campaign", "provider", "provider_payment_id", "manual_method", "anonymous",
    "source_path", "utm_source", "utm_medium", "utm_campaign",
]  # fmt: skip


class _Echo:
    def write(self, value):
        return value


def _cell(value):
    """
    A spreadsheet runs a text cell starting with = + - @ tab or CR as a formula
    (OWASP "CSV injection"), so such text gets a leading quote. Numbers we
    produce ourselves (ids, amounts) stay numbers.
    """
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@", "\t", "\r")):
        return f"'{value}"
    return value


def _csv_rows(queryset):
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for d in queryset.select_related("donor", "campaign", "manual_method").iterator(2000):
        yield writer.writerow(_cell(value) for value in [
            d.pk, d.created_at.isoformat(), d.completed_at.isoformat() if d.completed_at else "",
            d.status, d.amount, d.currency, d.frequency, d.donor.email, d.name,
            d.campaign.name if d.campaign else "", d.provider, d.provider_payment_id or "",
            d.manual_method.name if d.manual_method else "", d.is_anonymous, d.source_path,
            d.utm.get("utm_source", ""), d.utm.get("utm_medium", ""), d.utm.get("utm_campaign", ""),
        ])  # fmt: skip


@admin.register(Donation)
class DonationAdmin(admin.ModelAdmin):
    list_display = [
        "created_at", "amount_shown", "frequency", "donor", "campaign", "status", "provider",
        "source_path",
    ]  # fmt: skip
    list_filter = ["status", "frequency", "campaign", "provider", "created_at"]
    list_select_related = ["donor", "campaign"]
    search_fields = ["donor__email", "donor__name", "name"]
    date_hierarchy = "created_at"
    actions = ["export_csv", "mark_received"]
    readonly_fields = [
        "donor", "campaign", "subscription", "amount", "currency", "frequency", "status",
        "provider", "provider_session_id", "provider_payment_id", "manual_method", "name",
        "wants_badge", "public_message", "is_anonymous", "source_path", "utm", "created_at",
        "completed_at", "refunded_at",
    ]  # fmt: skip

    def has_add_permission(self, request):
        return False  # gifts come from readers and the payment provider

    @admin.display(description=_("amount"), ordering="amount")
    def amount_shown(self, donation):
        return donation.amount_display()

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            totals = (
                changelist.queryset.order_by()
                .values("currency")
                .annotate(total=Sum("amount"), gifts=Count("pk"))
                .order_by("currency")
            )
            response.context_data["totals"] = [
                {"amount": format_money(row["total"], row["currency"]), "gifts": row["gifts"]}
                for row in totals
            ]
        return response

    @admin.action(description=_("Export selected to CSV"), permissions=["view"])
    def export_csv(self, request, queryset):
        response = StreamingHttpResponse(_csv_rows(queryset), content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="donations.csv"'
        return response

    @admin.action(description=_("Mark manual pledge as received"), permissions=["change"])
    def mark_received(self, request, queryset):
        pledges = queryset.filter(status=Donation.Status.PENDING, manual_method__isnull=False)
        done = sum(donation_confirm(donation=pledge, by=request.user) for pledge in pledges)
        self.message_user(
            request,
            ngettext("Completed %d pledge.", "Completed %d pledges.", done) % done,
            messages.SUCCESS,
        )


def primary_currency():
    return settings.DONATIONS_CURRENCIES[0]


@admin.register(Donor)
class DonorAdmin(admin.ModelAdmin):
    list_display = ["email", "name", "lifetime", "first_gift", "last_gift", "active_recurring"]
    search_fields = ["email", "name"]
    readonly_fields = ["email", "created_at"]

    def get_queryset(self, request):
        completed = Q(donations__status=Donation.Status.COMPLETED)
        in_primary_currency = completed & Q(donations__currency=primary_currency())
        return (
            super()
            .get_queryset(request)
            .annotate(
                lifetime_total=Sum("donations__amount", filter=in_primary_currency),
                first=Min("donations__completed_at", filter=completed),
                last=Max("donations__completed_at", filter=completed),
                recurring=Count(
                    "subscriptions",
                    filter=Q(subscriptions__status=Subscription.Status.ACTIVE),
                    distinct=True,
                ),
            )
        )

    @admin.display(description=_("lifetime total"), ordering="lifetime_total")
    def lifetime(self, donor):
        return format_money(donor.lifetime_total or 0, primary_currency())

    @admin.display(description=_("first gift"), ordering="first")
    def first_gift(self, donor):
        return donor.first

    @admin.display(description=_("last gift"), ordering="last")
    def last_gift(self, donor):
        return donor.last

    @admin.display(description=_("active recurring gifts"), ordering="recurring")
    def active_recurring(self, donor):
        return donor.recurring


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active", "starts_at", "ends_at", "goal_shown", "progress"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).with_progress()

    @admin.display(description=_("goal"))
    def goal_shown(self, campaign):
        return campaign.goal_display()

    @admin.display(description=_("raised"))
    def progress(self, campaign):
        return (
            f"{campaign.raised_display()} ({campaign.progress_percent()}%, {campaign.donor_count})"
        )


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["donor", "__str__", "status", "provider", "created_at", "cancelled_at"]
    list_filter = ["status", "frequency"]
    list_select_related = ["donor"]
    search_fields = ["donor__email", "provider_subscription_id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ManualMethod)
class ManualMethodAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active"]


@admin.register(Appeal)
class AppealAdmin(admin.ModelAdmin):
    list_display = ["__str__", "button_label", "campaign", "is_active", "updated_at"]
    list_filter = ["is_active"]
    list_select_related = ["campaign"]
