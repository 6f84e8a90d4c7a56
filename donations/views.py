import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from donations import services, stripe_events
from donations.forms import DonationForm
from donations.models import Appeal, Campaign, Donation, safe_utm
from donations.money import SYMBOLS, format_money, parse_amount
from donations.providers import get_provider
from donations.providers.stripe import StripeProvider
from donations.providers.testmode import TestModeProvider
from newsroom.logs import fingerprint
from newsroom.network import client_address

THANKS_SALT = "donations.thanks"

logger = logging.getLogger(__name__)


def _local_path(value):
    """
    Only a path on this site is kept as a gift's source: never an outside address,
    nor one that the database or a spreadsheet would choke on.
    """
    value = value or ""
    # Checked before parsing: urlsplit quietly drops tabs and line breaks.
    if len(value) > 500 or any(ord(char) < 32 or ord(char) == 127 for char in value):
        return ""
    try:
        parts = urlsplit(value)
    except ValueError:  # "//[" is not a URL at all
        return ""
    local = not parts.scheme and not parts.netloc and parts.path.startswith("/")
    return parts.path if local else ""


def _campaign(slug):
    campaigns = Campaign.objects.active().with_progress()
    if slug:
        return get_object_or_404(campaigns, slug=slug)
    return campaigns.first()


@require_http_methods(["GET", "POST"])
def donate(request, slug=None):
    campaign = _campaign(slug)
    suggested = (campaign and campaign.suggested_amounts) or settings.DONATIONS_SUGGESTED_AMOUNTS
    status = 200
    if request.method == "POST":
        status = 400
        form = DonationForm(request.POST, suggested=suggested)
        if form.is_valid():
            data = form.cleaned_data
            try:
                donation, url = services.donation_start(
                    checkout_key=data["checkout_key"],
                    amount=data["amount_minor"],
                    currency=data["currency"],
                    frequency=data["frequency"],
                    email=data["email"],
                    name=data["name"],
                    campaign=campaign,
                    public_message=data["public_message"],
                    is_anonymous=data["is_anonymous"],
                    wants_badge=data["wants_badge"],
                    source_path=_local_path(data["source"]),
                    utm=data["utm"],
                    manual_method=form.manual_method(),
                    ip_address=client_address(request),
                    success_url=request.build_absolute_uri(reverse("donations:thanks")),
                    cancel_url=request.build_absolute_uri(request.path),
                )
            except services.PaymentUnavailable as outage:
                # Same form, same key: sent again, it meets the same pending gift.
                form.add_error(None, outage.message)
                status = 503
            except services.DonationRefused as refusal:
                form.add_error(None, refusal.message)
                form.renew_checkout_key()
            else:
                return redirect(url or thanks_url(donation))
    else:
        form = DonationForm(initial=_initial(request), suggested=suggested)
    response = render(
        request,
        "donations/donate.html",
        {
            "form": form,
            "campaign": campaign,
            "appeal": Appeal.objects.current(),
            "recent_donors": _recent_donors(campaign),
            "button_label": _button_label(form),
            "currency_symbol": SYMBOLS.get(settings.DONATIONS_CURRENCIES[0], ""),
        },
        status=status,
    )
    if status == 503:
        # Browsers show the page, entries and all; monitors count an outage. The
        # service logged it once, as a warning: Django would add an ERROR per try.
        response["Retry-After"] = "60"
        response._has_been_logged = True
    return response


def _initial(request):
    """What a link may preselect; anything malformed is ignored, as if it were not there."""
    initial = {"source": _local_path(request.GET.get("source", "")), **safe_utm(request.GET)}
    if request.GET.get("amount"):
        initial["amount"] = request.GET["amount"]
    if request.GET.get("frequency") in ("once", "month", "year"):
        initial["frequency"] = request.GET["frequency"]
    return initial


def _button_label(form):
    """ "Give $10 / month": the frequency is said on the button, never chosen by surprise."""
    data = form.data if form.is_bound else {}
    amount = data.get("other_amount") or data.get("amount") or form.initial.get("amount")
    frequency = data.get("frequency") or form.initial.get("frequency") or "once"
    currency = data.get("currency") or settings.DONATIONS_CURRENCIES[0]
    if not amount or amount == "other":
        return _("Give")
    try:
        shown = format_money(parse_amount(amount, currency), currency)
    except ValueError:
        return _("Give")
    if frequency == "month":
        return _("Give %(amount)s / month") % {"amount": shown}
    if frequency == "year":
        return _("Give %(amount)s / year") % {"amount": shown}
    return _("Give %(amount)s") % {"amount": shown}


def _recent_donors(campaign):
    """Each paid gift under the name typed for it: a donor record's name is not proof."""
    if not campaign or not campaign.show_donors:
        return []
    return list(
        Donation.objects.completed()
        .filter(campaign=campaign, is_anonymous=False)
        .order_by("-completed_at")[:10]
    )


def thanks_url(donation):
    return f"{reverse('donations:thanks')}?gift={signing.dumps(donation.pk, salt=THANKS_SALT)}"


@never_cache
def thanks(request):
    """Thanks, and where the gift stands: the return from checkout completes nothing."""
    donation = None
    try:
        pk = signing.loads(request.GET.get("gift", ""), salt=THANKS_SALT, max_age=7 * 24 * 3600)
        donation = Donation.objects.select_related("manual_method", "donor").filter(pk=pk).first()
    except signing.BadSignature:
        pass
    return render(request, "donations/thanks.html", {"donation": donation})


@require_http_methods(["GET", "POST"])
def test_checkout(request, token):
    """The TEST MODE provider's checkout page: nothing is charged, the rest is real."""
    try:
        provider = get_provider()
    except ImproperlyConfigured:
        raise Http404 from None
    if not isinstance(provider, TestModeProvider):
        raise Http404
    try:
        donation = get_object_or_404(
            Donation.objects.select_related("donor"), pk=TestModeProvider.donation_id(token)
        )
    except signing.BadSignature:
        raise Http404 from None
    if request.method == "POST":
        if request.POST.get("outcome") == "complete":
            subscription_id = f"testsub_{donation.pk}" if donation.is_recurring() else None
            services.donation_confirm(
                donation=donation,
                payment_id=f"testpay_{donation.pk}",
                subscription_id=subscription_id,
            )
        else:
            services.donation_fail(donation=donation)
        return redirect(thanks_url(donation))
    return render(request, "donations/test_checkout.html", {"donation": donation})


@csrf_exempt  # Stripe signs its requests; there is no browser session to protect
@require_POST
def stripe_webhook(request):
    try:
        event = StripeProvider.verified_event(
            request.body, request.headers.get("Stripe-Signature", "")
        )
        event_id, event_type, obj = stripe_events.event_parts(event)
    except ValueError as refusal:
        logger.warning(
            "Stripe webhook refused",
            extra={
                "event": "donations.webhook_refused",
                "reason": getattr(refusal, "reason", str(refusal)),
                "client": fingerprint(client_address(request)),
            },
        )
        return HttpResponseBadRequest(str(refusal), content_type="text/plain")
    handler = stripe_events.HANDLERS.get(event_type)
    if handler is None:
        logger.info(
            "Stripe event acknowledged, not handled",
            extra={
                "event": "donations.webhook_ignored",
                "stripe_event": event_id,
                "stripe_type": event_type,
                "reason": "no handler for this type",
            },
        )
        return HttpResponse(status=200)  # acknowledged, not ours to handle
    try:
        services.event_process(
            provider="stripe",
            event_id=event_id,
            event_type=event_type,
            handler=lambda: handler(obj, event_id=event_id),
        )
    except stripe_events.NotYetKnown:
        # Stripe retries any non-2xx response; by then the gift it refers to will exist.
        return HttpResponse("not yet known", status=409)
    except stripe_events.NotOurs as reason:
        # Signed, so worth a line in the log; a retry would be the same, so 2xx.
        logger.warning(
            "Ignored Stripe event %s (%s): %s",
            event_id,
            event_type,
            reason,
            extra={
                "event": "donations.webhook_ignored",
                "stripe_event": event_id,
                "stripe_type": event_type,
                "reason": str(reason),
            },
        )
    return HttpResponse(status=200)
