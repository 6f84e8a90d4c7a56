from datetime import timedelta

from django.conf import settings
from django.contrib import admin, messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from newsroom import security

DEFAULT_ADMIN_URL = "admin/"
TOTP_SETUP_KEY = "two_factor_setup_key"


@require_GET
def robots_txt(request):
    """Name the admin only where scanners look anyway: a custom ADMIN_URL stays unsaid."""
    admin_path = f"/{DEFAULT_ADMIN_URL}" if settings.ADMIN_URL == DEFAULT_ADMIN_URL else None
    return render(
        request,
        "robots.txt",
        {"admin_path": admin_path},
        content_type="text/plain; charset=utf-8",
    )


@require_GET
def security_txt(request):
    """
    RFC 9116: where researchers report a vulnerability, read by their tools at a
    well-known address. Without a contact configured there is nothing to promise.
    """
    if not settings.SECURITY_CONTACT:
        raise Http404
    expires = (timezone.now() + timedelta(days=180)).replace(microsecond=0)
    lines = [f"Contact: {contact}" for contact in settings.SECURITY_CONTACT]
    lines += [
        f"Expires: {expires.isoformat().replace('+00:00', 'Z')}",
        f"Preferred-Languages: {settings.LANGUAGE_CODE.split('-')[0]}",
        f"Canonical: {request.build_absolute_uri()}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


@require_GET
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says; send them to the real icon."""
    return redirect(static("newsroom/favicon.svg"), permanent=True)


def signin_locked_out(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out sign-in: what happened and when to try again."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "admin/lockout.html", {"minutes": minutes}, status=429)


def two_factor(request):
    """
    A staff member sets up or removes their own authenticator app.

    The key being set up waits in the session until the app's first code confirms it;
    removing needs a current code, so a borrowed signed-in browser cannot turn it off.
    """
    device = next(devices_for_user(request.user, confirmed=True), None)
    form = security.TotpCodeForm(request.POST or None)
    context = {**admin.site.each_context(request), "title": _("Two-factor sign-in"), "form": form}
    if device is None:
        key = request.session.setdefault(TOTP_SETUP_KEY, random_hex(20))
        if form.is_valid():
            device = security.totp_device_confirm(
                user=request.user, key=key, token=form.cleaned_data["code"]
            )
            if device is not None:
                del request.session[TOTP_SETUP_KEY]
                otp_login(request, device)
                messages.success(request, _("Two-factor sign-in is on."))
                return redirect("two_factor")
            form.add_error(
                "code", _("That code is not right. Check your phone's clock and try again.")
            )
        uri = TOTPDevice(user=request.user, key=key).config_url
        context.update(
            uri=uri, qr_code=security.totp_qr_data_uri(uri), secret=security.totp_secret_text(key)
        )
    else:
        if form.is_valid():
            if security.totp_device_remove(user=request.user, token=form.cleaned_data["code"]):
                messages.success(request, _("Two-factor sign-in is off."))
                return redirect("two_factor")
            form.add_error("code", _("That code is not right."))
        context["device"] = device
    return render(request, "admin/two_factor.html", context)
