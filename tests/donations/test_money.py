from decimal import Decimal

import pytest

from donations.money import format_money, to_minor


@pytest.mark.parametrize(
    "typed, currency, minor",
    [("10", "USD", 1000), ("25.50", "USD", 2550), ("0.01", "USD", 1), ("1000", "JPY", 1000)],
)
def test_amounts_become_integer_minor_units(typed, currency, minor):
    assert to_minor(Decimal(typed), currency) == minor


@pytest.mark.parametrize("typed, currency", [("10.005", "USD"), ("10.5", "JPY")])
def test_amounts_finer_than_the_currency_are_refused(typed, currency):
    with pytest.raises(ValueError):
        to_minor(Decimal(typed), currency)


@pytest.mark.parametrize(
    "minor, currency, shown",
    [(1000, "USD", "$10"), (2550, "USD", "$25.50"), (250000000, "USD", "$2,500,000"),
     (1500, "EUR", "€15"), (1000, "JPY", "JPY 1,000")],
)  # fmt: skip
def test_money_is_shown_as_readers_write_it(minor, currency, shown):
    assert format_money(minor, currency) == shown
