"""Addresses no page has, as crawlers and attackers send them: a 404, never a server error."""

import pytest

from tests.factories import ArticleFactory, AuthorFactory, SectionFactory, TagFactory

pytestmark = pytest.mark.django_db

ARCHIVES = [
    "/9999/12/31/",  # no next day to bound the query: OverflowError before
    "/9999/12/",
    "/9999/",
    "/0000/",
    "/0000/01/",
    "/0000/01/01/",
    "/0001/",
    "/0001/01/",
    "/0001/01/01/",
    "/2023/00/",
    "/2023/13/",
    "/2023/01/00/",
    "/2023/01/32/",
    "/2023/02/30/",
    "/2023/02/29/",
    "/10000/",
]
PAGES = ["0", "-1", "99999999999999999999", "1e3", "1.5", "last2", "²", "0x10", "9" * 5000]
LISTS = ["/", "/category/politics/", "/tag/vote/", "/author/ana/", "/corrections/",
         "/search/?q=vote&", "/2024/"]  # fmt: skip


@pytest.fixture
def site():
    section, tag, author = (
        SectionFactory(slug="politics"),
        TagFactory(slug="vote"),
        AuthorFactory(slug="ana"),
    )
    ArticleFactory(slug="headline", title="The vote", section=section, tags=[tag],
                   authors=[author])  # fmt: skip


@pytest.mark.parametrize("time_zone", ["UTC", "Asia/Tokyo", "America/Lima"])
@pytest.mark.parametrize("path", ARCHIVES)
def test_out_of_range_dates_are_404(client, site, settings, path, time_zone):
    settings.TIME_ZONE = time_zone
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/9999/12/31/headline/",
        "/0000/01/01/headline/",
        "/2023/02/30/headline/",
        "/2023/13/45/headline/",
    ],
)
def test_an_article_under_an_impossible_date_redirects_to_its_address(client, site, path):
    response = client.get(path)
    assert response.status_code == 301 and response["Location"].endswith("/headline/")


@pytest.mark.parametrize("number", PAGES)
@pytest.mark.parametrize("path", LISTS)
def test_page_numbers_that_are_not_pages_are_404(client, site, path, number):
    separator = "" if path.endswith("&") else "?"
    response = client.get(f"{path}{separator}page={number}")
    assert response.status_code == 404
