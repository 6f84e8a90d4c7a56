"""Money is an integer count of the currency's smallest unit and an ISO 4217 code; never a float."""

import re
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


# What readers type, ASCII digits only: "25", "25.50", "1,000", "1,000.50", "10,00".
PLAIN = re.compile(r"(?P<whole>[0-9]{1,9})(?:\.(?P<cents>[0-9]+))?", re.ASCII)
THOUSANDS = re.compile(r"(?P<whole>[0-9]{1,3}(?:,[0-9]{3}){1,2})(?:\.(?P<cents>[0-9]+))?", re.ASCII)
DECIMAL_COMMA = re.compile(r"(?P<whole>[0-9]{1,9}),(?P<cents>[0-9]{2})", re.ASCII)


def parse_amount(typed, currency):
    """
    An amount as a reader means it, in minor units; ValueError for anything else.

    A comma before exactly two final digits is a decimal comma where the currency
    has cents ("10,00" is ten), a comma before groups of three separates
    thousands ("1,000"); other shapes ("1,5", "1e9", "Infinity", "-0") are refused
    rather than guessed, as are more decimals than the currency has.
    """
    typed = (typed or "").strip()
    decimals = 2 if minor_per_major(currency) == 100 else 0
    match = PLAIN.fullmatch(typed) or THOUSANDS.fullmatch(typed)
    if match is None and decimals:
        match = DECIMAL_COMMA.fullmatch(typed)
    if match is None:
        raise ValueError("not an amount")
    whole, cents = match["whole"].replace(",", ""), match["cents"] or ""
    if len(cents) > decimals:
        raise ValueError("more precise than the currency's smallest unit")
    return to_minor(Decimal(f"{whole}.{cents or 0}"), currency)


def format_money(minor, currency):
    currency = currency.upper()
    per = minor_per_major(currency)
    symbol = SYMBOLS.get(currency, f"{currency} ")
    if per == 1:
        return f"{symbol}{minor:,}"
    major, cents = divmod(minor, per)
    return f"{symbol}{major:,}" if cents == 0 else f"{symbol}{major:,}.{cents:02d}"
