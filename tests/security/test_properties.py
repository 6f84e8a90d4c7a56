"""
Properties that hold for any input, searched by hypothesis: the sanitizers
never let anything runnable through, and the reader's forms either store
something safe or answer with a form error, never a server error.
"""

import pytest
from django.core.cache import cache
from hypothesis import HealthCheck, given
from hypothesis import settings as search
from hypothesis import strategies as st

from articles.sanitize import sanitize_body
from comments.forms import issue_timestamp
from comments.models import Comment
from comments.sanitize import render_comment
from donations.models import Donation
from tests.factories import ArticleFactory
from tests.security.html_check import dangers
from tests.security.payloads import URL_TRICKS, XSS

FRAGMENTS = [
    "<",
    ">",
    "</",
    "/>",
    '"',
    "'",
    "=",
    "`",
    "&",
    "&#",
    "&#x",
    ";",
    "\\",
    "@",
    "\x00",
    "\t",
    "\n",
    "\u00ad",
    "\u200b",
    "script",
    "iframe",
    "img",
    "svg",
    "style",
    "a",
    "p",
    " src=",
    " href=",
    " onerror=",
    " onload=",
    " style=",
    " srcdoc=",
    " target=_blank",
    " rel=opener",
    " allow=camera",
    "javascript:",
    "data:",
    "https://www.youtube.com/embed/x",
    "https://evil.example/",
    "<!--",
    "-->",
    "<![CDATA[",
    "alert(1)",
    "[caption]",
    "<!-- wp:paragraph -->",
]

hostile_text = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS + XSS + URL_TRICKS), st.text(max_size=6)), max_size=30
).map("".join)

QUICK = search(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@QUICK
@given(hostile_text)
def test_an_article_body_is_never_left_runnable_and_sanitizing_twice_changes_nothing(text):
    once = sanitize_body(text)
    assert dangers(once) == []
    assert sanitize_body(once) == once


@QUICK
@given(hostile_text)
def test_a_comment_is_never_left_runnable(text):
    assert dangers(render_comment(text)) == []


@pytest.fixture
def open_article(db, settings):
    settings.COMMENTS_FORM_MIN_SECONDS = 0
    settings.COMMENTS_FLOOD_SECONDS = 0
    settings.COMMENTS_RATE_PER_MINUTE = 10**6
    return ArticleFactory()


@QUICK
@given(
    body=hostile_text,
    name=st.one_of(hostile_text, st.text(min_size=90, max_size=300)),
    email=st.one_of(st.emails(), hostile_text, st.just("a" * 250 + "@example.org")),
    url=st.one_of(st.sampled_from(URL_TRICKS), hostile_text, st.just("https://e.org/" + "a" * 300)),
    parent=st.one_of(st.just(""), st.text(max_size=30), st.integers().map(str)),
)
def test_the_comment_form_stores_something_safe_or_says_what_is_wrong(
    client, open_article, body, name, email, url, parent
):
    cache.clear()
    response = client.post(
        f"/comments/post/{open_article.pk}/",
        {
            "body": body,
            "author_name": name,
            "author_email": email,
            "author_url": url,
            "parent": parent,
            "issued": issue_timestamp(open_article.pk),
        },
    )
    assert response.status_code in (302, 400)
    for comment in Comment.objects.all():
        assert dangers(comment.body_html) == []
        assert not comment.author_url or comment.author_url.startswith(("http://", "https://"))


amounts = st.one_of(
    st.sampled_from(["Infinity", "-Infinity", "NaN", "1e999999", "-0", "10,00", "1,000.50"]),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.integers().map(str),
    hostile_text,
)


@QUICK
@given(
    amount=amounts,
    other=amounts,
    email=st.one_of(st.emails(), hostile_text, st.just("a" * 300 + "@example.org")),
    name=st.one_of(hostile_text, st.text(min_size=150, max_size=400)),
    message=hostile_text,
    checkout_key=st.one_of(st.text(max_size=200), st.just("k" * 500)),
    frequency=st.sampled_from(["once", "month", "year", "", "weekly", "<script>"]),
)
def test_the_donate_form_starts_a_gift_or_says_what_is_wrong(
    client, db, settings, amount, other, email, name, message, checkout_key, frequency
):
    cache.clear()
    settings.STRIPE_SECRET_KEY = ""
    settings.DONATIONS_TEST_PROVIDER = True
    response = client.post(
        "/donate/",
        {
            "amount": amount,
            "other_amount": other,
            "currency": "USD",
            "frequency": frequency,
            "email": email,
            "name": name,
            "public_message": message,
            "method": "card",
            "checkout_key": checkout_key,
        },
    )
    assert response.status_code in (302, 400, 429)
    for donation in Donation.objects.all():
        assert settings.DONATIONS_MIN_AMOUNT <= donation.amount <= settings.DONATIONS_MAX_AMOUNT


@QUICK
@given(query=st.text(max_size=40), page_number=st.text(max_size=12))
def test_list_pages_answer_any_query_string_without_a_server_error(client, db, query, page_number):
    for url in ("/", "/search/", "/donate/"):
        response = client.get(url, {"q": query, "page": page_number, "amount": query, "p": query})
        assert response.status_code in (200, 301, 302, 400, 404), url
