"""
Soak test: mixed traffic against the site in production mode while Redis and
the mail server fail, then what the site accepted against what it stored.

Builds a fresh PostgreSQL database with the demo content, serves it with
gunicorn (2 workers, 4 threads each) on a Redis of its own, and runs
`manage.py db_worker` sending email to a local SMTP sink. For 60 seconds,
from several threads: readers on article, list and search pages; commenters
through the real form; donors through TEST MODE checkout (some clicking twice);
signed Stripe webhooks (each event delivered up to three times, some at once);
a moderator, signed in through the admin, approving the queue. In the middle
Redis is killed and restarted, and the SMTP sink stopped and started again.

Once the worker has drained (within a bound), it prints Markdown tables for
README and exits non-zero if any request answered 5xx or not at all, or if
anything the site accepted was lost or stored twice: comments, approvals,
gifts, the campaign total, webhook events and every email, matched to what
the sink received by its Message-ID.

    .venv/bin/python bench/soak.py [--seconds 60]
"""

import argparse
import base64
import http.client
import json
import math
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections import Counter, defaultdict
from html import unescape
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from support import fresh_postgres_database

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the fault tests' real parts, shared rather than copied
from tests.faults import (  # noqa: E402
    RedisServer,
    SiteServer,
    SmtpSink,
    collected_static,
    manage_json,
    production_environment,
)

# Every address the soak writes with, so its rows are told from the demo's.
DOMAIN = "soak.example"
CAMPAIGN = "keep-the-lights-on"
WEBHOOK_SECRET = "whsec_soak_only_" + "q7" * 12
MODERATOR = "soak-desk"
MODERATOR_PASSWORD = "soak-desk-password-" + "m3" * 8
AMOUNTS = [5, 10, 25, 50, 100]

SETUP = """
import json, os
from django.contrib.auth.models import Group, User
from articles.models import Article, Section
from donations.models import Campaign

desk = User.objects.create_user(
    os.environ["SOAK_MODERATOR"], f"desk@{os.environ['SOAK_DOMAIN']}",
    os.environ["SOAK_MODERATOR_PASSWORD"], is_staff=True,
)
desk.groups.add(Group.objects.get(name="Moderators"))
articles = Article.objects.published().filter(comments_open=True).order_by("-publish_at")[:8]
print(json.dumps({
    "articles": [[article.pk, article.get_absolute_url()] for article in articles],
    "sections": [section.get_absolute_url() for section in Section.objects.all()],
    "raised": Campaign.objects.with_progress().get(slug=os.environ["SOAK_CAMPAIGN"]).raised,
}))
"""

TALLY = """
import json, os
from django.db.models import Count
from django_tasks_db.models import DBTaskResult
from articles.models import Article
from comments.models import Comment
from donations.models import Campaign, Donation, ProcessedEvent
from newsroom.models import AuditEntry

domain = "@" + os.environ["SOAK_DOMAIN"]
tally = {
    "comments": list(
        Comment.objects.filter(author_email__endswith=domain)
        .values_list("pk", "author_email", "status", "moderated_by__username")
    ),
    "approved_by_desk": list(
        Comment.objects.approved()
        .filter(moderated_by__username=os.environ["SOAK_MODERATOR"])
        .values_list("author_email", flat=True)
    ),
    "approvals_logged": list(
        AuditEntry.objects.filter(
            action="comment.approved", actor__username=os.environ["SOAK_MODERATOR"]
        ).values_list("target_id", flat=True)
    ),
    "counts": [
        [article.pk, article.comment_count, article.comments.approved().count()]
        for article in Article.objects.filter(comments__author_email__endswith=domain).distinct()
    ],
    "donations": list(
        Donation.objects.filter(donor__email__endswith=domain)
        .values_list("pk", "donor__email", "status", "amount")
    ),
    "raised": Campaign.objects.with_progress().get(slug=os.environ["SOAK_CAMPAIGN"]).raised,
    "events": list(
        ProcessedEvent.objects.filter(event_id__startswith="evt_soak_")
        .values_list("event_id", flat=True)
    ),
    "tasks": dict(
        DBTaskResult.objects.order_by().values_list("status").annotate(n=Count("id"))
    ),
    "failed_tasks": list(
        DBTaskResult.objects.filter(status="FAILED")
        .values_list("task_path", "exception_class_path")
    ),
}
try:
    from newsroom.models import OutgoingEmail
except ImportError:
    tally["emails"] = None
else:
    tally["emails"] = list(
        OutgoingEmail.objects.values_list("pk", "purpose", "recipients", "status", "headers")
    )
print(json.dumps(tally, default=str))
"""


class Log:
    """Every request the soak made: its kind, status (None: no answer), time and path."""

    def __init__(self):
        self.lock = threading.Lock()
        self.started = time.monotonic()
        self.requests = []
        self.timeline = []

    def record(self, kind, status, started, path):
        elapsed = time.monotonic() - started
        with self.lock:
            self.requests.append((kind, status, started - self.started, elapsed * 1000, path))

    def event(self, what):
        self.timeline.append((time.monotonic() - self.started, what))


class Page:
    def __init__(self, status, location, text):
        self.status = status
        self.location = location
        self.text = text


class Visitor:
    """
    One browser: its own cookies, sent back whatever their Secure flag says
    (the site runs without TLS here, behind no proxy), a connection per request.
    """

    def __init__(self, port, log):
        self.port = port
        self.log = log
        self.cookies = {}

    def request(self, kind, method, path, *, form=None, body=None, headers=None):
        headers = {"Host": "127.0.0.1", **(headers or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if form is not None:
            body = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):
            self.log.record(kind, None, started, path)
            return None
        finally:
            connection.close()
        self.log.record(kind, response.status, started, path)
        for header in response.msg.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or "1970" in morsel["expires"]:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.coded_value
        return Page(response.status, response.getheader("Location", ""), text)


def hidden(text, name):
    """The value of the form field `name` on a page, or ""."""
    tag = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', text)
    value = tag and re.search(r'value="([^"]*)"', tag.group(0))
    return unescape(value.group(1)) if value else ""


def signed_value(token):
    """What django.core.signing signed in `token`, read without the key (it is not a secret)."""
    payload = token.split(":")[0]
    compressed = payload.startswith(".")
    data = base64.urlsafe_b64decode(payload.lstrip(".") + "=" * (-len(payload.lstrip(".")) % 4))
    return json.loads(zlib.decompress(data) if compressed else data)


def stripe_signature(payload):
    """The Stripe-Signature header as Stripe computes it (tests/donations/conftest.py)."""
    import hashlib
    import hmac

    timestamp = int(time.time())
    digest = hmac.new(
        WEBHOOK_SECRET.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256
    ).hexdigest()
    return f"t={timestamp},v1={digest}"


class Outcome:
    """What the site said it accepted, by the responses the soak read."""

    def __init__(self):
        self.lock = threading.Lock()
        self.numbers = iter(range(1, 10**9))
        self.comments = {}  # email -> comment id, from the redirect to it
        self.refused = {}  # email -> reason shown
        self.unanswered = set()  # emails posted without an answer: stored or not, unknown
        self.gifts = {}  # donation id -> amount in cents, the thanks page saying "confirmed"
        self.double_clicks = []  # (first donation id, second donation id)
        self.webhook_gifts = {}  # donation id -> amount in cents, an event answered 200
        self.events = Counter()  # event id -> deliveries answered 200
        self.approved = 0  # as the admin said: "Approved N comments."
        self.stale = 0  # approvals refused because a comment changed meanwhile
        self.sign_ins = 0

    def number(self):
        with self.lock:
            return next(self.numbers)


def read(log, site, stop, pages):
    kinds = [kind for kind, _path in pages]
    weights = [{"article": 5, "list": 3, "search": 2}[kind] for kind in kinds]
    while not stop.is_set():
        kind, path = random.choices(pages, weights)[0]
        Visitor(site.port, log).request(kind, "GET", path)  # a new reader each time
        stop.wait(0.02)


def post_comments(log, site, stop, articles, outcome):
    while not stop.wait(0.1):
        number = outcome.number()
        article_id, path = random.choice(articles)
        visitor = Visitor(site.port, log)  # a new reader for each comment
        page = visitor.request("comment form", "GET", path)
        if page is None or page.status != 200:
            continue
        approved = re.findall(r'id="comment-(\d+)"', page.text)
        email = f"c{number}@{DOMAIN}"
        form = {
            "csrfmiddlewaretoken": hidden(page.text, "csrfmiddlewaretoken"),
            "issued": hidden(page.text, "issued"),
            "body": f"Soak comment {number}: a reader's considered view of this story.",
            "author_name": f"Soak Reader {number}",
            "author_email": email,
            "parent": random.choice(approved) if approved and number % 3 == 0 else "",
            "phone": "",
        }
        posted = visitor.request("comment post", "POST", f"/comments/post/{article_id}/", form=form)
        with outcome.lock:
            if posted is None or posted.status >= 500:
                outcome.unanswered.add(email)
            elif posted.status == 302 and "#comment-" in posted.location:
                outcome.comments[email] = int(posted.location.rpartition("#comment-")[2])
            else:
                reason = re.search(r'class="errorlist[^"]*"><li>([^<]*)', posted.text)
                outcome.refused[email] = unescape(reason.group(1)) if reason else posted.status


class Gift:
    def __init__(self, checkout, cents, key, ids):
        self.checkout = checkout  # the TEST MODE checkout page the form sent the donor to
        self.cents = cents
        self.key = key  # the form's checkout key
        self.ids = ids  # the donation each click's checkout names


def start_gift(visitor, number, *, clicks=1):
    """The donate form sent `clicks` times, each answered with a checkout; else None."""
    page = visitor.request("donate page", "GET", f"/donate/{CAMPAIGN}/")
    if page is None or page.status != 200:
        return None
    amount = random.choice(AMOUNTS)
    form = {
        "csrfmiddlewaretoken": hidden(page.text, "csrfmiddlewaretoken"),
        "checkout_key": hidden(page.text, "checkout_key"),
        "amount": str(amount),
        "currency": "USD",
        "frequency": "once",
        "name": f"Soak Donor {number}",
        "email": f"d{number}@{DOMAIN}",
        "method": "card",
        "website": "",
    }
    checkouts = []
    for _click in range(clicks):
        sent = visitor.request("donate post", "POST", f"/donate/{CAMPAIGN}/", form=form)
        if sent is not None and sent.status == 302 and "/test-checkout/" in sent.location:
            checkouts.append(sent.location)
    if len(checkouts) != clicks:
        return None
    ids = [signed_value(url.rstrip("/").rpartition("/")[2]) for url in checkouts]
    return Gift(checkouts[0], amount * 100, form["checkout_key"], ids)


def give(log, site, stop, outcome):
    """Donors completing TEST MODE gifts; every fifth clicks "Give" twice."""
    while not stop.wait(0.3):
        number = outcome.number()
        visitor = Visitor(site.port, log)
        clicks = 2 if number % 5 == 0 else 1
        gift = start_gift(visitor, number, clicks=clicks)
        if gift is None:
            continue
        if clicks == 2:
            with outcome.lock:
                outcome.double_clicks.append(gift.ids)
        page = visitor.request("test checkout", "GET", gift.checkout)
        if page is None or page.status != 200:
            continue
        form = {
            "csrfmiddlewaretoken": hidden(page.text, "csrfmiddlewaretoken"),
            "outcome": "complete",
        }
        done = visitor.request("test checkout", "POST", gift.checkout, form=form)
        if done is None or done.status != 302:
            continue
        thanks = visitor.request("thanks", "GET", done.location)
        if thanks is not None and thanks.status == 200 and "is confirmed" in thanks.text:
            with outcome.lock:
                outcome.gifts[gift.ids[0]] = gift.cents


def deliver(log, site, payload, outcome, event_id):
    sent = Visitor(site.port, log).request(
        "webhook",
        "POST",
        "/donate/webhooks/stripe/",
        body=payload,
        headers={"Content-Type": "application/json", "Stripe-Signature": stripe_signature(payload)},
    )
    if sent is not None and sent.status == 200:
        with outcome.lock:
            outcome.events[event_id] += 1
    return sent is not None and sent.status == 200


def send_webhooks(log, site, stop, outcome):
    """
    Gifts started on the form whose payment Stripe confirms by a signed
    checkout.session.completed. The session id is the TEST MODE provider's
    ("test_" + "checkout-" + the form's key), so the event matches the gift as
    Stripe's would. Each event is delivered one to three times, the repeats
    half the time at the same instant.
    """
    while not stop.wait(0.3):
        number = outcome.number()
        visitor = Visitor(site.port, log)
        gift = start_gift(visitor, number)
        if gift is None:
            continue
        event_id = f"evt_soak_{number}"
        session = {
            "id": f"test_checkout-{gift.key}",
            "object": "checkout.session",
            "mode": "payment",
            "payment_status": "paid",
            "amount_total": gift.cents,
            "currency": "usd",
            "payment_intent": f"pi_soak_{number}",
            "metadata": {"donation_id": str(gift.ids[0])},
        }
        payload = json.dumps(
            {
                "id": event_id,
                "object": "event",
                "type": "checkout.session.completed",
                "data": {"object": session},
            }
        )
        copies = random.choice([1, 2, 3])
        if copies > 1 and number % 2:
            together = [
                threading.Thread(target=deliver, args=(log, site, payload, outcome, event_id))
                for _ in range(copies)
            ]
            for thread in together:
                thread.start()
            for thread in together:
                thread.join()
        else:
            for _copy in range(copies):
                deliver(log, site, payload, outcome, event_id)
        if outcome.events[event_id]:
            with outcome.lock:
                outcome.webhook_gifts[gift.ids[0]] = gift.cents


def sign_in(visitor, outcome):
    page = visitor.request("admin sign-in", "GET", "/admin/login/?next=/admin/")
    if page is None or page.status != 200:
        return
    form = {
        "csrfmiddlewaretoken": hidden(page.text, "csrfmiddlewaretoken"),
        "username": MODERATOR,
        "password": MODERATOR_PASSWORD,
        "otp_token": "",
        "next": "/admin/",
    }
    done = visitor.request("admin sign-in", "POST", "/admin/login/?next=/admin/", form=form)
    if done is not None and done.status == 302:
        outcome.sign_ins += 1


def moderate(log, site, stop, outcome):
    """The moderator approves the whole queue page every two seconds, as read."""
    visitor = Visitor(site.port, log)
    sign_in(visitor, outcome)
    queue_path = "/admin/comments/comment/?status__exact=pending"
    while not stop.wait(2):
        queue = visitor.request("admin queue", "GET", queue_path)
        if queue is not None and queue.status == 302 and "/login/" in queue.location:
            sign_in(visitor, outcome)
            continue
        if queue is None or queue.status != 200:
            continue
        chosen = re.findall(r'name="_selected_action" value="(\d+)"', queue.text)
        if not chosen:
            continue
        form = {
            "csrfmiddlewaretoken": hidden(queue.text, "csrfmiddlewaretoken"),
            "action": "approve",
            "index": "0",
            "select_across": "0",
            "_selected_action": chosen,
            "seen": re.findall(r'name="seen" value="(\d+:\d+)"', queue.text),
        }
        done = visitor.request("admin approve", "POST", queue_path, form=form)
        if done is None or done.status != 302:
            continue
        after = visitor.request("admin queue", "GET", done.location)
        said = after and re.search(r"Approved (\d+) comments?\.", after.text)
        if said:
            outcome.approved += int(said.group(1))
        elif after and "Nothing was approved" in after.text:
            outcome.stale += 1


def run_faults(log, stop, plan):
    for at, what, action in plan:
        if stop.wait(max(0.0, log.started + at - time.monotonic())):
            return
        action()
        log.event(what)


LOUD = ("WARNING", "ERROR", "CRITICAL")


class Output:
    """A child process's stderr read as it comes (a full pipe would stall it), kept as lines."""

    def __init__(self, stream=None, *, lines=None):
        self.lines = [] if lines is None else lines
        if stream is not None:
            self.thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
            self.thread.start()

    def _read(self, stream):
        for line in iter(stream.readline, b""):
            self.lines.append(line.decode("utf-8", "replace").rstrip())

    def events(self):
        """Log lines at WARNING and above, by level and event (or logger and message)."""
        seen = Counter()
        for line in self.lines:
            try:
                entry = json.loads(line)
            except ValueError:
                if "Traceback" in line or "[ERROR]" in line or "[CRITICAL]" in line:
                    seen[("ERROR", line[:100])] += 1
                continue
            if not isinstance(entry, dict) or entry.get("level") not in LOUD:
                continue
            said = re.sub(r"[0-9a-f-]{36}|\d+", "#", str(entry.get("message")))[:80]
            if "shutting down gracefully" in said:  # the soak stopping the worker
                continue
            name = entry.get("event") or f"{entry.get('logger')}: {said}"
            if entry.get("traceback"):
                name += f" ({entry['traceback'].strip().splitlines()[-1][:120]})"
            seen[(entry["level"], name)] += 1
        return seen


def drain(database_url, seconds):
    """Wait until no task waits or runs and no email is queued; False if it took too long."""
    import psycopg

    until = time.monotonic() + seconds
    with psycopg.connect(database_url, autocommit=True) as database:
        outbox = database.execute("SELECT to_regclass('newsroom_outgoingemail')").fetchone()[0]
        while True:
            waiting = database.execute(
                "SELECT count(*) FROM django_tasks_database_dbtaskresult"
                " WHERE status IN ('READY', 'RUNNING')"
            ).fetchone()[0]
            if outbox:
                waiting += database.execute(
                    "SELECT count(*) FROM newsroom_outgoingemail"
                    " WHERE status IN ('queued', 'retrying', 'sending')"
                ).fetchone()[0]
            if not waiting:
                return True
            if time.monotonic() > until:
                return False
            time.sleep(1)


def check(rows, name, accepted, stored, lost, doubled):
    rows.append((name, accepted, stored, lost, doubled))


def email_checks(rows, tally, sink, due):
    """
    Each email in the outbox sent and received exactly once (matched by its
    Message-ID, which every attempt keeps), none received that the outbox does
    not hold; and each email the soak's accepted requests call for, queued once.
    """
    emails = tally["emails"]
    received = Counter(str(message["Message-ID"]) for message in sink.messages)
    known = {headers.get("Message-ID") for _pk, _purpose, _to, _status, headers in emails}
    unsent = [email for email in emails if email[3] != "sent"]
    missing = [
        email for email in emails if email[3] == "sent" and not received[email[4].get("Message-ID")]
    ]
    twice = sum(count - 1 for count in received.values() if count > 1)
    strays = sum(count for message_id, count in received.items() if message_id not in known)
    check(
        rows,
        "emails, outbox to SMTP sink",
        f"{len(emails)} queued",
        f"{len(emails) - len(unsent)} sent, {len(sink.messages)} received",
        len(unsent) + len(missing),
        twice + strays,
    )
    queued = defaultdict(Counter)
    for _pk, purpose, recipients, _status, _headers in emails:
        for address in recipients:
            queued[purpose][address] += 1
    for name, purpose, addresses in due:
        sent = queued[purpose]
        check(
            rows,
            name,
            f"{len(addresses)} due",
            f"{sum(sent[a] for a in addresses)} queued",
            sum(1 for a in addresses if not sent[a]),
            sum(sent[a] - 1 for a in addresses if sent[a] > 1),
        )


def writes_table(tally, outcome, raised_before, sink):
    rows = []
    comments = defaultdict(list)
    for pk, email, status, moderated_by in tally["comments"]:
        comments[email].append((pk, status, moderated_by))
    accepted = outcome.comments
    check(
        rows,
        "comments posted",
        f"{len(accepted)} accepted",
        f"{sum(len(comments[e]) for e in accepted)} rows",
        sum(1 for e, pk in accepted.items() if pk not in {row[0] for row in comments[e]}),
        sum(len(comments[e]) - 1 for e in accepted if len(comments[e]) > 1),
    )
    check(
        rows,
        "comments refused",
        f"{len(outcome.refused)} refused",
        f"{sum(len(comments[e]) for e in outcome.refused)} rows",
        "–",
        sum(len(comments[e]) for e in outcome.refused),
    )
    if outcome.unanswered:
        check(
            rows,
            "comments answered 5xx or not at all",
            f"{len(outcome.unanswered)} unanswered",
            f"{sum(len(comments[e]) for e in outcome.unanswered)} rows",
            "–",
            "–",
        )
    # The demo's held comment is in the queue too: the moderator approves it with the rest.
    approved_by_desk = tally["approved_by_desk"]
    logged = Counter(tally["approvals_logged"])
    check(
        rows,
        "moderator approvals",
        f"{outcome.approved} approved",
        f"{len(approved_by_desk)} rows, {sum(logged.values())} audited",
        max(0, outcome.approved - len(approved_by_desk)),
        max(0, len(approved_by_desk) - outcome.approved) + sum(n - 1 for n in logged.values()),
    )
    wrong = [article for article, kept, actual in tally["counts"] if kept != actual]
    check(rows, "articles' comment counts", f"{len(tally['counts'])} articles", "", len(wrong), "–")

    donations = {pk: (email, status, amount) for pk, email, status, amount in tally["donations"]}
    per_donor = Counter(email for email, _status, _amount in donations.values())
    for name, gifts in (
        ("gifts, TEST MODE checkout", outcome.gifts),
        ("gifts, signed webhook", outcome.webhook_gifts),
    ):
        completed = [pk for pk in gifts if donations.get(pk, ("", ""))[1] == "completed"]
        check(
            rows,
            name,
            f"{len(gifts)} confirmed",
            f"{len(completed)} completed rows",
            len(gifts) - len(completed),
            sum(per_donor[donations[pk][0]] - 1 for pk in completed),
        )
    splits = [pair for pair in outcome.double_clicks if len(set(pair)) > 1]
    check(
        rows,
        "donate form sent twice",
        f"{len(outcome.double_clicks)} forms",
        f"{len(outcome.double_clicks) - len(splits)} one gift each",
        "–",
        len(splits),
    )
    deliveries = sum(outcome.events.values())
    stored_events = Counter(tally["events"])
    check(
        rows,
        "webhook events",
        f"{len(outcome.events)} events, {deliveries} deliveries",
        f"{len(stored_events)} recorded once",
        sum(1 for event in outcome.events if not stored_events[event]),
        sum(n - 1 for n in stored_events.values()),
    )
    expected = sum(outcome.gifts.values()) + sum(outcome.webhook_gifts.values())
    moved = tally["raised"] - raised_before
    check(
        rows,
        "campaign total",
        f"+${expected / 100:,.2f}",
        f"+${moved / 100:,.2f}",
        f"${max(0, expected - moved) / 100:,.2f}",
        f"${max(0, moved - expected) / 100:,.2f}",
    )
    if tally["emails"] is None:
        check(rows, "emails", "not exercised: no outbox", "", "–", "–")
    else:
        statuses = {email: status for _pk, email, status, _by in tally["comments"]}
        confirmed = [*outcome.gifts, *outcome.webhook_gifts]
        due = [
            ("gift receipts", "donations.receipt", [donations[pk][0] for pk in confirmed]),
            (
                "comment receipts (private link)",
                "comments.receipt",
                [email for email in accepted if statuses.get(email) != "spam"],
            ),
            ("approval notices", "comments.approved", approved_by_desk),
        ]
        email_checks(rows, tally, sink, due)
    failed = len(tally["failed_tasks"])
    check(
        rows,
        "background tasks",
        f"{sum(tally['tasks'].values())} run",
        f"{tally['tasks'].get('SUCCESSFUL', 0)} succeeded",
        failed,
        "–",
    )
    return rows


def bad(value):
    return value not in ("–", 0, "$0.00")


KINDS = [
    "article", "list", "search", "comment form", "comment post", "donate page", "donate post",
    "test checkout", "thanks", "webhook", "admin sign-in", "admin queue", "admin approve",
]  # fmt: skip


def requests_table(log):
    by_kind = defaultdict(list)
    for kind, status, _at, ms, _path in log.requests:
        by_kind[kind].append((status, ms))
        by_kind["all"].append((status, ms))
    lines = ["| requests | sent | 2xx/3xx | 4xx | 5xx | no answer | median ms | p95 ms |"]
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    for kind in [*KINDS, "all"]:
        results = by_kind[kind]
        if not results:
            continue
        statuses = [status for status, _ms in results]
        times = sorted(ms for _status, ms in results)
        lines.append(
            f"| {kind} | {len(results)} "
            f"| {sum(1 for s in statuses if s is not None and s < 400)} "
            f"| {sum(1 for s in statuses if s is not None and 400 <= s < 500)} "
            f"| {sum(1 for s in statuses if s is not None and s >= 500)} "
            f"| {statuses.count(None)} "
            f"| {statistics.median(times):.0f} | {times[math.ceil(len(times) * 0.95) - 1]:.0f} |"
        )
    return lines


def during(log, start, end):
    """Requests started while a part was down, and how many of them answered 5xx or not at all."""
    inside = [status for _kind, status, at, _ms, _path in log.requests if start <= at < end]
    return len(inside), sum(1 for status in inside if status is None or status >= 500)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--seconds", type=float, default=60, help="how long the traffic runs")
    parser.add_argument("--readers", type=int, default=3)
    parser.add_argument("--commenters", type=int, default=2)
    parser.add_argument("--donors", type=int, default=1)
    parser.add_argument("--webhook-senders", type=int, default=1)
    parser.add_argument(
        "--drain-seconds", type=float, default=180, help="bound on the worker's drain"
    )
    parser.add_argument(
        "--database",
        default="newsroom_soak",
        help="PostgreSQL database on 127.0.0.1 to drop and create for the run (kept afterwards)",
    )
    options = parser.parse_args()
    seconds = options.seconds
    redis_at, redis_for = seconds / 3, seconds / 12
    smtp_at, smtp_for = seconds * 7 / 12, seconds / 6

    with tempfile.TemporaryDirectory() as scratch:
        print("Building the site: database, demo content, static files …", file=sys.stderr)
        database_url = fresh_postgres_database(options.database)
        redis = RedisServer().start()
        sink = SmtpSink().start()
        environment = production_environment(
            database_url=database_url,
            cache_url=redis.url,
            static_root=collected_static(scratch),
            MEDIA_ROOT=f"{scratch}/media",
            TASKS_BACKEND="database",
            EMAIL_URL=f"smtp://127.0.0.1:{sink.port}",
            EMAIL_TIMEOUT=5,
            # Retries a few seconds apart, so the drain can see every email through.
            MAIL_RETRY_SECONDS=2,
            MAIL_RETRY_MAX_SECONDS=10,
            MAIL_MAX_ATTEMPTS=12,
            DONATIONS_TEST_PROVIDER="on",
            STRIPE_SECRET_KEY="",
            STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
            # Every client is 127.0.0.1: the limits meant for one reader would refuse the test.
            COMMENTS_FORM_MIN_SECONDS=0,
            COMMENTS_FLOOD_SECONDS=0,
            COMMENTS_RATE_PER_MINUTE=1_000_000,
            COMMENTS_RECEIPTS_PER_HOUR=1_000_000,
            DONATIONS_ATTEMPTS_PER_HOUR_PER_IP=1_000_000,
            DONATIONS_ATTEMPTS_PER_HOUR_PER_EMAIL=1_000_000,
            LOG_FORMAT="json",
            LOG_LEVEL="WARNING",
            SOAK_DOMAIN=DOMAIN,
            SOAK_CAMPAIGN=CAMPAIGN,
            SOAK_MODERATOR=MODERATOR,
            SOAK_MODERATOR_PASSWORD=MODERATOR_PASSWORD,
        )
        manage = [sys.executable, "manage.py"]
        for command in (["migrate", "--noinput"], ["load_demo"]):
            subprocess.run(
                manage + command, cwd=ROOT, env=environment, check=True, capture_output=True
            )
        setup = manage_json(environment, SETUP)
        site = SiteServer(environment, workers=2, threads=4).start()
        site_output = Output(lines=site.log)
        worker = subprocess.Popen(
            manage + ["db_worker", "--interval", "0.5", "--no-startup-delay"],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        worker_output = Output(worker.stderr)

        pages = [("article", path) for _pk, path in setup["articles"]]
        pages += [("list", "/"), *(("list", path) for path in setup["sections"])]
        pages += [("search", f"/search/?q={word}") for word in ("oil", "election", "court")]
        log, outcome, stop = Log(), Outcome(), threading.Event()
        plan = [
            (redis_at, "Redis killed", redis.stop),
            (redis_at + redis_for, "Redis restarted", redis.start),
            (smtp_at, "SMTP sink stopped", sink.stop),
            (smtp_at + smtp_for, "SMTP sink started", sink.start),
        ]
        crowd = [
            *(
                threading.Thread(target=read, args=(log, site, stop, pages))
                for _ in range(options.readers)
            ),
            *(
                threading.Thread(
                    target=post_comments, args=(log, site, stop, setup["articles"], outcome)
                )
                for _ in range(options.commenters)
            ),
            *(
                threading.Thread(target=give, args=(log, site, stop, outcome))
                for _ in range(options.donors)
            ),
            *(
                threading.Thread(target=send_webhooks, args=(log, site, stop, outcome))
                for _ in range(options.webhook_senders)
            ),
            threading.Thread(target=moderate, args=(log, site, stop, outcome)),
            threading.Thread(target=run_faults, args=(log, stop, sorted(plan))),
        ]
        for path in ["/", *(path for _kind, path in pages)] * 2:
            Visitor(site.port, Log()).request("warm-up", "GET", path)  # not counted
        try:
            print(f"Traffic for {seconds:.0f} s …", file=sys.stderr)
            log.started = time.monotonic()
            for thread in crowd:
                thread.start()
            time.sleep(seconds)
            stop.set()
            for thread in crowd:
                thread.join()
            if redis.process is None:
                redis.start()
            if sink.controller is None:
                sink.start()
            print("Letting the worker drain …", file=sys.stderr)
            drain_started = time.monotonic()
            drained = drain(database_url, options.drain_seconds)
            drain_took = time.monotonic() - drain_started
            tally = manage_json(environment, TALLY)
        finally:
            worker.terminate()
            worker.wait(15)
            site.stop()
            redis.stop()
            sink.stop()

    rows = writes_table(tally, outcome, setup["raised"], sink)
    five_hundreds = [r for r in log.requests if r[1] is None or r[1] >= 500]
    faults = ", ".join(f"{what} at {at:.0f} s" for at, what in log.timeline)
    print(
        f"\n{seconds:.0f} s of traffic (readers {options.readers}, commenters "
        f"{options.commenters}, donors {options.donors}, webhook senders "
        f"{options.webhook_senders}, moderator 1) against gunicorn (2 workers × 4 threads) "
        f"on PostgreSQL and Redis, email by db_worker to an SMTP sink. {faults}. "
        f"Worker {'drained' if drained else 'NOT drained'} {drain_took:.0f} s after the traffic."
    )
    for part, start, length in (
        ("Redis", redis_at, redis_for),
        ("the mail server", smtp_at, smtp_for),
    ):
        sent, failed = during(log, start, start + length)
        print(f"While {part} was down: {sent} requests, {failed} answered 5xx or not at all.")
    print()
    print("\n".join(requests_table(log)))
    print()
    print("| written | accepted by the site | stored | lost | doubled |")
    print("|---|---:|---:|---:|---:|")
    for name, accepted, stored, lost, doubled in rows:
        print(f"| {name} | {accepted} | {stored} | {lost} | {doubled} |")

    problems = [f"{name}: {lost} lost" for name, _a, _s, lost, _d in rows if bad(lost)]
    problems += [f"{name}: {doubled} doubled" for name, _a, _s, _l, doubled in rows if bad(doubled)]
    if five_hundreds:
        problems.append(f"{len(five_hundreds)} requests answered 5xx or not at all")
        for kind, status, at, _ms, path in five_hundreds[:10]:
            problems.append(f"  {at:5.1f} s {kind} {path} → {status or 'no answer'}")
    if not drained:
        problems.append(f"the worker had not drained after {options.drain_seconds:.0f} s")
    if outcome.refused:
        print(f"\nRefused comments: {dict(Counter(outcome.refused.values()))}")
    if tally["failed_tasks"]:
        print(f"Failed tasks: {dict(Counter(map(tuple, tally['failed_tasks'])))}")
    for name, output in (("site", site_output), ("worker", worker_output)):
        for (level, event), count in sorted(output.events().items()):
            print(f"{name} log: {count} × {level} {event}")
    if problems:
        print("\nFAILED:\n" + "\n".join(problems), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
