"""Money is an integer count of the currency's smallest unit and an ISO 4217 code; never a float."""

from decimal import Decimal

# ISO 4217 currencies without a minor unit; every other supported one has two decimals.
ZERO_DECIMAL = {"JPY", "KRW", "CLP", "PYG", "VND", "ISK", "UGX", "XAF", "XOF"}
SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "CA$", "AUD": "A$", "COP": "COL$"}


def minor_per_major(currency):
    return 1 if currency.upper() in ZERO_DECIMAL else 100


def to_minor(major, currency):
    """Whole or decimal major units (as typed) to minor units; rejects sub-cent amounts."""
    minor = Decimal(major) * minor_per_major(currency)
    if minor != minor.to_integral_value():
        raise ValueError("more precise than the currency's smallest unit")
    return int(minor)


def format_money(minor, currency):
    currency = currency.upper()
    per = minor_per_major(currency)
    symbol = SYMBOLS.get(currency, f"{currency} ")
    if per == 1:
        return f"{symbol}{minor:,}"
    major, cents = divmod(minor, per)
    return f"{symbol}{major:,}" if cents == 0 else f"{symbol}{major:,}.{cents:02d}"
