import re

import pytest

from articles.models import ArticleRevision
from articles.revisions import revision_record
from tests.articles.test_admin import article_form
from tests.factories import ArticleFactory, AuthorFactory, SectionFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/articles/article/"


def opened_version(client, article):
    """The version the change page was opened at, read from the page as a browser sends it."""
    page = client.get(f"{CHANGELIST}{article.pk}/change/").content.decode()
    return re.search(r'name="opened_version" value="(\d+)"', page)[1]


def change(editor_client, article, **fields):
    article.refresh_from_db()
    byline = article.bylines.first()
    data = article_form(
        title=article.title, slug=article.slug, body=article.body,
        section=article.section_id, status=article.status,
        **{"bylines-INITIAL_FORMS": "1", "bylines-0-id": byline.pk,
           "bylines-0-article": article.pk, "bylines-0-author": byline.author_id},
    )  # fmt: skip
    data.update(fields, opened_version=opened_version(editor_client, article))
    response = editor_client.post(f"{CHANGELIST}{article.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]


def test_every_admin_save_keeps_a_revision_with_who_and_what(editor_client, editor):
    article = ArticleFactory(title="First headline", status="draft", publish_at=None)
    change(editor_client, article, title="Second headline")
    change(editor_client, article, title="Second headline")  # nothing changed: no new revision
    change(editor_client, article, title="Third headline", body="<p>New body</p>")
    revisions = list(article.revisions.all())
    assert [r.snapshot["title"] for r in revisions] == ["Third headline", "Second headline"]
    assert revisions[0].created_by == editor
    assert revisions[0].snapshot["bylines"] == [
        [article.bylines.get().author_id, article.bylines.get().author.name]
    ]


def test_compare_shows_what_changed_side_by_side(editor_client):
    article = ArticleFactory(title="Peru leads", body="<p>The vote was 80 to 13.</p>")
    older = revision_record(article=article, by=None)
    article.title, article.body = (
        "Peru takes the lead",
        "<p>The vote was 81 to 13. <script>x</script></p>",
    )
    article.save()
    newer = revision_record(article=article, by=None)
    page = editor_client.get(
        f"{CHANGELIST}{article.pk}/revisions/compare/", {"a": newer.pk, "b": older.pk}
    ).content.decode()
    assert "<del>80</del>" in page and "<ins>81</ins>" in page
    assert "<del>leads</del>" in page and "<ins>takes the lead</ins>" in page
    assert "<script>x" not in page


def test_restoring_a_revision_brings_back_words_and_byline_as_a_new_revision(editor_client):
    first_author, second_author = AuthorFactory(name="Ana"), AuthorFactory(name="Luis")
    article = ArticleFactory(title="Original", body="<p>Original body</p>", authors=[first_author])
    original = revision_record(article=article, by=None)
    article.title, article.body, article.section = "Rewritten", "<p>Rewritten</p>", SectionFactory()
    article.save()
    article.bylines.update(author=second_author)
    revision_record(article=article, by=None)
    response = editor_client.post(f"{CHANGELIST}{article.pk}/revisions/{original.pk}/restore/")
    assert response.status_code == 302
    article.refresh_from_db()
    assert (article.title, article.body) == ("Original", "<p>Original body</p>")
    assert article.byline_authors == [first_author]
    assert article.revisions.count() == 3
    assert "Restored the revision" in article.revisions.first().note


@pytest.mark.parametrize("count", [1, 50])
def test_revision_list_stays_cheap(editor_client, django_assert_num_queries, count):
    article = ArticleFactory()
    for number in range(count):
        article.title = f"Headline {number}"
        article.save()
        revision_record(article=article, by=None)
    with django_assert_num_queries(8):
        response = editor_client.get(f"{CHANGELIST}{article.pk}/revisions/")
    assert response.content.decode().count("Restore this revision") == count - 1


def test_people_who_cannot_edit_articles_cannot_read_their_history(moderator_client):
    article = ArticleFactory()
    revision_record(article=article, by=None)
    assert moderator_client.get(f"{CHANGELIST}{article.pk}/revisions/").status_code == 403
    assert ArticleRevision.objects.count() == 1
