import pytest

from tests.articles.test_revisions import change, opened_version
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def test_saving_over_a_newer_version_is_refused_with_a_link_to_the_changes(
    editor_client, staff_member
):
    from tests.conftest import signed_in

    second_editor = signed_in(staff_member("ana", "Editors"))
    article = ArticleFactory(title="Peru leads")
    opened_at = opened_version(second_editor, article)
    change(editor_client, article, title="Peru takes the lead")
    stale = {
        "title": "Peru leads the region", "slug": article.slug, "body": article.body,
        "section": article.section_id, "status": article.status, "opened_version": opened_at,
    }  # fmt: skip
    from tests.articles.test_admin import article_form

    byline = article.bylines.get()
    data = article_form(**stale, **{
        "bylines-INITIAL_FORMS": "1", "bylines-0-id": byline.pk,
        "bylines-0-article": article.pk, "bylines-0-author": byline.author_id,
    })  # fmt: skip
    response = second_editor.post(f"/admin/articles/article/{article.pk}/change/", data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Someone saved this article after you opened it" in page
    assert f"/admin/articles/article/{article.pk}/revisions/" in page
    article.refresh_from_db()
    assert article.title == "Peru takes the lead"


def test_the_second_editor_sees_who_else_is_editing(editor_client, editor, staff_member):
    from tests.conftest import signed_in

    editor.first_name, editor.last_name = "Luis", "Méndez"
    editor.save()
    article = ArticleFactory()
    editor_client.get(f"/admin/articles/article/{article.pk}/change/")
    ana = signed_in(staff_member("ana", "Editors"))
    page = ana.get(f"/admin/articles/article/{article.pk}/change/").content.decode()
    assert "Luis Méndez is also editing this article" in page
    again = editor_client.get(f"/admin/articles/article/{article.pk}/change/").content.decode()
    assert "ana is also editing this article".capitalize() in again
