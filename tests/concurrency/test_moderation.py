"""
Two moderators working the same queue press Approve on the same comments at
the same instant, through the admin's bulk action, as they would in a browser.
"""

import re

import pytest
from django.core import mail

from articles.models import Article
from comments.models import Comment
from newsroom.models import AuditEntry
from tests.concurrency.conftest import staff_account, together
from tests.conftest import signed_in
from tests.factories import ArticleFactory, CommentFactory

pytestmark = [
    pytest.mark.postgresql,
    pytest.mark.django_db(transaction=True),
]

QUEUE = "/admin/comments/comment/"
ROUNDS, HELD = 5, 10


def approve_as(client, comments):
    """Open the queue, tick the comments, choose Approve; returns how many the page says."""
    page = client.get(QUEUE, {"status__exact": "pending"}).content.decode()
    seen = re.findall(r'<input type="hidden" name="seen" value="([0-9:]+)">', page)
    data = {"action": "approve", "_selected_action": [c.pk for c in comments], "seen": seen}

    def press():
        answer = client.post(QUEUE, data, follow=True).content.decode()
        return int(re.search(r"Approved (\d+) comments?\.", answer)[1])

    return press


def test_two_moderators_approving_the_same_comments_decide_each_once():
    desk, mira = staff_account("desk"), staff_account("mira")
    clients = {desk: signed_in(desk), mira: signed_in(mira)}
    article = ArticleFactory()
    CommentFactory.create_batch(3, article=article)
    held = []
    for _round in range(ROUNDS):
        batch = CommentFactory.create_batch(HELD, article=article, status=Comment.Status.PENDING)
        held += batch
        counts = together([approve_as(client, batch) for client in clients.values()])
        # Each comment was approved by one of them; the other's page says so.
        assert sum(counts) == HELD, counts

    for comment in Comment.objects.filter(pk__in=[c.pk for c in held]):
        assert comment.status == Comment.Status.APPROVED
        assert comment.moderated_by in clients
        entries = AuditEntry.objects.filter(action="comment.approved", target_id=str(comment.pk))
        assert entries.count() == 1
        assert entries.get().actor == comment.moderated_by
        notices = [m for m in mail.outbox if m.to == [comment.author_email]]
        assert len(notices) == 1 and "is published" in notices[0].subject
    assert Article.objects.get(pk=article.pk).comment_count == 3 + ROUNDS * HELD
