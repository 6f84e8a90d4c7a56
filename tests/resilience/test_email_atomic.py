"""
An email is stored in the outbox in the same transaction as the write that
causes it, so a database failure between the two cannot keep one without the
other: the comment without its private link, the paid gift without its
receipt (an outside review lost both by cutting the database just after the
commit). A stored email whose delivery task is lost is sent by `manage.py
send_queued_email`, once. One whose sending was cut after the mail server took
it (the worker killed, its database gone) is never sent again by itself: it is
marked failed, "may have been delivered", and staff decide.
"""

import re
import signal
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import OperationalError, connection, transaction
from django.test import Client
from django_tasks_db.models import DBTaskResult

from comments.models import Comment, ModerationRules
from donations.models import Donation, ProcessedEvent
from newsroom.models import OutgoingEmail
from tests.comments.conftest import comment_data
from tests.donations.conftest import send_signed_body, send_stripe_event
from tests.donations.test_webhooks import pending_gift, session
from tests.factories import ArticleFactory
from tests.faults import ROOT, SmtpSink, production_environment, wait_until
from tests.newsroom.test_error_pages import OUTAGE_HEADING
from tests.newsroom.test_outbox import (
    CHANGELIST,
    SlowToAnswerSmtpSink,
    database_tasks,
    mail_server_down,
    run_worker,
)
from tests.resilience.conftest import postgresql_url

# Fixtures, used by name below.
__all__ = [
    "comment_data",
    "database_tasks",
    "mail_server_down",
    "pending_gift",
    "send_signed_body",
    "send_stripe_event",
]

OUTBOX_INSERT = 'INSERT INTO "newsroom_outgoingemail"'
TASK_INSERT = 'INSERT INTO "django_tasks_database_dbtaskresult"'


@pytest.fixture(autouse=True)
def _quick_forms_and_test_payments(settings):
    settings.COMMENTS_FORM_MIN_SECONDS = 0
    settings.COMMENTS_FLOOD_SECONDS = 0
    settings.STRIPE_SECRET_KEY = ""
    settings.DONATIONS_TEST_PROVIDER = True


@pytest.fixture
def article(db):
    return ArticleFactory(title="Peru Takes the Lead")


def reader():
    """A browser: the error page is what it gets, not the exception."""
    return Client(raise_request_exception=False)


def fail_statement(prefix):
    """An execute wrapper: the database refuses the first statement starting with `prefix`."""

    def wrapper(execute, sql, params, many, context):
        if sql.startswith(prefix):
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    return wrapper


def post_comment(client, article, comment_data, **fields):
    fields = {"author_email": "rosa@example.org", "body": "Bravo Congreso!", **fields}
    return client.post(f"/comments/post/{article.pk}/", comment_data(article, **fields))


def open_test_checkout(client):
    """A TEST MODE gift started on the donate form: the checkout page's address."""
    page = client.get("/donate/").content.decode()
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    form = {"amount": "10", "frequency": "once", "email": "luisa@example.org", "method": "card"}
    return client.post("/donate/", {**form, "name": "Luisa", **hidden})["Location"]


def assert_outage_page(response):
    assert response.status_code == 503
    assert OUTAGE_HEADING in response.content.decode()


# The request's write and its email: both, or neither (any database).


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "failing", [OUTBOX_INSERT, 'UPDATE "articles_article"'], ids=["outbox", "after-outbox"]
)
def test_a_comment_and_its_receipt_are_stored_together_or_not_at_all(
    article, comment_data, failing
):
    # Approved at once, so posting also recounts the article after storing the receipt.
    ModerationRules.objects.update_or_create(pk=1, defaults={"require_previous_approval": False})

    with connection.execute_wrapper(fail_statement(failing)):
        response = post_comment(reader(), article, comment_data, body="And again: bravo.")
    assert_outage_page(response)
    assert not Comment.objects.filter(article=article).exists()
    assert not OutgoingEmail.objects.exists()

    response = post_comment(reader(), article, comment_data, body="And again: bravo.")
    assert response.status_code == 302
    assert Comment.objects.filter(article=article, status=Comment.Status.APPROVED).count() == 1
    (receipt,) = OutgoingEmail.objects.all()
    assert receipt.purpose == "comments.receipt" and receipt.recipients == ["rosa@example.org"]


@pytest.mark.django_db(transaction=True)
def test_a_completed_gift_and_its_receipt_are_stored_together_or_not_at_all():
    client = reader()
    checkout = open_test_checkout(client)
    with connection.execute_wrapper(fail_statement(OUTBOX_INSERT)):
        assert_outage_page(client.post(checkout, {"outcome": "complete"}))
    assert Donation.objects.get().status == Donation.Status.PENDING
    assert not OutgoingEmail.objects.exists()

    done = client.post(checkout, {"outcome": "complete"}, follow=True)
    assert "Your gift of $10 (one time) is confirmed." in done.content.decode()
    (receipt,) = OutgoingEmail.objects.all()
    assert receipt.purpose == "donations.receipt" and receipt.recipients == ["luisa@example.org"]


@pytest.mark.django_db(transaction=True)
def test_a_webhook_whose_receipt_cannot_be_stored_is_retried_and_then_completes_once(
    send_stripe_event, pending_gift
):
    with connection.execute_wrapper(fail_statement(OUTBOX_INSERT)), pytest.raises(OperationalError):
        send_stripe_event("checkout.session.completed", session(pending_gift))
    pending_gift.refresh_from_db()
    # Nothing recorded, not even the event: Stripe's retry (any non-2xx) completes it.
    assert pending_gift.status == Donation.Status.PENDING
    assert not ProcessedEvent.objects.exists() and not OutgoingEmail.objects.exists()

    assert send_stripe_event("checkout.session.completed", session(pending_gift)).status_code == 200
    assert send_stripe_event("checkout.session.completed", session(pending_gift)).status_code == 200
    pending_gift.refresh_from_db()
    assert pending_gift.status == Donation.Status.COMPLETED
    assert OutgoingEmail.objects.filter(purpose="donations.receipt").count() == 1


# The reviewer's scenario on PostgreSQL: the queue's tables locked, the blocked request cut.


def blocked_backends():
    """Backends of this database waiting for a lock on the outbox or the task queue."""
    with connection.cursor() as cursor:
        # Within a transaction PostgreSQL keeps showing its first look at the activity.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
            " AND (query LIKE %s OR query LIKE %s)",
            [f"{OUTBOX_INSERT}%", f"{TASK_INSERT}%"],
        )
        return [pid for (pid,) in cursor.fetchall()]


def cut_while_blocked(request):
    """
    Run `request` on its own connection while another holds the outbox and the
    task queue in ACCESS EXCLUSIVE mode; once it waits on them, terminate its
    backend. Returns the response the reader got.
    """
    answer = {}

    def send():
        try:
            answer["response"] = request()
        finally:
            connection.close()

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "LOCK TABLE newsroom_outgoingemail, django_tasks_database_dbtaskresult"
                " IN ACCESS EXCLUSIVE MODE"
            )
        sender = threading.Thread(target=send)
        sender.start()
        wait_until(blocked_backends, seconds=10, message="the request to wait on the lock")
        with connection.cursor() as cursor:
            for pid in blocked_backends():
                cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        sender.join(timeout=10)
    return answer["response"]


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_a_comment_cut_while_its_email_waits_for_the_queue_is_not_stored(
    article, comment_data, database_tasks
):
    response = cut_while_blocked(lambda: post_comment(reader(), article, comment_data))
    assert_outage_page(response)
    # "Send it again" is true: nothing of the comment was kept, so nothing is lost.
    assert not Comment.objects.exists()
    assert not OutgoingEmail.objects.exists() and not DBTaskResult.objects.exists()

    assert post_comment(reader(), article, comment_data).status_code == 302
    assert Comment.objects.count() == 1
    assert OutgoingEmail.objects.filter(purpose="comments.receipt").count() == 1


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_a_gift_cut_while_its_receipt_waits_for_the_queue_is_not_completed(database_tasks):
    client = reader()
    checkout = open_test_checkout(client)
    response = cut_while_blocked(lambda: client.post(checkout, {"outcome": "complete"}))
    assert_outage_page(response)
    assert Donation.objects.get().status == Donation.Status.PENDING
    assert not OutgoingEmail.objects.exists() and not DBTaskResult.objects.exists()

    done = client.post(checkout, {"outcome": "complete"}, follow=True)
    assert "Your gift of $10 (one time) is confirmed." in done.content.decode()
    assert OutgoingEmail.objects.filter(purpose="donations.receipt").count() == 1


# A stored email whose delivery task never ran: the sweeper sends it, once.


@pytest.mark.django_db(transaction=True)
def test_an_email_whose_task_was_never_queued_is_sent_once_by_the_sweeper(
    article, comment_data, mail_server_down, database_tasks
):
    with connection.execute_wrapper(fail_statement(TASK_INSERT)):
        response = post_comment(reader(), article, comment_data)
    assert response.status_code == 302  # the queue's failure is not the reader's
    assert not DBTaskResult.objects.exists()
    email = OutgoingEmail.objects.get(purpose="comments.receipt")

    with SmtpSink(port=mail_server_down) as sink:
        run_worker()
        assert not sink.messages  # no task, so the worker has nothing to send
        call_command("send_queued_email")
        call_command("send_queued_email")
        run_worker()
    (receipt,) = sink.messages
    assert receipt["To"] == "rosa@example.org"
    email.refresh_from_db()
    assert email.status == OutgoingEmail.Status.SENT and email.attempts == 0


def start_worker(*, database_url, mail_port, static_root):
    """The production `db_worker` in its own process, sending by SMTP to `mail_port`."""
    return subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--batch", "--no-startup-delay", "--no-reload"],
        cwd=ROOT,
        env=production_environment(
            database_url=database_url,
            cache_url="locmemcache://worker",
            static_root=static_root,
            TASKS_BACKEND="database",
            EMAIL_URL=f"smtp://127.0.0.1:{mail_port}",
            EMAIL_TIMEOUT=60,
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def assert_failed_not_sent_again_then_sent_by_staff(email, sink, moderator_client):
    """
    The sweeper before and after the interrupted send's deadline, then staff:
    the copy the server already holds is the only one until staff send another.
    """

    def copies():
        return [m for m in sink.messages if m["Message-ID"] == email.headers["Message-ID"]]

    email.refresh_from_db()
    assert email.status == OutgoingEmail.Status.SENDING
    call_command("send_queued_email")
    run_worker()
    assert len(copies()) == 1

    with time_machine.travel(email.next_attempt_at + timedelta(seconds=1), tick=False):
        call_command("send_queued_email")
        run_worker()
    assert len(copies()) == 1
    email.refresh_from_db()
    assert email.status == OutgoingEmail.Status.FAILED
    assert email.last_error == (
        "Interrupted while sending: it may have been delivered. "
        "Check with the recipient before sending again."
    )
    assert "Outgoing email: 1 failed to send" in moderator_client.get(CHANGELIST).content.decode()

    moderator_client.post(CHANGELIST, {"action": "send_again_now", "_selected_action": [email.pk]})
    run_worker()
    first, second = copies()
    assert first["To"] == second["To"] == "rosa@example.org"
    email.refresh_from_db()
    assert email.status == OutgoingEmail.Status.SENT


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_an_email_whose_worker_was_killed_after_the_server_took_it_is_not_sent_twice(
    article, comment_data, database_tasks, mail_server_down, static_root, moderator_client
):
    assert post_comment(reader(), article, comment_data).status_code == 302
    email = OutgoingEmail.objects.get(purpose="comments.receipt")
    with SlowToAnswerSmtpSink(port=mail_server_down, slow_for="rosa@example.org") as sink:
        worker = start_worker(
            database_url=postgresql_url(), mail_port=sink.port, static_root=static_root
        )
        try:
            assert sink.stored.wait(30), "the worker never reached the mail server"
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)
        finally:
            worker.kill()
            worker.wait(timeout=10)
        sink.answer.set()
        assert_failed_not_sent_again_then_sent_by_staff(email, sink, moderator_client)
    # The dead worker's task is never finished; the email did not depend on it.
    (task,) = DBTaskResult.objects.filter(status="RUNNING")
    assert task.args_kwargs["args"] == [email.pk]


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_an_email_whose_worker_lost_the_database_after_the_server_took_it_is_not_sent_twice(
    article,
    comment_data,
    database_tasks,
    mail_server_down,
    static_root,
    moderator_client,
    postgresql_proxy,
):
    assert post_comment(reader(), article, comment_data).status_code == 302
    email = OutgoingEmail.objects.get(purpose="comments.receipt")
    with SlowToAnswerSmtpSink(port=mail_server_down, slow_for="rosa@example.org") as sink:
        worker = start_worker(
            database_url=postgresql_url(postgresql_proxy.port),
            mail_port=sink.port,
            static_root=static_root,
        )
        try:
            assert sink.stored.wait(30), "the worker never reached the mail server"
            postgresql_proxy.stop()
            sink.answer.set()
            # It learns of the 250 with no database to record it in, and gives up.
            assert worker.wait(timeout=30) != 0
        finally:
            worker.kill()
            worker.wait(timeout=10)
        assert_failed_not_sent_again_then_sent_by_staff(email, sink, moderator_client)
