from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from articles.models import Correction
from articles.revisions import revision_record
from articles.services import correction_record
from comments.models import Comment, ModerationRules
from newsroom.models import AuditEntry
from tests.articles.test_revisions import change
from tests.factories import ArticleFactory, CommentFactory

pytestmark = pytest.mark.django_db


def actions():
    return list(AuditEntry.objects.order_by("pk").values_list("action", "actor__username"))


def test_publishing_scheduling_and_unpublishing_are_logged(editor_client):
    draft = ArticleFactory(status="draft", publish_at=None)
    editor_client.post(
        "/admin/articles/article/", {"action": "publish_now", "_selected_action": [draft.pk]}
    )
    editor_client.post(
        "/admin/articles/article/", {"action": "unpublish", "_selected_action": [draft.pk]}
    )
    later = ArticleFactory(status="draft", publish_at=None)
    when = timezone.localtime(timezone.now() + timedelta(days=1))
    change(
        editor_client,
        later,
        status="published",
        publish_at_0=when.strftime("%Y-%m-%d"),
        publish_at_1=when.strftime("%H:%M:%S"),
    )
    assert actions() == [
        ("article.published", "editor"),
        ("article.unpublished", "editor"),
        ("article.scheduled", "editor"),
    ]


def test_corrections_and_restores_are_logged(editor, editor_client):
    article = ArticleFactory()
    first = revision_record(article=article, by=None)
    correction_record(correction=Correction(article=article, text="Fixed."), by=editor)
    editor_client.post(f"/admin/articles/article/{article.pk}/revisions/{first.pk}/restore/")
    article.title = "Changed"
    article.save()
    revision_record(article=article, by=None)
    editor_client.post(f"/admin/articles/article/{article.pk}/revisions/{first.pk}/restore/")
    assert ("article.correction", "editor") in actions()
    assert ("article.restored", "editor") in actions()


def test_moderation_is_logged(moderator_client):
    held, other = CommentFactory(status=Comment.Status.PENDING), CommentFactory()
    moderator_client.post(
        "/admin/comments/comment/",
        {"action": "approve", "_selected_action": [held.pk], "seen": f"{held.pk}:{held.version}"},
    )
    moderator_client.post(
        "/admin/comments/comment/", {"action": "mark_spam", "_selected_action": [other.pk]}
    )
    moderator_client.post(
        "/admin/comments/comment/", {"action": "feature", "_selected_action": [held.pk]}
    )
    rules = ModerationRules.current()
    moderator_client.post(
        f"/admin/comments/moderationrules/{rules.pk}/change/",
        {"blocklist_words": "casino", "moderation_words": "", "max_links": "2",
         "require_previous_approval": "on"},
    )  # fmt: skip
    assert actions() == [
        ("comment.approved", "desk"),
        ("comment.spam", "desk"),
        ("comment.featured", "desk"),
        ("moderation.rules_changed", "desk"),
    ]


def test_adding_someone_to_a_group_is_logged(admin_client):
    user = User.objects.create_user("newbie", "n@example.org", "x", is_staff=True)
    editors = Group.objects.get(name="Editors")
    admin_client.post(
        f"/admin/auth/user/{user.pk}/change/",
        {"username": "newbie", "email": "n@example.org", "is_active": "on", "is_staff": "on",
         "groups": [editors.pk], "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00",
         "initial-date_joined_0": "2026-01-01", "initial-date_joined_1": "00:00:00"},
    )  # fmt: skip
    entry = AuditEntry.objects.get(action="user.added_to_group")
    assert entry.details == {"group": "Editors"} and entry.target_repr == "newbie"


def test_the_log_is_read_only_and_filterable(admin_client, editor):
    correction_record(correction=Correction(article=ArticleFactory(), text="x"), by=editor)
    entry = AuditEntry.objects.get()
    assert admin_client.get("/admin/newsroom/auditentry/add/").status_code == 403
    page = admin_client.get(
        "/admin/newsroom/auditentry/", {"actor__id__exact": editor.pk}
    ).content.decode()
    assert "article.correction" in page
    response = admin_client.post(f"/admin/newsroom/auditentry/{entry.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403 and AuditEntry.objects.exists()
