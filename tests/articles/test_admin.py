from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from articles.models import Article, Image
from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    ImageFactory,
    SectionFactory,
    TagFactory,
    image_upload,
)

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/articles/article/"


def article_form(**overrides):
    """What the add-article page posts, byline inline included."""
    data = {
        "title": "Congress calls on the OAS",
        "slug": "congress-calls-on-the-oas",
        "dek": "",
        "body": "<p>Lima moved first.</p>",
        "excerpt": "",
        "section": "",
        "tags": [],
        "featured_image": "",
        "status": Article.Status.DRAFT,
        "publish_at_0": "",
        "publish_at_1": "",
        "comments_open": "on",
        "seo_title": "",
        "seo_description": "",
        "bylines-TOTAL_FORMS": "1",
        "bylines-INITIAL_FORMS": "0",
        "bylines-MIN_NUM_FORMS": "0",
        "bylines-MAX_NUM_FORMS": "1000",
        "bylines-0-author": "",
        "bylines-0-position": "0",
        "corrections-TOTAL_FORMS": "0",
        "corrections-INITIAL_FORMS": "0",
        "corrections-MIN_NUM_FORMS": "0",
        "corrections-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def test_editor_publishes_an_article_from_the_admin(editor_client, client):
    section, author, tag = SectionFactory(), AuthorFactory(name="Ana Rivas"), TagFactory()
    response = editor_client.post(
        f"{CHANGELIST}add/",
        article_form(
            section=section.pk,
            tags=[tag.pk],
            status=Article.Status.PUBLISHED,
            **{"bylines-0-author": author.pk},
        ),
    )
    assert response.status_code == 302
    article = Article.objects.get(slug="congress-calls-on-the-oas")
    assert article.is_published() and article.byline_authors == [author]
    assert "Congress calls on the OAS" in client.get("/").content.decode()


def test_publishing_an_incomplete_article_explains_what_is_missing(editor_client):
    response = editor_client.post(
        f"{CHANGELIST}add/", article_form(body="", status=Article.Status.PUBLISHED)
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "A published article needs a body." in page
    assert "A published article needs a section." in page
    assert "A published article needs at least one author." in page
    assert not Article.objects.exists()


def test_a_draft_can_be_saved_incomplete(editor_client):
    response = editor_client.post(f"{CHANGELIST}add/", article_form(body=""))
    assert response.status_code == 302
    assert Article.objects.get().status == Article.Status.DRAFT


def test_script_typed_into_the_body_is_gone_when_saved(editor_client):
    editor_client.post(
        f"{CHANGELIST}add/", article_form(body='<p>Hi</p><img src=x onerror="alert(1)">')
    )
    assert "onerror" not in Article.objects.get().body


def test_publish_now_and_unpublish_actions(editor_client, client):
    ready = ArticleFactory(title="Ready", status=Article.Status.REVIEW, publish_at=None)
    incomplete = ArticleFactory(
        title="Incomplete", status=Article.Status.DRAFT, publish_at=None, section=None
    )
    response = editor_client.post(
        CHANGELIST,
        {"action": "publish_now", "_selected_action": [ready.pk, incomplete.pk]},
        follow=True,
    )
    page = response.content.decode()
    assert "Published 1 article." in page
    assert "“Incomplete” was not changed: A published article needs a section." in page
    ready.refresh_from_db()
    incomplete.refresh_from_db()
    assert ready.is_published() and incomplete.status == Article.Status.DRAFT
    assert "Ready" in client.get("/").content.decode()

    editor_client.post(CHANGELIST, {"action": "unpublish", "_selected_action": [ready.pk]})
    assert client.get(ready.get_absolute_url()).status_code == 410


def test_changelist_links_to_the_site_and_previews(editor_client):
    live = ArticleFactory()
    draft = ArticleFactory(status=Article.Status.DRAFT)
    page = editor_client.get(CHANGELIST).content.decode()
    assert f'<a href="{live.get_absolute_url()}">View</a>' in page
    assert f'<a href="{draft.get_absolute_url()}">Preview</a>' in page


def test_changelist_filters_and_search(editor_client):
    ArticleFactory(title="Oil output falls", status=Article.Status.DRAFT)
    ArticleFactory(title="Music festival")
    drafts = editor_client.get(CHANGELIST, {"status__exact": "draft"}).content.decode()
    assert "Oil output falls" in drafts and "Music festival" not in drafts
    found = editor_client.get(CHANGELIST, {"q": "festival"}).content.decode()
    assert "Music festival" in found and "Oil output falls" not in found


@pytest.mark.parametrize("count", [1, 50])
def test_changelist_has_a_fixed_query_budget(editor_client, django_assert_num_queries, count):
    for number in range(count):
        ArticleFactory(
            title=f"Story {number}",
            authors=AuthorFactory.create_batch(2),
            publish_at=timezone.now() - timedelta(days=number),
        )
    with django_assert_num_queries(13):
        response = editor_client.get(CHANGELIST)
    assert "Story 0" in response.content.decode()


@pytest.mark.parametrize("count", [1, 50])
def test_change_page_has_a_fixed_query_budget(editor_client, django_assert_num_queries, count):
    authors = AuthorFactory.create_batch(count)
    article = ArticleFactory(authors=authors, tags=TagFactory.create_batch(count))
    with django_assert_num_queries(12):
        response = editor_client.get(f"{CHANGELIST}{article.pk}/change/")
    page = response.content.decode()
    assert article.title in page
    for author in authors:
        assert f'<option value="{author.pk}" selected>{author.name}</option>' in page


def test_editors_group_has_least_privilege():
    permissions = set(
        Group.objects.get(name="Editors").permissions.values_list(
            "content_type__app_label", "codename"
        )
    )
    for model in ("article", "author", "section", "tag"):
        assert ("articles", f"change_{model}") in permissions
    assert ("flatpages", "change_flatpage") in permissions
    assert not {codename for app, codename in permissions if app == "auth"}


def test_editors_cannot_manage_users(editor_client):
    assert editor_client.get("/admin/auth/user/").status_code == 403
    assert editor_client.get("/admin/flatpages/flatpage/").status_code == 200


def test_static_page_content_is_sanitized(editor_client):
    editor_client.post(
        "/admin/flatpages/flatpage/add/",
        {
            "url": "/about/",
            "title": "About",
            "content": "<p>Us</p><script>alert(1)</script>",
            "sites": [1],
            "template_name": "",
        },
    )
    from django.contrib.flatpages.models import FlatPage

    assert FlatPage.objects.get(url="/about/").content == "<p>Us</p>"


@pytest.mark.parametrize("count", [1, 50])
@pytest.mark.parametrize(
    "path, queries",
    [
        ("/admin/articles/author/", 7),
        ("/admin/articles/section/", 7),
        ("/admin/articles/tag/", 7),
        ("/admin/articles/image/", 9),
    ],
)
def test_other_changelists_have_a_fixed_query_budget(
    editor_client, django_assert_num_queries, count, path, queries
):
    parent = SectionFactory()
    for _ in range(count):
        AuthorFactory(user=None)
        SectionFactory(parent=parent)
        TagFactory()
    ImageFactory.create_batch(min(count, 3))
    with django_assert_num_queries(queries):
        response = editor_client.get(path)
    assert response.status_code == 200


def test_editor_uploads_an_image_and_gets_renditions(editor_client):
    response = editor_client.post(
        "/admin/articles/image/add/",
        {
            "title": "March on the CNE",
            "file": image_upload(size=(1300, 800)),
            "alt_text": "Students march",
            "caption": "",
            "credit": "Ana Rivas",
        },
    )
    assert response.status_code == 302
    image = Image.objects.get()
    assert [r["width"] for r in image.renditions] == [480, 800, 1200]
    assert (image.width, image.height) == (1300, 800)


def test_upload_that_is_not_an_image_is_refused_with_a_message(editor_client):
    response = editor_client.post(
        "/admin/articles/image/add/",
        {"title": "Fake", "file": SimpleUploadedFile("fake.jpg", b"GIF89a not really")},
    )
    assert response.status_code == 200
    assert "Upload a valid image" in response.content.decode()
    assert not Image.objects.exists()


def test_oversized_upload_is_refused_with_a_message(editor_client, settings):
    settings.IMAGE_MAX_PIXELS = 1000
    response = editor_client.post(
        "/admin/articles/image/add/", {"title": "Huge", "file": image_upload(size=(100, 100))}
    )
    assert "too large to process" in response.content.decode()
    assert not Image.objects.exists()
