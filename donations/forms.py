import secrets

from django import forms
from django.conf import settings
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from donations.models import UTM_KEYS, Donation, Donor, Frequency, ManualMethod
from donations.money import format_money, parse_amount

CARD = "card"


class DonationForm(forms.Form):
    """
    The donate form. One time is the default frequency; amounts are read as
    the reader typed them and turned into the currency's smallest unit.
    """

    amount = forms.ChoiceField(
        label=_("Amount"),
        widget=forms.RadioSelect,
        required=False,
        error_messages={"invalid_choice": _("Choose one of the amounts, or type another.")},
    )
    other_amount = forms.CharField(label=_("Other amount"), required=False, max_length=12)
    currency = forms.ChoiceField(label=_("Currency"))
    frequency = forms.ChoiceField(
        label=_("How often"),
        choices=Frequency.choices,
        initial=Frequency.ONCE,
        widget=forms.RadioSelect,
    )
    name = forms.CharField(
        label=_("Name"), max_length=Donation._meta.get_field("name").max_length, required=False
    )
    email = forms.EmailField(
        label=_("Email"),
        max_length=Donor._meta.get_field("email").max_length,
        help_text=_("For your receipt. Never shown publicly."),
        error_messages={
            "required": _("Please enter a valid email address"),
            "invalid": _("Please enter a valid email address"),
        },
    )
    public_message = forms.CharField(
        label=_("A message for our newsroom (optional, may be shown publicly)"),
        max_length=Donation._meta.get_field("public_message").max_length,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    is_anonymous = forms.BooleanField(label=_("Give anonymously"), required=False)
    wants_badge = forms.BooleanField(
        label=_("Show a Supporter badge beside my comments"), required=False
    )
    method = forms.ChoiceField(label=_("Pay by"), widget=forms.RadioSelect, initial=CARD)
    # One rendering of the form: token_urlsafe(24) gives 32 characters of this alphabet.
    checkout_key = forms.CharField(
        widget=forms.HiddenInput,
        validators=[RegexValidator(r"\A[A-Za-z0-9_-]{16,64}\Z")],
    )
    source = forms.CharField(widget=forms.HiddenInput, required=False)
    # Campaign tags from the link the reader came by, carried by the form rather
    # than a session, so reading the page stores nothing. Unsafe values are dropped.
    utm_source = forms.CharField(widget=forms.HiddenInput, required=False)
    utm_medium = forms.CharField(widget=forms.HiddenInput, required=False)
    utm_campaign = forms.CharField(widget=forms.HiddenInput, required=False)
    utm_term = forms.CharField(widget=forms.HiddenInput, required=False)
    utm_content = forms.CharField(widget=forms.HiddenInput, required=False)
    # Named like a real field so robots fill it; hidden from people by CSS.
    website = forms.CharField(label=_("Leave this empty"), required=False)

    def __init__(self, *args, suggested, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["amount"].choices = [(str(a), str(a)) for a in suggested] + [
            ("other", _("Other"))
        ]
        self.fields["currency"].choices = [(c, c) for c in settings.DONATIONS_CURRENCIES]
        self.fields["currency"].error_messages["invalid_choice"] = _(
            "We accept gifts in %(currencies)s."
        ) % {"currencies": ", ".join(settings.DONATIONS_CURRENCIES)}
        self.fields["currency"].initial = settings.DONATIONS_CURRENCIES[0]
        self.manual_methods = list(ManualMethod.objects.filter(is_active=True))
        self.fields["method"].choices = [(CARD, _("Card"))] + [
            (str(m.pk), m.name) for m in self.manual_methods
        ]
        self.fields["checkout_key"].initial = secrets.token_urlsafe(24)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("website"):
            raise forms.ValidationError(_("Your donation looks automated and was not sent."))
        if "checkout_key" in self.errors:
            # Only a tampered or truncated page gets here; the reader can do nothing
            # about a hidden field, so say it plainly and hand out a fresh form.
            del self.errors["checkout_key"]
            self.add_error(
                None, _("This form had expired. Please check your gift and send it again.")
            )
            self.renew_checkout_key()
        for name in ("source", *UTM_KEYS):
            # Where the reader came from is worth keeping, never worth refusing a gift for.
            if self.errors.pop(name, None):
                cleaned[name] = ""
        currency = cleaned.get("currency")
        if currency:
            cleaned["amount_minor"] = self._amount_in_minor_units(cleaned, currency)
        cleaned["utm"] = {key: cleaned.get(key, "") for key in UTM_KEYS}
        return cleaned

    def renew_checkout_key(self):
        """
        A refused or expired form comes back with a new key, so sending it again
        starts a new gift instead of meeting the refused one.
        """
        self.data = self.data.copy()
        self.data["checkout_key"] = secrets.token_urlsafe(24)

    def _amount_in_minor_units(self, cleaned, currency):
        typed = cleaned.get("other_amount", "").strip()
        chosen = cleaned.get("amount")
        raw = typed if typed or chosen in (None, "", "other") else chosen
        try:
            amount = parse_amount(raw, currency)
        except ValueError:
            self.add_error("other_amount", _("Enter an amount such as 25, 25.50, 25,50 or 1,000."))
            return None
        low, high = settings.DONATIONS_MIN_AMOUNT, settings.DONATIONS_MAX_AMOUNT
        if not low <= amount <= high:
            self.add_error(
                "other_amount",
                _("Gifts can be from %(low)s to %(high)s.")
                % {"low": format_money(low, currency), "high": format_money(high, currency)},
            )
            return None
        return amount

    def manual_method(self):
        chosen = self.cleaned_data.get("method")
        return next((m for m in self.manual_methods if str(m.pk) == chosen), None)
