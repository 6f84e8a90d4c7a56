"""
The platform's own defences: refusing control characters in addresses, keeping the
admin out of search engines, and the staff sign-in's second factor (TOTP).

Throttling sign-in is django-axes' job and the Content-Security-Policy django-csp's;
both are configured in settings. What is here is what those packages do not do.
"""

import re
import time
from base64 import b32encode

import segno
from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.core.validators import RegexValidator
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.defaults import bad_request
from django_otp import devices_for_user
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from newsroom import audit

# Any C0 control character in a path; in query values tab, CR and LF can be legitimate
# (a pasted search), the others never are. PostgreSQL refuses NUL outright (a 500 before this).
_PATH_CONTROL = re.compile(r"[\x00-\x1f]")
_QUERY_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


class ControlCharactersMiddleware:
    """Answer 400 to a path or query string carrying control characters, before any view runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query_parts = (part for key, values in request.GET.lists() for part in (key, *values))
        if _PATH_CONTROL.search(request.path) or any(map(_QUERY_CONTROL.search, query_parts)):
            return bad_request(request, ValueError("control character in the address"))
        return self.get_response(request)


class AdminNoIndexMiddleware:
    """Keep the admin out of search engines wherever ADMIN_URL puts it; robots.txt won't say."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(reverse("admin:index")):
            response["X-Robots-Tag"] = "noindex"
        return response


class AdminSignInForm(AdminAuthenticationForm):
    """
    The admin sign-in, plus the code from an authenticator app for staff who set one up.

    Every failure gives the same message, so a wrong code does not tell a guesser that the
    password was right; and it counts as a failed sign-in, so django-axes throttles code
    guessing as it does password guessing.
    """

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": _(
            "Please enter the correct %(username)s, password and, if you have set up "
            "two-factor sign-in, authentication code for a staff account. Note that the "
            "fields may be case-sensitive."
        ),
    }

    otp_token = forms.CharField(
        label=_("Authentication code"),
        required=False,
        max_length=12,
        help_text=_("From your authenticator app. Leave empty if you have not set one up."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean(self):
        cleaned_data = super().clean()
        user = self.get_user()
        if user is None:  # a field was missing: Django has already said so
            return cleaned_data
        with transaction.atomic():
            # Rows locked, so two requests cannot both spend the same code.
            devices = list(devices_for_user(user, confirmed=True, for_verify=True))
            token = cleaned_data.get("otp_token", "").strip()
            device = next((d for d in devices if token and d.verify_token(token)), None)
        if devices:
            if device is None:
                user_login_failed.send(
                    sender=__name__,
                    credentials={"username": user.get_username()},
                    request=self.request,
                )
                raise self.get_invalid_login_error()
            # django-otp marks the session verified when the sign-in completes.
            user.otp_device = device
        return cleaned_data


class TotpCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Authentication code"),
        validators=[RegexValidator(r"^\d{6}$", _("Enter the 6-digit code your app shows."))],
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def totp_secret_text(key):
    """The key as an app's "enter a setup key" field expects it: base32, in groups of four."""
    secret = b32encode(bytes.fromhex(key)).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def totp_qr_data_uri(uri):
    """The otpauth:// URI as an SVG QR code, made here: the secret never leaves the server."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def totp_device_confirm(*, user, key, token):
    """
    Save the staff member's authenticator app once its first code proves it holds the key.

    Nothing is stored before that, so an abandoned setup leaves no device that would lock
    its owner out. The confirming code is spent: it cannot also be used to sign in.
    """
    device = TOTPDevice(user=user, name=str(_("Authenticator app")), key=key, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if not totp.verify(int(token), device.tolerance):
        return None
    device.last_t = totp.t()
    device.drift = totp.drift
    with transaction.atomic():
        device.save()
        audit.record("two_factor.enabled", actor=user, target=user)
    return device


def totp_device_remove(*, user, token):
    """Remove the staff member's authenticator apps, if a current code from one is given."""
    with transaction.atomic():
        devices = list(devices_for_user(user, confirmed=True, for_verify=True))
        if not any(device.verify_token(token) for device in devices):
            return False
        TOTPDevice.objects.filter(user=user).delete()
        audit.record("two_factor.removed", actor=user, target=user)
    return True
