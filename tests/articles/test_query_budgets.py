"""
Each public page runs the same number of queries whether it shows one article or fifty.

The counts include the layout's two navigation queries (sections, static pages).
"""

import pytest

from tests.factories import ArticleFactory, AuthorFactory, ImageFactory, SectionFactory, TagFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(params=[1, 50], ids=["1-article", "50-articles"])
def newsroom(request, settings):
    settings.ARTICLES_PER_PAGE = 50
    section = SectionFactory(slug="politics")
    SectionFactory(parent=section)
    tag, author = TagFactory(slug="oas"), AuthorFactory(slug="ana")
    articles = [
        ArticleFactory(
            title=f"Oil story {number}",
            section=section,
            tags=[tag, TagFactory()],
            authors=[author, AuthorFactory()],
            featured_image=ImageFactory() if number % 10 == 0 else None,
        )
        for number in range(request.param)
    ]
    ArticleFactory(title="Featured oil story", is_featured=True, section=section, authors=[author])
    return articles


@pytest.mark.parametrize(
    "path, queries",
    [
        ("/", 7),
        ("/category/politics/", 6),
        ("/tag/oas/", 6),
        ("/author/ana/", 6),
        ("/search/?q=oil", 5),
        ("/feed/", 4),
        ("/category/politics/feed/", 5),
        ("/sitemap.xml", 6),
    ],
)
def test_list_pages_have_a_fixed_query_budget(
    client, newsroom, django_assert_num_queries, path, queries
):
    with django_assert_num_queries(queries):
        response = client.get(path)
    assert response.status_code == 200
    assert newsroom[-1].get_absolute_url() in response.content.decode()


def test_archives_have_a_fixed_query_budget(client, newsroom, django_assert_num_queries):
    date = newsroom[-1].date
    for path, queries in ((f"/{date:%Y}/", 9), (f"/{date:%Y/%m}/", 9), (f"/{date:%Y/%m/%d}/", 10)):
        with django_assert_num_queries(queries):
            response = client.get(path)
        assert newsroom[-1].get_absolute_url() in response.content.decode()


def test_article_page_has_a_fixed_query_budget(client, newsroom, django_assert_num_queries):
    article = newsroom[-1]
    article.authors.add(*AuthorFactory.create_batch(len(newsroom)))
    article.tags.add(*TagFactory.create_batch(len(newsroom)))
    with django_assert_num_queries(9):
        response = client.get(article.get_absolute_url())
    assert article.title in response.content.decode()
