import re

import pytest
from playwright.sync_api import expect

from donations.models import Appeal
from tests.factories import ArticleFactory, AuthorFactory, SectionFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_reader_follows_a_section_to_an_article(site, page):
    Appeal.objects.create(message="We are 100% reader-supported.", button_label="Donate")
    politics = SectionFactory(name="Politics", slug="politics")
    author = AuthorFactory(name="Ana Rivas", slug="ana-rivas")
    ArticleFactory(
        title="Peru Takes the Lead",
        section=politics,
        authors=[author],
        body="<p>Remember back when every former president was against the regime?</p>",
    )
    ArticleFactory(title="A story about something else")

    page.goto(site.url)
    expect(page.get_by_role("heading", name="Peru Takes the Lead")).to_be_visible()
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Politics").click()
    expect(page).to_have_url(re.compile(r"/category/politics/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Politics")
    expect(page.get_by_text("A story about something else")).to_have_count(0)

    page.get_by_role("link", name="Peru Takes the Lead").click()
    expect(page).to_have_url(re.compile(r"/\d{4}/\d{2}/\d{2}/headline-\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Peru Takes the Lead")
    expect(page.get_by_text("Remember back when every former president")).to_be_visible()
    expect(page.get_by_text("We are 100% reader-supported.")).to_be_visible()
    page.get_by_role("link", name="Ana Rivas").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ana Rivas")


def test_reader_searches_from_the_header(site, page):
    ArticleFactory(title="Refinery outages and the lines at the pump")
    ArticleFactory(title="A salsa orchestra rehearses")
    page.goto(site.url)
    page.get_by_label("Search articles").first.fill("refinery")
    page.get_by_label("Search articles").first.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Results for “refinery”")
    expect(
        page.get_by_role("link", name="Refinery outages and the lines at the pump")
    ).to_be_visible()
    expect(page.get_by_text("A salsa orchestra rehearses")).to_have_count(0)


def test_article_page_fits_a_phone(site, browser):
    article = ArticleFactory(title="Peru Takes the Lead")
    phone = browser.new_page(viewport={"width": 375, "height": 740})
    phone.goto(site.url + article.get_absolute_url())
    expect(phone.get_by_role("heading", level=1)).to_be_visible()
    scroll_width = phone.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 375
    phone.close()
