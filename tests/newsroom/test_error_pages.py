"""
What a reader gets when a request fails: the site's own design, no traceback,
and, while the database cannot be reached, a 503 that says to come back soon.
The pages render from settings alone, so they work with the database gone.
Errors are logged once each with the request's method, path and status, and
reach Sentry only when SENTRY_DSN is set.
"""

import gzip
import json
import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import InterfaceError, OperationalError, connection
from django.test import Client, RequestFactory
from django.urls import path

from newsroom.errors import server_error
from newsroom.logs import JsonFormatter
from newsroom.urls import handler500  # noqa: F401 (this module's URLconf takes the site's)
from newsroom.urls import urlpatterns as site_urlpatterns
from tests.articles.markup import handlers, parse
from tests.factories import ArticleFactory
from tests.faults import ROOT, SiteServer, collected_static, production_environment, wait_until

OUTAGE_HEADING = "We will be back in a moment"
ERROR_HEADING = "Something went wrong"


def assert_site_page(html, heading):
    """The site's header, stylesheet and footer around `heading`; no script, style or traceback."""
    found, text = parse(html)
    assert heading in text
    assert "Newsroom" in text and "Independent, reader-supported journalism" in text
    assert any(tag == "header" and "site-header" in attrs.get("class", "") for tag, attrs in found)
    stylesheets = [attrs["href"] for tag, attrs in found if attrs.get("rel") == "stylesheet"]
    assert len(stylesheets) == 1 and "/static/newsroom/css/site" in stylesheets[0]
    assert not [tag for tag, attrs in found if tag in ("script", "style") or "style" in attrs]
    assert not handlers(html)
    assert "Traceback" not in html and "Server Error (500)" not in html


def assert_outage_headers(headers):
    """Come back soon, and nothing in between keeps this answer once the site is back."""
    assert int(headers["Retry-After"]) > 0
    assert "no-store" in headers["Cache-Control"]


def boom(request):
    raise ValueError("a bug in a view")


# This module is the URLconf of the tests marked `urls`: the site's own, with its
# own handler500, plus a page with a bug in it.
urlpatterns = [path("boom/", boom), *site_urlpatterns]


def _raised(exc):
    """Call the handler as Django does: while `exc` is being handled."""
    try:
        raise exc
    except Exception:
        return server_error(RequestFactory().get("/2024/05/01/a-story/"))


@pytest.mark.parametrize(
    ("exc", "status", "heading"),
    [
        (OperationalError("connection refused"), 503, OUTAGE_HEADING),
        (InterfaceError("connection already closed"), 503, OUTAGE_HEADING),
        (ValueError("a bug"), 500, ERROR_HEADING),
    ],
)
def test_the_error_pages_render_without_a_database_query(
    db, django_assert_num_queries, exc, status, heading
):
    with django_assert_num_queries(0):
        response = _raised(exc)
    assert response.status_code == status
    assert_site_page(response.content.decode(), heading)
    assert "no-store" in response.headers["Cache-Control"]
    assert ("Retry-After" in response.headers) == (status == 503)


def test_an_error_raised_while_handling_a_lost_connection_is_the_outage_too(db):
    try:
        try:
            raise OperationalError("server closed the connection unexpectedly")
        except OperationalError:
            raise RuntimeError("cleanup failed") from None
    except RuntimeError as error:
        cause = error
    # `from None` hides the context from tracebacks, not from the chain.
    assert _raised(cause).status_code == 503


def refuse(execute, sql, params, many, context):
    """Fail a query as a stopped server makes it fail."""
    raise OperationalError('connection to server at "127.0.0.1", port 5432 failed: refused')


@pytest.fixture
def database_refusing():
    with connection.execute_wrapper(refuse):
        yield


@pytest.fixture
def reader():
    return Client(raise_request_exception=False)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/",  # the view
        "/?p=12",  # an old WordPress link, looked up by a middleware before any view
        "/no-such-page/",  # a 404, whose page lists the sections
        "/search/?q=budget",
    ],
)
def test_a_reader_gets_the_outage_page_while_the_database_refuses(
    reader, database_refusing, caplog, url
):
    response = reader.get(url)
    assert response.status_code == 503
    assert_outage_headers(response.headers)
    assert_site_page(response.content.decode(), OUTAGE_HEADING)
    [record] = [r for r in caplog.records if r.name in ("newsroom.errors", "django.request")]
    assert record.name == "newsroom.errors" and record.exc_info is None
    assert (record.event, record.method, record.path, record.status) == (
        "database.unavailable",
        "GET",
        url.partition("?")[0],
        503,
    )


@pytest.mark.django_db
def test_a_signed_in_editor_gets_the_outage_page_from_the_admin(editor_client, database_refusing):
    """Sign-in and two-factor middleware read the user from the database before the view."""
    editor_client.raise_request_exception = False
    response = editor_client.get("/admin/")
    assert response.status_code == 503
    assert_outage_headers(response.headers)
    assert_site_page(response.content.decode(), OUTAGE_HEADING)


@pytest.mark.django_db
def test_the_article_page_is_back_once_the_database_answers(reader):
    article = ArticleFactory(title="Council passes the budget")
    with connection.execute_wrapper(refuse):
        assert reader.get(article.get_absolute_url()).status_code == 503
    response = reader.get(article.get_absolute_url())
    assert response.status_code == 200 and "Council passes the budget" in response.text


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_a_bug_gets_the_error_page_and_one_log_line_with_the_request(reader, caplog):
    response = reader.post("/boom/?token=secret", {"email": "reader@example.org"})
    assert response.status_code == 500
    assert "Retry-After" not in response.headers
    assert_site_page(response.content.decode(), ERROR_HEADING)
    [record] = [r for r in caplog.records if r.name in ("newsroom.errors", "django.request")]
    line = json.loads(JsonFormatter().format(record))
    assert line["level"] == "ERROR" and line["event"] == "server.error"
    assert (line["method"], line["path"], line["status"]) == ("POST", "/boom/", 500)
    assert "ValueError: a bug in a view" in line["traceback"]
    assert "secret" not in json.dumps(line) and "reader@example.org" not in json.dumps(line)


# The site served by gunicorn in production mode with a database it cannot open:
# the real driver's error through the real request path, on SQLite as well.


def json_events(lines, event):
    found = []
    for line in lines:
        if line.startswith("{"):
            entry = json.loads(line)
            if entry.get("event") == event:
                found.append(entry)
    return found


@pytest.fixture
def unreachable_site(tmp_path_factory):
    """Start the site on a database file that cannot be opened; stopped after the test."""
    servers = []

    def start(**settings):
        environment = production_environment(
            database_url=f"sqlite:///{tmp_path_factory.mktemp('gone')}/missing/site.sqlite3",
            cache_url="locmemcache://site",
            static_root=collected_static(tmp_path_factory.mktemp("static")),
            LOG_FORMAT="json",
            **settings,
        )
        server = SiteServer(environment, workers=1, threads=2).start()
        servers.append(server)
        return server, server.log

    yield start
    for server in servers:
        server.stop()


SITE_PATHS = ["/", "/2024/05/01/a-story/", "/?p=12", "/search/?q=budget", "/donate/", "/about/"]


def test_the_served_site_answers_every_page_with_the_outage_page(unreachable_site):
    server, log = unreachable_site()
    for url in SITE_PATHS:
        response = server.get(url)
        assert response.status == 503
        assert_outage_headers(response.headers)
        assert_site_page(response.text, OUTAGE_HEADING)
    stylesheet = [a["href"] for t, a in parse(response.text)[0] if a.get("rel") == "stylesheet"]
    assert server.get(stylesheet[0]).status == 200
    wait_until(lambda: len(json_events(log, "database.unavailable")) == len(SITE_PATHS))
    events = json_events(log, "database.unavailable")
    assert [(e["method"], e["path"], e["status"]) for e in events] == [
        ("GET", url.partition("?")[0], 503) for url in SITE_PATHS
    ]
    assert all("OperationalError" in e["error"] for e in events)
    assert not [line for line in log if "Traceback" in line]


def test_a_database_that_never_answers_gives_the_outage_page_not_a_hung_request(
    tmp_path_factory,
):
    """A server that takes the connection and says nothing, as a hung or half-dead host does."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # the kernel accepts; nobody ever reads or answers
    environment = production_environment(
        database_url=f"postgres://postgres@127.0.0.1:{silent.getsockname()[1]}/newsroom",
        cache_url="locmemcache://site",
        static_root=collected_static(tmp_path_factory.mktemp("static")),
        DATABASE_CONNECT_TIMEOUT=2,
    )
    server = SiteServer(environment, workers=1, threads=2).start()
    try:
        started = time.monotonic()
        response = server.get("/", timeout=20)
        waited = time.monotonic() - started
    finally:
        server.stop()
        silent.close()
    assert response.status == 503
    assert_outage_headers(response.headers)
    assert_site_page(response.text, OUTAGE_HEADING)
    assert waited < 10, f"the reader waited {waited:.1f} s"


# Sentry, only when SENTRY_DSN is set.


def _settings_loaded(code, **environment):
    """Run `code` after Django set up the settings, in a fresh interpreter."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")}
    env.update(DJANGO_SETTINGS_MODULE="newsroom.settings", DEBUG="on", **environment)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )


def test_without_sentry_dsn_nothing_is_initialised():
    result = _settings_loaded(
        "import sys, django; django.setup(); print('sentry_sdk' in sys.modules)"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_sentry_dsn_without_the_sdk_installed_stops_the_site_with_how_to_fix_it():
    result = _settings_loaded(
        "import sys; sys.modules['sentry_sdk'] = None; import django; django.setup()",
        SENTRY_DSN="http://public@127.0.0.1:9/1",
    )
    assert result.returncode != 0
    assert 'SENTRY_DSN is set but sentry-sdk is not installed: pip install "newsroom[sentry]"' in (
        result.stderr
    )


class SentrySink(ThreadingHTTPServer):
    """A local stand-in for Sentry's ingest endpoint that keeps the events it is sent."""

    def __init__(self):
        self.events = []
        super().__init__(("127.0.0.1", 0), _SentryHandler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def dsn(self):
        return f"http://publickey@127.0.0.1:{self.server_address[1]}/1"


class _SentryHandler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        encoding = self.headers.get("Content-Encoding")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "br":  # sentry-sdk compresses so only when brotli is installed
            import brotli

            body = brotli.decompress(body)
        lines = body.splitlines()
        for item_header, payload in zip(lines[1::2], lines[2::2], strict=False):
            if json.loads(item_header).get("type") == "event":
                self.server.events.append(json.loads(payload))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


def test_sentry_gets_the_outage_with_the_request_and_nothing_personal(unreachable_site):
    sink = SentrySink()
    try:
        server, _log = unreachable_site(SENTRY_DSN=sink.dsn)
        response = server.get(
            "/2024/05/01/a-story/?ref=home",
            headers={"Cookie": "sessionid=secret-session", "X-Forwarded-For": "198.51.100.7"},
        )
        assert response.status == 503
        wait_until(lambda: sink.events, message="an event at the Sentry sink")
    finally:
        sink.shutdown()
    [event] = sink.events
    assert event["exception"]["values"][-1]["type"] == "OperationalError"
    request = event["request"]
    assert request["method"] == "GET"
    assert request["url"].endswith("/2024/05/01/a-story/")
    assert request["query_string"] == "ref=home"
    sent = json.dumps(event)
    assert "secret-session" not in sent and "198.51.100.7" not in sent
    assert "127.0.0.1" not in json.dumps(event.get("user", {}))
