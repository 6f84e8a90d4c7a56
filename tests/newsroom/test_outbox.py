"""
The outbox against a real SMTP server (aiosmtpd) that is down, then up: no
email lost, none sent twice, failures counted, logged and shown to staff.

"Down" is a port nothing listens on, so the connection is refused; the clock
is moved with time-machine, never slept through.
"""

import asyncio
import logging
import re
import threading
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import OperationalError, connection, transaction
from django.utils import timezone
from django_tasks import task

from newsroom.logs import fingerprint
from newsroom.mail import deliver_email, send_templated
from newsroom.models import INTERRUPTED_WHILE_SENDING, OutgoingEmail
from tests.factories import DonationFactory
from tests.faults import SmtpSink, free_port

CHANGELIST = "/admin/newsroom/outgoingemail/"


@pytest.fixture
def mail_server_down(settings):
    """Email goes by SMTP to a port that refuses connections; its number, to bring a server up."""
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    return port


@pytest.fixture
def database_tasks(settings):
    """The production task backend: tasks wait in the database for `manage.py db_worker`."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def run_worker():
    """One pass of the production worker over every task that is due, then it exits."""
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "--interval", "0")


def sent_to(sink, address):
    return [message for message in sink.messages if message["To"] == address]


def queue_receipt(**headers):
    """A donor's receipt through the outbox, committed as a task would commit it."""
    donation = DonationFactory(donor__email="luisa@example.org")
    with transaction.atomic():
        email = send_templated(
            "donations/email/receipt.txt",
            {"donation": donation},
            ["luisa@example.org"],
            purpose="donations.receipt",
            headers=headers or None,
        )
    return email


# The donation receipt through the production worker (the comment receipt: tests/comments).


@pytest.mark.django_db(transaction=True)
def test_a_donation_receipt_waits_out_a_mail_outage_and_arrives_once(
    client, settings, mail_server_down, database_tasks
):
    settings.STRIPE_SECRET_KEY = ""
    settings.DONATIONS_TEST_PROVIDER = True
    page = client.get("/donate/").content.decode()
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    checkout = client.post(
        "/donate/",
        {
            "amount": "10",
            "frequency": "once",
            "email": "luisa@example.org",
            "name": "Luisa",
            "method": "card",
            **hidden,
        },  # fmt: skip
    )["Location"]
    done = client.post(checkout, {"outcome": "complete"}, follow=True)
    assert "Your gift of $10 (one time) is confirmed." in done.content.decode()

    failed_at = timezone.now()
    run_worker()
    email = OutgoingEmail.objects.get()
    assert email.purpose == "donations.receipt" and email.recipients == ["luisa@example.org"]
    assert email.status == OutgoingEmail.Status.RETRYING and email.attempts == 1
    assert "ConnectionRefusedError" in email.last_error
    assert failed_at + timedelta(seconds=60) <= email.next_attempt_at
    assert email.next_attempt_at <= timezone.now() + timedelta(seconds=60)

    with SmtpSink(port=mail_server_down) as sink:
        run_worker()
        assert not sink.messages  # the next attempt is not due yet
        with time_machine.travel(email.next_attempt_at + timedelta(seconds=1), tick=False):
            run_worker()
            run_worker()
            call_command("send_queued_email")
    (receipt,) = sink.messages
    assert receipt["To"] == "luisa@example.org"
    assert receipt["Subject"] == f"Thank you for supporting {settings.SITE_NAME}"
    assert "Amount: $10" in receipt.get_content()
    email.refresh_from_db()
    assert email.status == OutgoingEmail.Status.SENT and email.attempts == 1


@pytest.mark.django_db(transaction=True)
def test_every_attempt_waits_twice_as_long_up_to_the_cap_then_the_email_is_failed(
    settings, mail_server_down, database_tasks, caplog
):
    settings.MAIL_MAX_ATTEMPTS = 5
    settings.MAIL_RETRY_SECONDS = 60
    settings.MAIL_RETRY_MAX_SECONDS = 180
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        email = queue_receipt()
        run_worker()
    waits = []
    for _ in range(4):
        email.refresh_from_db()
        waits.append((email.next_attempt_at - now).total_seconds())
        now = email.next_attempt_at
        with time_machine.travel(now, tick=False):
            run_worker()
    email.refresh_from_db()
    assert waits == [60, 120, 180, 180]
    assert email.status == OutgoingEmail.Status.FAILED and email.attempts == 5
    assert email.next_attempt_at is None

    failures = [r for r in caplog.records if getattr(r, "event", "") == "mail.send_failed"]
    assert [r.attempt for r in failures] == [1, 2, 3, 4, 5]
    assert [r.levelno for r in failures] == [logging.WARNING] * 4 + [logging.ERROR]
    assert {r.recipient for r in failures} == {fingerprint("luisa@example.org")}
    assert {r.purpose for r in failures} == {"donations.receipt"}
    assert not any("luisa" in r.getMessage() or "luisa" in str(vars(r)) for r in failures)

    with (
        time_machine.travel(now + timedelta(days=1), tick=False),
        SmtpSink(port=mail_server_down) as sink,
    ):
        run_worker()
        call_command("send_queued_email")
    assert not sink.messages  # failed is final until staff send it again


@pytest.mark.django_db(transaction=True)
def test_an_email_rolled_back_with_its_transaction_is_never_sent(mail_server_down):
    with SmtpSink(port=mail_server_down) as sink:
        with pytest.raises(RuntimeError), transaction.atomic():
            queue_receipt()
            raise RuntimeError("the gift was not recorded after all")
        call_command("send_queued_email")
    assert not sink.messages and not OutgoingEmail.objects.exists()


# The immediate backend (development, tests): retries are the sweeper's.


@pytest.mark.django_db(transaction=True)
def test_on_the_immediate_backend_the_sweeper_sends_what_failed_once_it_is_due(mail_server_down):
    email = queue_receipt(**{"List-Unsubscribe": "<https://example.org/u/1/>"})
    email.refresh_from_db()
    assert email.status == OutgoingEmail.Status.RETRYING and email.attempts == 1
    with SmtpSink(port=mail_server_down) as sink:
        call_command("send_queued_email")
        assert not sink.messages
        with time_machine.travel(email.next_attempt_at, tick=False):
            call_command("send_queued_email")
            call_command("send_queued_email")
    (receipt,) = sink.messages
    assert receipt["List-Unsubscribe"] == "<https://example.org/u/1/>"
    assert receipt["Message-ID"] == email.headers["Message-ID"]


# Two workers at once (a duplicate task, the sweeper): a row lock, so PostgreSQL.


class HeldSmtpSink(SmtpSink):
    """Keeps each message in the middle of its sending until `release` is set."""

    def __init__(self, port=None):
        super().__init__(port)
        self.arrived = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.arrived.set()
        while not self.release.is_set():
            await asyncio.sleep(0.01)
        return await super().handle_DATA(server, session, envelope)


class SlowToAnswerSmtpSink(SmtpSink):
    """
    Stores each message (to `slow_for`, if given), then keeps its sender
    waiting for the 250 until `answer` is set: the window in which a sender cut
    off (killed, its database gone) has handed over the email without learning
    that it did.
    """

    def __init__(self, port=None, *, slow_for=None):
        super().__init__(port)
        self.slow_for = slow_for
        self.stored = threading.Event()
        self.answer = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        reply = await super().handle_DATA(server, session, envelope)
        if self.slow_for not in (None, *envelope.rcpt_tos):
            return reply
        self.stored.set()
        while not self.answer.is_set():
            await asyncio.sleep(0.01)
        return reply

    def stop(self):
        self.answer.set()
        super().stop()


def due_receipt():
    """One donor's receipt, waiting in the outbox and due now."""
    return OutgoingEmail.objects.create(
        purpose="donations.receipt",
        recipients=["luisa@example.org"],
        subject="Thank you",
        body="Receipt",
        next_attempt_at=timezone.now(),
    )


@pytest.mark.django_db(transaction=True)
def test_two_deliveries_of_one_email_at_once_send_it_once(mail_server_down):
    email = due_receipt()
    results = {}

    def deliver(name):
        try:
            results[name] = deliver_email.call(email.pk)
        finally:
            connection.close()

    with HeldSmtpSink(port=mail_server_down) as sink:
        first = threading.Thread(target=deliver, args=("first",))
        first.start()
        assert sink.arrived.wait(10), "the first delivery never reached the server"
        second = threading.Thread(target=deliver, args=("second",))
        second.start()
        second.join(5)
        finished_while_first_was_sending = not second.is_alive()
        sink.release.set()
        first.join(10)
        second.join(10)
    assert finished_while_first_was_sending
    assert results == {"first": OutgoingEmail.Status.SENT, "second": None}
    assert len(sink.messages) == 1


# Cut between the server's taking an email and its row recording it: never sent twice.


def refuse_recording_it_sent(execute, sql, params, many, context):
    """The database is gone just after the mail server said 250 (a proxy cut: tests/resilience)."""
    if sql.startswith('UPDATE "newsroom_outgoingemail"') and '"sent_at"' in sql:
        raise OperationalError("server closed the connection unexpectedly")
    return execute(sql, params, many, context)


def uncertain_records(caplog):
    return [r for r in caplog.records if getattr(r, "event", "") == "mail.delivery_uncertain"]


@pytest.mark.django_db(transaction=True)
def test_an_email_sent_but_not_recorded_is_failed_for_staff_not_sent_again(
    mail_server_down, database_tasks, revenue_client, caplog
):
    email = queue_receipt()
    with SmtpSink(port=mail_server_down) as sink:
        with connection.execute_wrapper(refuse_recording_it_sent):
            run_worker()
        assert len(sink.messages) == 1
        email.refresh_from_db()
        assert email.status == OutgoingEmail.Status.SENDING
        sending = revenue_client.get(f"{CHANGELIST}?status__exact=sending").content.decode()
        assert '<td class="field-status">sending</td>' in sending
        assert "luisa@example.org" in sending

        # Before its deadline the sending may still be going on: left alone.
        call_command("send_queued_email")
        run_worker()
        email.refresh_from_db()
        assert email.status == OutgoingEmail.Status.SENDING and not uncertain_records(caplog)

        with time_machine.travel(email.next_attempt_at + timedelta(seconds=1), tick=False):
            call_command("send_queued_email")
            call_command("send_queued_email")
            run_worker()
        assert len(sink.messages) == 1
        email.refresh_from_db()
        assert email.status == OutgoingEmail.Status.FAILED and email.attempts == 1
        assert email.last_error == (
            "Interrupted while sending: it may have been delivered. "
            "Check with the recipient before sending again."
        )
        (record,) = uncertain_records(caplog)
        assert record.levelno == logging.ERROR
        assert (record.purpose, record.email_id) == ("donations.receipt", email.pk)
        assert record.recipient == fingerprint("luisa@example.org")
        assert "luisa" not in record.getMessage() and "luisa" not in str(vars(record))

        page = revenue_client.get(CHANGELIST).content.decode()
        assert "Outgoing email: 1 failed to send" in page
        assert str(INTERRUPTED_WHILE_SENDING) in page.replace("&#x27;", "'")
        # Staff checked with the donor, who has no receipt: sent again, on purpose.
        revenue_client.post(
            CHANGELIST, {"action": "send_again_now", "_selected_action": [email.pk]}
        )
        run_worker()
    first, second = sink.messages
    assert first["Message-ID"] == second["Message-ID"] == email.headers["Message-ID"]
    email.refresh_from_db()
    assert email.status == OutgoingEmail.Status.SENT


@pytest.mark.django_db(transaction=True)
def test_a_send_that_outlasts_its_deadline_is_recorded_sent_after_all(mail_server_down, caplog):
    email = due_receipt()
    results = {}

    def deliver():
        try:
            results["status"] = deliver_email.call(email.pk)
        finally:
            connection.close()

    with SlowToAnswerSmtpSink(port=mail_server_down) as sink:
        sender = threading.Thread(target=deliver)
        sender.start()
        assert sink.stored.wait(10), "the delivery never reached the server"
        email.refresh_from_db()
        with time_machine.travel(email.next_attempt_at + timedelta(seconds=1), tick=False):
            call_command("send_queued_email")
            email.refresh_from_db()
            assert email.status == OutgoingEmail.Status.FAILED
            sink.answer.set()
            sender.join(10)
    assert results == {"status": OutgoingEmail.Status.SENT}
    assert len(sink.messages) == 1
    email.refresh_from_db()
    # The server's 250 came after all: staff are not asked to send it again.
    assert email.status == OutgoingEmail.Status.SENT and not email.last_error
    assert len(uncertain_records(caplog)) == 1


# Staff: the list, who sees what, and "Send again now".


def fail_for_good(settings, email):
    """Every attempt the cap allows, each when due, against the refused port."""
    while email.status != OutgoingEmail.Status.FAILED:
        with time_machine.travel(email.next_attempt_at, tick=False):
            call_command("send_queued_email")
        email.refresh_from_db()
    assert email.attempts == settings.MAIL_MAX_ATTEMPTS


@pytest.fixture
def failed_receipt(db, settings, mail_server_down, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        email = queue_receipt()
    email.refresh_from_db()
    fail_for_good(settings, email)
    return email


def test_failed_sends_are_counted_in_the_title_and_listed_for_revenue_staff(
    failed_receipt, revenue_client, django_capture_on_commit_callbacks, mail_server_down
):
    page = revenue_client.get(CHANGELIST).content.decode()
    assert "Outgoing email: 1 failed to send" in page
    assert "luisa@example.org" in page and "ConnectionRefusedError" in page
    assert "Send again now" in page
    assert "Keep this link" not in page and "Amount: $" not in page  # no bodies

    with SmtpSink(port=mail_server_down) as sink, django_capture_on_commit_callbacks(execute=True):
        response = revenue_client.post(
            CHANGELIST, {"action": "send_again_now", "_selected_action": [failed_receipt.pk]}
        )
    assert response.status_code == 302
    (receipt,) = sink.messages
    assert receipt["To"] == "luisa@example.org"
    failed_receipt.refresh_from_db()
    assert failed_receipt.status == OutgoingEmail.Status.SENT
    assert "failed to send" not in revenue_client.get(CHANGELIST).content.decode()


def test_sending_again_when_the_server_is_still_down_leaves_it_failed(
    failed_receipt, admin_client, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            CHANGELIST, {"action": "send_again_now", "_selected_action": [failed_receipt.pk]}
        )
    failed_receipt.refresh_from_db()
    assert failed_receipt.status == OutgoingEmail.Status.FAILED
    assert failed_receipt.attempts == settings.MAIL_MAX_ATTEMPTS + 1
    assert "Outgoing email: 1 failed to send" in admin_client.get(CHANGELIST).content.decode()


def test_a_sent_email_is_not_sent_again_by_the_action(
    admin_client, mail_server_down, django_capture_on_commit_callbacks
):
    with SmtpSink(port=mail_server_down) as sink:
        with django_capture_on_commit_callbacks(execute=True):
            email = queue_receipt()
        with django_capture_on_commit_callbacks(execute=True):
            admin_client.post(
                CHANGELIST, {"action": "send_again_now", "_selected_action": [email.pk]}
            )
    assert len(sink.messages) == 1


def test_each_staff_group_sees_only_its_own_readers_email(
    db, moderator_client, revenue_client, editor_client
):
    for purpose, address in [
        ("comments.receipt", "commenter@example.org"),
        ("donations.receipt", "donor@example.org"),
    ]:
        OutgoingEmail.objects.create(
            purpose=purpose, recipients=[address], subject="S", body="B", status="failed"
        )
    moderators = moderator_client.get(CHANGELIST).content.decode()
    assert "commenter@example.org" in moderators and "donor@example.org" not in moderators
    assert "1 failed to send" in moderators
    revenue = revenue_client.get(CHANGELIST).content.decode()
    assert "donor@example.org" in revenue and "commenter@example.org" not in revenue
    assert editor_client.get(CHANGELIST).status_code == 403


def test_the_list_is_read_only_and_searchable(admin_client, db):
    email = OutgoingEmail.objects.create(
        purpose="donations.receipt", recipients=["Luisa@Example.org"], subject="Thanks", body="B"
    )
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403
    assert admin_client.post(f"{CHANGELIST}{email.pk}/change/", {}).status_code == 403
    assert "Luisa@Example.org" in admin_client.get(f"{CHANGELIST}?q=luisa").content.decode()
    assert "Luisa@Example.org" not in admin_client.get(f"{CHANGELIST}?q=julio").content.decode()


@pytest.mark.parametrize("rows", [1, 40])
def test_the_list_has_a_fixed_query_budget(revenue_client, django_assert_num_queries, rows):
    OutgoingEmail.objects.bulk_create(
        OutgoingEmail(
            purpose="donations.receipt",
            recipients=[f"d{n}@example.org"],
            subject="S",
            body="B",
            status="failed",
        )  # fmt: skip
        for n in range(rows)
    )
    revenue_client.get(CHANGELIST)  # the session and permissions, cached for the user
    with django_assert_num_queries(QUERIES_PER_LIST):
        assert revenue_client.get(CHANGELIST).status_code == 200


# Session, user, its permissions and its groups', the failed count, the list's count
# filtered and in all, the rows, the date hierarchy's range and days, the purposes to filter by.
QUERIES_PER_LIST = 11


# Task failures, as one structured line.


@task()
def fail_on_purpose():
    raise RuntimeError("a bug in a task")


def test_a_failed_task_is_logged_with_its_fields(db, caplog):
    fail_on_purpose.enqueue()
    (record,) = [r for r in caplog.records if getattr(r, "event", "") == "tasks.failed"]
    assert record.levelno == logging.ERROR
    assert record.task == "tests.newsroom.test_outbox.fail_on_purpose"
    assert record.error == "builtins.RuntimeError"
