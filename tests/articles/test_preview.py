"""Who may read an unpublished story at its public address: whoever may change it, no one else."""

from datetime import timedelta

import pytest
from django.utils import timezone

from articles.models import Article
from tests.conftest import signed_in
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db

EMBARGOED = "Minister to resign on Friday"


@pytest.fixture
def writer(staff_member):
    return staff_member("writer", "Contributors")


@pytest.fixture
def rival(staff_member):
    return staff_member("rival", "Contributors")


def hidden_stories(owner):
    return {
        "draft": ArticleFactory(title="Draft", status=Article.Status.DRAFT, created_by=owner),
        "in review": ArticleFactory(
            title="Submitted", status=Article.Status.REVIEW, created_by=owner
        ),
        "scheduled": ArticleFactory(
            title=EMBARGOED, publish_at=timezone.now() + timedelta(days=2), created_by=owner
        ),
    }


@pytest.mark.parametrize("kind", ["draft", "in review", "scheduled"])
def test_a_contributor_gets_404_on_someone_elses_unpublished_story(writer, rival, kind):
    story = hidden_stories(rival)[kind]
    response = signed_in(writer).get(story.get_absolute_url())
    assert response.status_code == 404
    assert story.title not in response.content.decode()


def test_a_contributor_gets_404_on_an_embargoed_story_an_editor_scheduled(writer, editor):
    story = hidden_stories(editor)["scheduled"]
    response = signed_in(writer).get(story.get_absolute_url())
    assert response.status_code == 404 and EMBARGOED not in response.content.decode()


@pytest.mark.parametrize("kind", ["draft", "in review"])
def test_a_contributor_previews_their_own_story(writer, kind):
    story = hidden_stories(writer)[kind]
    response = signed_in(writer).get(story.get_absolute_url())
    page = response.content.decode()
    assert response.status_code == 200 and f"<h1>{story.title}</h1>" in page
    assert "readers cannot see this page" in page and "no-cache" in response["Cache-Control"]


def test_preview_follows_the_admin_a_contributor_cannot_reopen_a_scheduled_story(writer):
    """Once an editor has scheduled it, the admin no longer lets its writer change it."""
    story = hidden_stories(writer)["scheduled"]
    client = signed_in(writer)
    assert client.get(f"/admin/articles/article/{story.pk}/change/").status_code == 200
    assert (
        'name="title"'
        not in client.get(f"/admin/articles/article/{story.pk}/change/").content.decode()
    )
    assert client.get(story.get_absolute_url()).status_code == 404


@pytest.mark.parametrize("kind", ["draft", "in review", "scheduled"])
def test_an_editor_previews_everyone_s_stories(writer, editor_client, kind):
    story = hidden_stories(writer)[kind]
    assert editor_client.get(story.get_absolute_url()).status_code == 200


def test_other_staff_see_only_what_readers_see(writer, moderator_client):
    for story in hidden_stories(writer).values():
        assert moderator_client.get(story.get_absolute_url()).status_code == 404


def test_a_contributor_cannot_change_someone_elses_draft_in_the_admin_either(writer, rival):
    story = hidden_stories(rival)["draft"]
    response = signed_in(writer).post(
        f"/admin/articles/article/{story.pk}/change/", {"title": "Hijacked"}
    )
    assert response.status_code in (302, 403)
    story.refresh_from_db()
    assert story.title == "Draft"
