"""
PostgreSQL gone, then back, while readers keep coming: the site served by
gunicorn in production mode, its database behind a proxy that drops every
connection and refuses new ones, as a stopped or restarting server does.

Readers get the outage page in the site's design (503, Retry-After) and never
a traceback; the same gunicorn serves pages again as soon as the database is
back; connections the server cuts cost at most the requests that were using
them; and a write cut off half-way leaves nothing behind.
"""

import contextlib
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.flatpages.models import FlatPage
from django.contrib.sites.models import Site
from django.db import OperationalError, connection

from articles.models import Article
from comments.models import Comment
from comments.services import comment_post
from newsroom.models import OutgoingEmail
from tests.factories import ArticleFactory, CommentFactory
from tests.faults import wait_until
from tests.newsroom.test_error_pages import (
    OUTAGE_HEADING,
    assert_outage_headers,
    assert_site_page,
    json_events,
)
from tests.resilience.conftest import postgresql_url

pytestmark = pytest.mark.postgresql

READERS = 4


@pytest.fixture
def pages(transactional_db):
    """Addresses a reader visits, each of which reads the database (the last in a middleware)."""
    article = ArticleFactory(title="Council passes the budget")
    FlatPage.objects.create(
        url="/about/", title="About us", content="<p>Who we are.</p>"
    ).sites.add(Site.objects.get_current())
    return [
        "/",
        article.get_absolute_url(),
        article.section.get_absolute_url(),
        "/search/?q=budget",
        "/about/",
        "/donate/",
        "/?p=12",
    ]


class Readers:
    """Readers on several threads; every response any of them got, in `responses`."""

    def __init__(self, server):
        self.server = server
        self.responses = []

    def visit(self, url):
        response = self.server.get(url)
        self.responses.append((url, response))
        return response

    def read(self, urls, *, rounds=2):
        with ThreadPoolExecutor(READERS) as pool:
            return list(pool.map(self.visit, [url for _ in range(rounds) for url in urls]))

    def all_answer(self, urls):
        return all(self.visit(url).status == 200 for url in urls)


def assert_outage_page(response):
    assert response.status == 503
    assert_outage_headers(response.headers)
    assert_site_page(response.text, OUTAGE_HEADING)


def test_readers_get_the_outage_page_while_the_database_is_gone_and_pages_once_it_is_back(
    pages, postgresql_proxy, serve
):
    server = serve(database_url=postgresql_url(postgresql_proxy.port), LOG_FORMAT="json")
    log = server.log
    readers = Readers(server)
    assert {response.status for response in readers.read(pages)} == {200}
    article = readers.visit(pages[1])
    csrf_cookie = re.search(r"csrftoken=(\w+)", article.headers["Set-Cookie"]).group(1)
    csrf_field = re.search(r'name="csrfmiddlewaretoken" value="(\w+)"', article.text).group(1)
    comment_form = re.search(r'action="(/comments/post/\d+/)"', article.text).group(1)

    postgresql_proxy.stop()
    for response in readers.read(pages):
        assert_outage_page(response)
    # A reader sending a comment: past the CSRF check, the view cannot find the article.
    posted = server.post(
        comment_form,
        {"csrfmiddlewaretoken": csrf_field, "body": "Well reported."},
        headers={"Cookie": f"csrftoken={csrf_cookie}"},
    )
    assert_outage_page(posted)

    postgresql_proxy.start()
    back = time.monotonic()
    wait_until(lambda: readers.all_answer(pages), seconds=5, message="pages after the outage")
    print(f"pages answered again {time.monotonic() - back:.2f} s after the database came back")
    assert {response.status for response in readers.read(pages)} == {200}

    outage_pages = sum(response.status == 503 for _url, response in readers.responses) + 1
    wait_until(lambda: len(json_events(log, "database.unavailable")) >= outage_pages)
    assert len(json_events(log, "database.unavailable")) == outage_pages
    assert not [line for line in log if "Traceback" in line or '"level": "ERROR"' in line]


def terminate(application_name):
    """Cut, from the server's side, every connection the site holds: how many there were."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
            [application_name],
        )
        return len(cursor.fetchall())


def backends(application_name):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s", [application_name]
        )
        return {pid for (pid,) in cursor.fetchall()}


@pytest.fixture
def site_and_name(pages, serve):
    """The site on the test database, its connections named so that only they are cut."""
    name = f"newsroom-site-{uuid.uuid4().hex[:12]}"
    return serve(database_url=f"{postgresql_url()}?application_name={name}"), name


def test_a_kept_connection_the_server_cut_is_replaced_before_a_reader_needs_it(
    pages, site_and_name
):
    server, name = site_and_name
    readers = Readers(server)
    assert {response.status for response in readers.read(pages)} == {200}
    kept = backends(name)
    assert kept and terminate(name) == len(kept)
    wait_until(lambda: not backends(name), message="the cut connections to end")

    assert {response.status for response in readers.read(pages)} == {200}
    assert backends(name) and not backends(name) & kept


def test_connections_cut_during_traffic_fail_at_most_the_requests_using_them(pages, site_and_name):
    server, name = site_and_name
    readers = Readers(server)
    assert {response.status for response in readers.read(pages)} == {200}
    started, rounds, cuts = len(readers.responses), 8, 3
    # Cut when a quarter, half and three quarters of the traffic is answered.
    checkpoints = [started + rounds * len(pages) * n // (cuts + 1) for n in range(1, cuts + 1)]
    cut = 0
    with ThreadPoolExecutor(1) as traffic:
        running = traffic.submit(readers.read, pages, rounds=rounds)
        for answered in checkpoints:
            wait_until(lambda answered=answered: len(readers.responses) >= answered)
            cut += terminate(name)
        responses = running.result()

    failed = [response for response in responses if response.status != 200]
    print(f"{len(responses)} requests, {cut} connections cut, {len(failed)} answered 503")
    assert cut > 0
    # Only a request using a connection as it was cut can fail: idle ones are replaced.
    assert len(failed) <= min(cut, cuts * READERS)
    for response in failed:
        assert_outage_page(response)
    assert {response.status for response in readers.read(pages)} == {200}


@contextlib.contextmanager
def connected_through(proxy):
    """This test's own connection to the database goes through the proxy, to be cut."""
    port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = proxy.port
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["PORT"] = port


def cut_after(proxy, count):
    """An execute wrapper: the connection drops once `count` statements of the write have run."""
    written = []

    def wrapper(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if written or sql.startswith('INSERT INTO "comments_comment"'):
            written.append(sql)
            if len(written) == count:
                proxy.stop()
        return result

    return wrapper, written


@pytest.mark.parametrize("count", [1, 2, 3, 4, 5, 6, 7])
def test_a_comment_cut_off_half_way_through_its_write_leaves_nothing(postgresql_proxy, count):
    """
    Posting an approved comment writes the comment, its place in the thread, its
    receipt in the outbox (after reading the site's domain for the link), then
    locks and recounts the article: `count` of those seven statements run, then
    the connection is gone (after the seventh, the commit is what fails). What
    was written before the cut must not survive it, the receipt included.
    """
    # A regular: approved before under this name and address, so this one is approved too.
    CommentFactory(author_name="Ana", author_email="ana@example.org")
    article = ArticleFactory()
    wrapper, written = cut_after(postgresql_proxy, count)
    with (
        connected_through(postgresql_proxy),
        pytest.raises(OperationalError),
        connection.execute_wrapper(wrapper),
    ):
        comment_post(
            article=article,
            body="The council should publish the full budget.",
            author_name="Ana",
            author_email="ana@example.org",
            ip_address="203.0.113.9",
            email_verified=True,
        )
    assert len(written) == count

    assert not Comment.objects.filter(article=article).exists()
    assert Article.objects.get(pk=article.pk).comment_count == 0
    assert not OutgoingEmail.objects.exists()


def test_the_same_comment_uncut_is_stored_and_counted(transactional_db):
    CommentFactory(author_name="Ana", author_email="ana@example.org")
    article = ArticleFactory()
    comment = comment_post(
        article=article,
        body="The council should publish the full budget.",
        author_name="Ana",
        author_email="ana@example.org",
        ip_address="203.0.113.9",
        email_verified=True,
    )
    assert comment.status == Comment.Status.APPROVED
    assert Comment.objects.get(article=article).path == comment.path
    assert Article.objects.get(pk=article.pk).comment_count == 1
