"""
Redis down, for real: the site under gunicorn in production mode with
CACHE_URL at a port nothing listens on, and with a Redis of its own stopped
mid-run or cut off. Readers, commenters, donors and staff get what they would
with Redis up; every row is stored once.
"""

import http.client
import re
import time
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import redis

from tests.faults import (
    RedisServer,
    SiteServer,
    TcpProxy,
    free_port,
    manage_json,
    production_environment,
)

SITE = {"COMMENTS_FORM_MIN_SECONDS": 0, "DONATIONS_TEST_PROVIDER": "on"}
PASSWORD = "a long staff passphrase 7"

SEED = f"""
import json
from django.contrib.auth import get_user_model
from tests.factories import *
article = ArticleFactory(title="Peru Takes the Lead", body="<p>The lead story.</p>")
donor = DonorFactory(email="ana@example.org", wants_badge=True)
DonationFactory(donor=donor)
VerifiedCommentFactory(article=article, author_email="ana@example.org", body="First word.")
CampaignFactory(slug="lights", name="Keep the lights on")
get_user_model().objects.create_superuser("editor", "editor@example.org", {PASSWORD!r})
print(json.dumps({{"article": article.get_absolute_url(), "article_id": article.pk,
                  "section": article.section.get_absolute_url()}}))
"""

COUNT = """
import json
from django.contrib.sessions.models import Session
from comments.models import Comment
from donations.models import Donation
print(json.dumps({
    "comments": sorted(Comment.objects.values_list("body", flat=True)),
    "gifts": sorted(Donation.objects.filter(donor__email__startswith="luisa")
                    .values_list("donor__email", "status")),
    "staff_sessions": sum("_auth_user_id" in s.get_decoded() for s in Session.objects.all()),
}))
"""


def run_on_site_database(database_url, code):
    environment = production_environment(
        database_url=database_url, cache_url="locmemcache://shell", static_root="/nonexistent"
    )
    return manage_json(environment, code)


class Browser:
    """A person's browser, reduced to what these pages need: cookies and form fields."""

    def __init__(self, site):
        self.site = site
        self.cookies = {}
        self.statuses = []

    def request(self, method, path, data=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.site.port, timeout=15)
        headers = {"Host": "127.0.0.1"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urlencode(data)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read().decode("utf-8", "replace")
            for header in response.msg.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    if morsel.value and morsel["max-age"] != "0":
                        self.cookies[name] = morsel.value
                    else:
                        self.cookies.pop(name, None)
        finally:
            connection.close()
        self.statuses.append((method, path, response.status))
        return response.status, response.getheader("Location"), content

    def get(self, path):
        return self.request("GET", path)

    def submit(self, page, path, fields):
        hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
        return self.request("POST", path, {**hidden, **fields})


def read(browser, path, *expected):
    status, _, page = browser.get(path)
    assert status == 200, (path, status)
    for text in expected:
        assert text in page, (path, text)
    return page


def reader_visits(site, seed, marker):
    """A reader reads, comments and gives; staff sign in. Returns what the site answered."""
    reader = Browser(site)
    article = read(reader, seed["article"], "Peru Takes the Lead", "First word.", "Supporter")
    read(reader, "/", "Peru Takes the Lead")
    read(reader, seed["section"], "Peru Takes the Lead")
    read(reader, "/search/?q=Peru", "Peru Takes the Lead")
    read(reader, "/feed/", "Peru Takes the Lead")

    status, location, _ = reader.submit(
        article,
        f"/comments/post/{seed['article_id']}/",
        {
            "body": f"A comment {marker}.",
            "author_name": "Rosa",
            "author_email": f"rosa-{marker}@example.org",
            "author_url": "",
            "parent": "",
            "phone": "",
        },
    )
    assert status == 302, status
    read(reader, location, f"A comment {marker}.")

    donor = Browser(site)
    donate = read(donor, "/donate/lights/", "Keep the lights on")
    fields = {"amount": "10", "frequency": "once", "method": "card", "name": "Luisa"}
    status, checkout, _ = donor.submit(
        donate, "/donate/lights/", {**fields, "email": f"luisa-{marker}@example.org"}
    )
    assert status == 302, status
    checkout_page = read(donor, checkout)
    status, thanks, _ = donor.submit(checkout_page, checkout, {"outcome": "complete"})
    assert status == 302, status
    read(donor, thanks, "is confirmed")

    staff = Browser(site)
    sign_in = read(staff, "/admin/login/?next=/admin/")
    status, location, _ = staff.submit(
        sign_in,
        "/admin/login/?next=/admin/",
        {"username": "editor", "password": PASSWORD, "otp_token": ""},
    )
    assert (status, location) == (302, "/admin/"), status
    read(staff, "/admin/", "Site administration")
    return reader, donor, staff


def assert_stored_once(database_url, markers):
    rows = run_on_site_database(database_url, COUNT)
    assert rows["comments"] == sorted(["First word."] + [f"A comment {m}." for m in markers])
    assert rows["gifts"] == sorted([[f"luisa-{m}@example.org", "completed"] for m in markers])
    assert rows["staff_sessions"] == len(markers)  # one per staff sign-in, in the database


def serve_site(static_root, database_url, cache_url, *, workers=2):
    environment = production_environment(
        database_url=database_url, cache_url=cache_url, static_root=static_root, **SITE
    )
    return SiteServer(environment, workers=workers).start()


def test_with_redis_at_a_closed_port_everyone_is_served_and_nothing_is_lost(serve, database_url):
    seed = run_on_site_database(database_url, SEED)
    site = serve(database_url=database_url, cache_url=f"redis://127.0.0.1:{free_port()}/0", **SITE)
    started = time.monotonic()
    reader_visits(site, seed, "closed")
    assert time.monotonic() - started < 20
    assert_stored_once(database_url, ["closed"])


def test_redis_stopped_mid_run_then_back_is_used_again(serve, database_url):
    seed = run_on_site_database(database_url, SEED)
    with RedisServer() as own:
        site = serve(database_url=database_url, cache_url=f"{own.url}?retry_after=1", **SITE)
        reader_visits(site, seed, "before")
        read(Browser(site), seed["article"], "Supporter")  # the gift forgot the supporters
        client = redis.Redis(port=own.port)
        assert list(client.scan_iter(match="*supporter-emails"))

        own.stop()
        reader_visits(site, seed, "during")

        own.start()
        assert client.dbsize() == 0  # a restarted Redis starts empty
        time.sleep(1.2)
        reader_visits(site, seed, "after")
        read(Browser(site), seed["article"], "Supporter")
        assert list(client.scan_iter(match="*supporter-emails"))
    assert_stored_once(database_url, ["before", "during", "after"])


def test_a_sign_out_during_a_redis_cut_stays_signed_out_when_redis_is_back(
    static_root, database_url
):
    """
    A cut keeps Redis's data: a session kept in Redis too would be served
    again to the old cookie once Redis is back. Sessions live in the database
    alone, so the sign-out made during the cut holds.
    """
    run_on_site_database(database_url, SEED)
    with RedisServer() as own, TcpProxy(own.port) as proxy:
        site = serve_site(
            static_root, database_url, f"redis://127.0.0.1:{proxy.port}/0?retry_after=1", workers=2
        )
        try:
            staff = Browser(site)
            sign_in = read(staff, "/admin/login/?next=/admin/")
            staff.submit(
                sign_in,
                "/admin/login/?next=/admin/",
                {"username": "editor", "password": PASSWORD, "otp_token": ""},
            )
            dashboard = read(staff, "/admin/", "Site administration")
            stolen = dict(staff.cookies)

            proxy.stop()
            status, _, _ = staff.submit(dashboard, "/admin/logout/", {})
            assert status == 200

            proxy.start()
            time.sleep(1.2)
            thief = Browser(site)
            thief.cookies = stolen
            for _ in range(10):  # whichever worker answers, and however often
                status, location, _ = thief.get("/admin/")
                assert (status, location) == (302, "/admin/login/?next=/admin/")
        finally:
            site.stop()
