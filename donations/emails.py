"""
Receipts, stored in the outbox (newsroom.mail) inside the transaction that
completes the gift: a gift is never recorded as paid without its receipt, and
the outbox keeps the receipt until the mail server takes it.
"""

from newsroom.mail import send_templated


def send_receipt(donation):
    """Call from the transaction that completed `donation`."""
    send_templated(
        "donations/email/receipt.txt",
        {"donation": donation},
        [donation.donor.email],
        purpose="donations.receipt",
    )
