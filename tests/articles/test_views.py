from datetime import timedelta

import feedparser
import pytest
from django.contrib.flatpages.models import FlatPage
from django.db import connection
from django.utils import timezone

from articles.models import Article
from donations.models import Appeal
from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    ImageFactory,
    SectionFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db


def text(response):
    return response.content.decode()


def test_home_shows_featured_first_then_latest(client):
    old_featured = ArticleFactory(
        title="A featured investigation",
        is_featured=True,
        publish_at=timezone.now() - timedelta(days=5),
    )
    latest = ArticleFactory(title="This morning's news")
    page = text(client.get("/"))
    assert page.index("Featured") < page.index("A featured investigation")
    assert page.index("A featured investigation") < page.index("Latest")
    assert page.index("Latest") < page.index("This morning&#x27;s news")
    assert page.count(old_featured.get_absolute_url()) >= 1
    assert latest.get_absolute_url() in page


def test_home_paginates(client, settings):
    settings.ARTICLES_PER_PAGE = 2
    for hours in range(5):
        ArticleFactory(
            title=f"Story {hours} hours old", publish_at=timezone.now() - timedelta(hours=hours + 1)
        )
    first, third = text(client.get("/")), text(client.get("/?page=3"))
    assert "Story 0 hours old" in first and "Story 4 hours old" not in first
    assert "Story 4 hours old" in third and "Page 3 of 3" in third
    assert client.get("/?page=9").status_code == 404


def test_hidden_articles_are_not_listed(client):
    ArticleFactory(title="A draft", status=Article.Status.DRAFT)
    ArticleFactory(title="Tomorrow's scoop", publish_at=timezone.now() + timedelta(days=1))
    page = text(client.get("/"))
    assert "A draft" not in page and "scoop" not in page


def test_article_page_shows_what_the_seed_page_shows(client):
    Appeal.objects.update(message="We are 100% reader-supported.")
    author = AuthorFactory(name="Ana Rivas", slug="ana-rivas")
    tag = TagFactory(name="OAS", slug="oas")
    article = ArticleFactory(
        title="Peru Takes the Lead",
        dek="Lima asks the OAS to act.",
        body="<p>Remember back when…</p><blockquote><p>Peru’s president</p></blockquote>",
        authors=[author],
        tags=[tag],
        featured_image=ImageFactory(caption="The march", credit="Luis Méndez"),
    )
    page = text(client.get(article.get_absolute_url()))
    assert "<h1>Peru Takes the Lead</h1>" in page
    assert "Lima asks the OAS to act." in page
    assert '<a href="/author/ana-rivas/" rel="author">Ana Rivas</a>' in page
    assert "<blockquote><p>Peru’s president</p></blockquote>" in page
    assert 'href="/tag/oas/"' in page
    assert "The march" in page and "Photo: Luis Méndez" in page
    assert "srcset=" in page and 'width="1600" height="900"' in page
    assert "We are 100% reader-supported." in page and 'href="/donate/"' in page
    assert '<meta property="og:title" content="Peru Takes the Lead">' in page
    assert f'<link rel="canonical" href="http://testserver{article.get_absolute_url()}">' in page
    assert '"@type": "NewsArticle"' in page and '"headline": "Peru Takes the Lead"' in page


def test_json_ld_cannot_break_out_of_its_element(client):
    article = ArticleFactory(title="</script><script>alert(1)</script>")
    page = text(client.get(article.get_absolute_url()))
    assert "<script>alert(1)" not in page


def test_article_with_wrong_date_in_url_redirects_to_its_permalink(client):
    article = ArticleFactory(slug="moved")
    response = client.get("/1999/01/01/moved/")
    assert response.status_code == 301
    assert response["Location"] == article.get_absolute_url()


@pytest.mark.parametrize(
    "hidden",
    [
        {"status": Article.Status.DRAFT},
        {"status": Article.Status.REVIEW},
        {"publish_at": timezone.now() + timedelta(days=2)},
    ],
)
def test_unpublished_articles_are_404_to_readers_and_previews_to_staff(
    client, editor_client, hidden
):
    article = ArticleFactory(title="Not yet", **hidden)
    assert client.get(article.get_absolute_url()).status_code == 404
    response = editor_client.get(article.get_absolute_url())
    assert response.status_code == 200
    assert "Preview" in text(response) and "readers cannot see" in text(response)
    assert "no-cache" in response["Cache-Control"]
    assert '<meta name="robots" content="noindex">' in text(response)


def test_published_article_has_no_preview_banner_for_staff(editor_client):
    article = ArticleFactory()
    assert "preview-banner" not in text(editor_client.get(article.get_absolute_url()))


def test_section_page_lists_its_and_its_subsections_articles(client):
    economy = SectionFactory(name="Economy", slug="economy")
    oil = SectionFactory(name="Oil", slug="oil", parent=economy)
    ArticleFactory(title="Prices rise", section=economy)
    ArticleFactory(title="Refinery fire", section=oil)
    ArticleFactory(title="Elsewhere")
    page = text(client.get("/category/economy/"))
    assert "Prices rise" in page and "Refinery fire" in page and "Elsewhere" not in page
    child = text(client.get("/category/economy/oil/"))
    assert "Refinery fire" in child and "Prices rise" not in child
    assert client.get("/category/oil/").status_code == 404


def test_tag_and_author_pages(client):
    tag = TagFactory(name="Inflation", slug="inflation")
    author = AuthorFactory(name="Luis Méndez", slug="luis-mendez", bio="Writes on the economy.")
    ArticleFactory(title="Tagged story", tags=[tag], authors=[author])
    ArticleFactory(title="Other story")
    tag_page, author_page = (
        text(client.get("/tag/inflation/")),
        text(client.get(author.get_absolute_url())),
    )
    assert "Tagged story" in tag_page and "Other story" not in tag_page
    assert "Luis Méndez" in author_page and "Writes on the economy." in author_page
    assert "Tagged story" in author_page and "Other story" not in author_page


def test_year_month_and_day_archives(client, settings):
    settings.TIME_ZONE = "UTC"
    ArticleFactory(
        title="October story",
        publish_at=timezone.datetime(2016, 10, 28, 12, tzinfo=timezone.get_fixed_timezone(0)),
    )
    ArticleFactory(
        title="November story",
        publish_at=timezone.datetime(2016, 11, 3, 12, tzinfo=timezone.get_fixed_timezone(0)),
    )
    year = text(client.get("/2016/"))
    assert "October story" in year and "November story" in year
    month = text(client.get("/2016/10/"))
    assert "October story" in month and "November story" not in month and "October 2016" in month
    assert "October story" in text(client.get("/2016/10/28/"))
    assert client.get("/2015/").status_code == 404


def test_search_finds_title_and_body_matches(client):
    ArticleFactory(title="Oil output falls", body="<p>Production dropped.</p>")
    ArticleFactory(title="Budget debate", body="<p>The oil money is gone.</p>")
    ArticleFactory(title="Music festival", body="<p>Salsa all night.</p>")
    ArticleFactory(title="Oil draft", status=Article.Status.DRAFT)
    page = text(client.get("/search/", {"q": "oil"}))
    assert "Oil output falls" in page and "Budget debate" in page
    assert "Music festival" not in page and "Oil draft" not in page
    assert "2 articles found." in page


def test_search_ranks_title_matches_first_on_postgresql(client):
    ArticleFactory(
        title="Budget debate", body="<p>The refinery money.</p>", publish_at=timezone.now()
    )
    ArticleFactory(title="Refinery fire", publish_at=timezone.now() - timedelta(days=9))
    page = text(client.get("/search/", {"q": "refinery"}))
    if connection.vendor == "postgresql":
        assert page.index("Refinery fire") < page.index("Budget debate")
    else:
        assert page.index("Budget debate") < page.index("Refinery fire")


def test_search_with_nothing_found_says_so(client):
    page = text(client.get("/search/", {"q": "zzz"}))
    assert "Nothing matched your search" in page


def test_search_survives_odd_input(client):
    for query in ["", "   ", "'\"<>&|!():*", "a" * 5000, "OR AND NOT"]:
        assert client.get("/search/", {"q": query}).status_code == 200


def test_wordpress_search_links_redirect(client):
    response = client.get("/", {"s": "oil prices"})
    assert response.status_code == 301
    assert response["Location"] == "/search/?q=oil+prices"


def test_site_feed_lists_latest_published(client):
    section = SectionFactory(name="Politics")
    article = ArticleFactory(title="Peru Takes the Lead", section=section, excerpt="Lima acts.")
    ArticleFactory(title="Secret draft", status=Article.Status.DRAFT)
    feed = feedparser.parse(client.get("/feed/").content)
    assert feed.version == "rss20"
    assert [entry.title for entry in feed.entries] == ["Peru Takes the Lead"]
    entry = feed.entries[0]
    assert entry.link.endswith(article.get_absolute_url())
    assert entry.summary == "Lima acts."
    assert "Politics" in [tag.term for tag in entry.tags]


def test_section_feed_lists_only_that_section(client):
    politics = SectionFactory(slug="politics")
    ArticleFactory(title="In politics", section=politics)
    ArticleFactory(title="In culture")
    feed = feedparser.parse(client.get("/category/politics/feed/").content)
    assert [entry.title for entry in feed.entries] == ["In politics"]


def test_sitemap_lists_published_articles_sections_and_pages(client):
    article = ArticleFactory()
    draft = ArticleFactory(status=Article.Status.DRAFT)
    page = FlatPage.objects.create(url="/about/", title="About", content="<p>Us</p>")
    page.sites.add(1)
    sitemap = text(client.get("/sitemap.xml"))
    assert article.get_absolute_url() in sitemap
    assert draft.get_absolute_url() not in sitemap
    assert article.section.get_absolute_url() in sitemap
    assert "/about/" in sitemap


def test_robots_txt_points_to_the_sitemap(client, settings):
    response = client.get("/robots.txt")
    assert response["Content-Type"].startswith("text/plain")
    assert "Sitemap: http://testserver/sitemap.xml" in text(response)
    assert f"Disallow: /{settings.ADMIN_URL}" in text(response)


def test_static_pages_are_served_and_linked_from_the_footer(client):
    page = FlatPage.objects.create(
        url="/ethics/", title="Ethics policy", content="<p>We correct.</p>"
    )
    page.sites.add(1)
    response = text(client.get("/ethics/"))
    assert "<h1>Ethics policy</h1>" in response and "We correct." in response
    assert '<a href="/ethics/">Ethics policy</a>' in text(client.get("/"))


def test_unknown_path_is_a_friendly_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "We could not find that page" in text(response)


def test_full_text_index_serves_search_where_the_database_has_one():
    """PostgreSQL answers from the GIN index; SQLite has no such index and scans."""
    ArticleFactory.create_batch(3)
    ArticleFactory(title="Refinery fire")
    queryset = Article.objects.search("refinery")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
        plan = queryset.explain()
        indexes = connection.introspection.get_constraints(cursor, "articles_article")
    assert ("article_search" in plan) == (connection.vendor == "postgresql")
    assert ("article_search" in indexes) == (connection.vendor == "postgresql")


def test_search_follows_edits_to_title_and_body(client):
    article = ArticleFactory(title="Budget debate", body="<p>Money talk.</p>")
    article.title = "Refinery budget"
    article.save()
    Article.objects.filter(pk=article.pk).update(body="<p>Pipelines and tankers.</p>")
    assert "Refinery budget" in text(client.get("/search/", {"q": "refinery"}))
    assert "Refinery budget" in text(client.get("/search/", {"q": "tankers"}))
    assert "Refinery budget" not in text(client.get("/search/", {"q": "money"}))


@pytest.mark.parametrize(
    "path",
    [
        "/?page=abc",
        "/?page=-1",
        "/category/politics/?page=999",
        "/2016/13/",
        "/2016/02/30/",
        "/category/nowhere/",
        "/category/nowhere/feed/",
        "/tag/nowhere/",
        "/author/nobody/",
        "/2016/10/28/no-such-story/",
    ],
)
def test_bad_addresses_are_404_not_errors(client, path):
    SectionFactory(slug="politics")
    response = client.get(path)
    assert response.status_code == 404
