import pytest

from articles.models import Article
from tests.articles.test_admin import article_form
from tests.articles.test_revisions import change
from tests.conftest import signed_in
from tests.factories import ArticleFactory, AuthorFactory, SectionFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/articles/article/"


@pytest.fixture
def writer(staff_member):
    return staff_member("writer", "Contributors")


@pytest.fixture
def writer_client(writer):
    return signed_in(writer)


def submit(client, **fields):
    author, section = AuthorFactory(), SectionFactory()
    data = article_form(section=section.pk, **{"bylines-0-author": author.pk}, **fields)
    return client.post(f"{CHANGELIST}add/", data)


def test_writer_drafts_and_submits_for_review_but_cannot_publish(writer_client, writer):
    assert submit(writer_client, status="review").status_code == 302
    article = Article.objects.get()
    assert article.status == Article.Status.REVIEW and article.created_by == writer
    refused = submit(writer_client, status="published", slug="another", title="Another")
    assert refused.status_code == 200 and "Select a valid choice" in refused.content.decode()
    page = writer_client.get(CHANGELIST).content.decode()
    assert "Publish now" not in page


def test_writer_sees_only_their_own_and_not_after_publication(writer_client, writer):
    theirs = ArticleFactory(status="draft", publish_at=None, created_by=writer)
    someone_elses = ArticleFactory(status="draft", publish_at=None)
    page = writer_client.get(CHANGELIST).content.decode()
    assert theirs.title in page and someone_elses.title not in page
    assert writer_client.get(f"{CHANGELIST}{someone_elses.pk}/change/").status_code == 302
    theirs.publish()
    theirs.save()
    edit_page = writer_client.get(f"{CHANGELIST}{theirs.pk}/change/").content.decode()
    assert 'name="title"' not in edit_page  # read-only now


def test_editor_sees_the_review_list_and_sends_back_with_a_note(
    editor_client, writer_client, writer
):
    article = ArticleFactory(status="review", publish_at=None, created_by=writer)
    index = editor_client.get("/admin/").content.decode()
    assert "1 article waiting for review" in index
    change(editor_client, article, status="draft", review_note="Source the vote count, please.")
    article.refresh_from_db()
    assert article.status == Article.Status.DRAFT
    writer_page = writer_client.get(f"{CHANGELIST}{article.pk}/change/").content.decode()
    assert "Source the vote count, please." in writer_page
    assert 'name="review_note"' not in writer_page


def test_contributors_cannot_touch_anything_else(writer_client):
    for path in ("/admin/comments/comment/", "/admin/donations/donation/", "/admin/auth/user/",
                 "/admin/flatpages/flatpage/"):  # fmt: skip
        assert writer_client.get(path).status_code == 403, path
