"""
Old WordPress addresses (/?p=, /?page_id=, /?cat=, /?attachment_id=) as an
attacker sends them: only ASCII digits within the column are looked up, and
only a path on this site is ever redirected to.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from articles.models import Article
from newsroom.models import LegacyLink
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def links():
    """Old links whose ids are what a lax parser would read some odd values as."""
    for kind, wp_id, path in [
        ("p", 2, "/2020/01/02/two/"),
        ("cat", 1, "/category/one/"),
        ("page_id", 3, "/three/"),
        ("p", 1, "/2020/01/01/one/"),
    ]:
        LegacyLink.objects.create(kind=kind, wp_id=wp_id, path=path)


@pytest.mark.parametrize(
    "query",
    [
        "p=%C2%B2",  # "²": str.isdigit() is True, int() fails
        "cat=%E2%91%A0",  # "①": the same
        "page_id=%D9%A3",  # "٣": Arabic-Indic three, which int() reads as 3
        "p=99999999999999999999999",  # beyond the 64-bit column
        "p=-1",
        "p=+1",  # "+" is a space in a query string
        "p=1.0",
        "p=0x1",
        "p=1%20OR%201=1",
        "p=",
        "p=1&p=",  # the last value wins, as in Django
    ],
)
def test_odd_ids_get_the_home_page_not_a_redirect_or_an_error(client, links, query):
    response = client.get(f"/?{query}")
    assert response.status_code == 200
    assert "Location" not in response
    assert response.templates and response.templates[0].name == "articles/home.html"


@pytest.mark.parametrize("query", ["p=%00", "p=1%00", "page_id=%00%00"])
def test_nul_bytes_in_an_id_never_reach_the_database(client, links, query):
    response = client.get(f"/?{query}")
    assert response.status_code in (200, 400, 404)
    assert "Location" not in response


def test_ascii_digits_still_redirect(client, links):
    response = client.get("/?page_id=3")
    assert response.status_code == 301 and response["Location"] == "/three/"


@pytest.mark.parametrize(
    "stored",
    [
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example/",
        "https://evil.example/",
        "javascript:alert(1)",
        "/../evil/",
        "/a/../../b/",
        " //evil.example/",
        "/%2F%2Fevil.example/",
        "///evil.example/",
        "/ok/\r\nSet-Cookie: a=b",
        "",
    ],
)
def test_a_stored_link_to_anywhere_but_a_local_path_is_not_followed(client, stored):
    """Defence in depth: whatever wrote the row (an older import, a shell), it is checked again."""
    LegacyLink.objects.create(kind="page_id", wp_id=7, path=stored)
    response = client.get("/?page_id=7")
    assert response.status_code == 200
    assert "Location" not in response


@pytest.mark.parametrize("db_value", [2**63 - 1])
def test_the_largest_id_the_column_holds_is_looked_up(client, db_value):
    path = ArticleFactory(slug="last").get_absolute_url()
    LegacyLink.objects.create(kind="p", wp_id=db_value, path=path)
    response = client.get(f"/?p={db_value}")
    assert response.status_code == 301 and response["Location"] == path
    assert client.get(f"/?p={db_value + 1}").status_code == 200


@pytest.mark.parametrize(
    "unpublished",
    [
        {"status": Article.Status.DRAFT},
        {"status": Article.Status.PUBLISHED,
         "publish_at": timezone.now() + timedelta(days=30)},  # embargoed
    ],
)  # fmt: skip
def test_an_old_link_to_an_unpublished_story_names_nothing_until_it_is_live(client, unpublished):
    """The redirect would name the story's address, and the address carries its headline."""
    story = ArticleFactory(slug="whistleblower-named-at-the-ministry", **unpublished)
    path = f"/2020/01/02/{story.slug}/"
    LegacyLink.objects.create(kind="p", wp_id=501, path=path)
    LegacyLink.objects.create(kind="attachment_id", wp_id=601, path=path)
    for query in ("p=501", "attachment_id=601"):
        response = client.get(f"/?{query}")
        assert response.status_code == 200 and "Location" not in response
        assert "whistleblower" not in response.content.decode()

    Article.objects.filter(pk=story.pk).update(
        status=Article.Status.PUBLISHED, publish_at=timezone.now() - timedelta(hours=1)
    )
    assert client.get("/?p=501")["Location"] == path
