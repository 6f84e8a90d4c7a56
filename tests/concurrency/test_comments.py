"""
A crowd commenting on one story at once, through the real comment form.

Each post comes from its own address and email, as a crowd's do, so the rate
limits refuse none of them for being many; the ones meant to be refused are
refused by the form (honeypot filled, nothing written, a parent that is not
shown) or by the flood slot (the same reader's double click).
"""

import random
import re

import pytest
from django.test import Client

from articles.models import Article
from comments.forms import issue_timestamp
from comments.models import PATH_DIGITS, Comment, ModerationRules
from tests.concurrency.conftest import together
from tests.factories import ArticleFactory, CommentFactory

pytestmark = [
    pytest.mark.postgresql,
    pytest.mark.django_db(transaction=True),
]

# Threads posting at once, each with its own connection: the machine's PostgreSQL
# allows 100, shared with other test runs.
WORKERS = 20


@pytest.fixture(autouse=True)
def _rules(settings):
    settings.COMMENTS_FORM_MIN_SECONDS = 0
    settings.COMMENTS_MAX_DEPTH = 5
    ModerationRules.objects.update_or_create(
        pk=1, defaults={"require_previous_approval": False, "moderation_words": "embargo"}
    )


class Post:
    """One reader's submission and what should become of it."""

    def __init__(self, article, number, *, expect, parent=None, sender=None, **fields):
        self.article, self.expect, self.parent = article, expect, parent
        self.body = f"Post {number}: the region's answer matters."
        sender = number if sender is None else sender
        self.address = f"198.18.{sender // 200}.{sender % 200 + 1}"
        self.data = {
            "body": self.body,
            "author_name": f"Reader {sender}",
            "author_email": f"reader{sender}@example.org",
            "author_url": "",
            "parent": parent.pk if parent else "",
            "issued": issue_timestamp(article.pk),
            "phone": "",
            **fields,
        }

    def send(self):
        self.status_code = (
            Client()
            .post(f"/comments/post/{self.article.pk}/", self.data, REMOTE_ADDR=self.address)
            .status_code
        )


def counted_right(article):
    approved = Comment.objects.approved().filter(article=article).count()
    return Article.objects.get(pk=article.pk).comment_count == approved


def post_all(article, posts):
    """
    The posts in shuffled bursts of up to WORKERS, each burst's threads released
    together (a double click's two posts in the same burst). Returns how many
    bursts left the article's comment count different from its approved comments.
    """
    units = {}
    for post in posts:
        units.setdefault(post.body if post.expect == "one" else id(post), []).append(post)
    units = list(units.values())
    random.Random(10).shuffle(units)
    bursts = [[]]
    for unit in units:
        if len(bursts[-1]) + len(unit) > WORKERS:
            bursts.append([])
        bursts[-1].extend(unit)
    miscounted = 0
    for burst in bursts:
        together([post.send for post in burst])
        miscounted += not counted_right(article)
    return miscounted


def stored(post):
    return list(Comment.objects.filter(article=post.article, body=post.body))


def reading_order(article):
    """The approved thread as it should read: each comment, then its replies, oldest first."""
    approved = list(Comment.objects.approved().filter(article=article).order_by("pk"))
    children = {}
    for comment in approved:
        children.setdefault(comment.parent_id, []).append(comment)

    def walk(parent_id):
        for comment in children.get(parent_id, []):
            yield comment.pk
            yield from walk(comment.pk)

    return list(walk(None))


def test_a_crowd_of_200_comments_is_stored_once_each_in_thread_order_and_counted(client):
    article = ArticleFactory(title="Peru takes the lead")
    other = CommentFactory(article=ArticleFactory())
    chain = []
    for _level in range(5):
        chain.append(CommentFactory(article=article, parent=chain[-1] if chain else None))
    held = CommentFactory(article=article, status=Comment.Status.PENDING)

    first = (
        [Post(article, n, expect="approved") for n in range(60)]
        + [Post(article, n, expect="pending", body=f"Post {n}: embargo") for n in range(60, 70)]
        # The same reader's double click: one of each pair is stored.
        + [Post(article, 70 + n % 5, expect="one", sender=70 + n % 5) for n in range(10)]
        + [Post(article, n, expect="refused", phone="+51 1 555 0100") for n in range(80, 90)]
        + [Post(article, n, expect="refused", body="   ") for n in range(90, 100)]
    )
    for post in first:
        if post.expect == "pending":
            post.body = post.data["body"]
    miscounted = post_all(article, first)
    refused = [post.body for post in first[:60] if post.status_code != 302]
    assert not refused, f"plain posts refused: {refused}"
    top_level = [stored(post)[0] for post in first[:60]]

    second = (
        [Post(article, n, expect="approved", parent=top_level[n % 60]) for n in range(100, 140)]
        + [Post(article, n, expect="approved", parent=chain[n % 5]) for n in range(140, 160)]
        + [Post(article, n, expect="approved") for n in range(160, 180)]
        + [Post(article, n, expect="refused", parent=held) for n in range(180, 190)]
        + [Post(article, n, expect="refused", parent=other) for n in range(190, 200)]
    )
    miscounted += post_all(article, second)
    posts = first + second

    for post in posts:
        rows = stored(post)
        if post.expect == "refused":
            assert post.status_code == 400 and rows == [], post.body
        elif post.expect == "one":
            assert len(rows) == 1, post.body
        else:
            assert post.status_code == 302, post.body
            assert [row.status for row in rows] == [post.expect], post.body
            # A reply to the deepest level sits beside its parent, under the grandparent.
            parent = post.parent
            if parent is not None and parent.depth >= 5:
                parent = parent.parent
            assert rows[0].parent_id == (parent.pk if parent else None), post.body
    pairs = [post for post in first if post.expect == "one"]
    assert sorted(post.status_code for post in pairs) == [302] * 5 + [400] * 5

    accepted = len([p for p in posts if p.expect in ("approved", "pending")]) + 5
    assert Comment.objects.filter(article=article).count() == 5 + 1 + accepted

    comments = {comment.pk: comment for comment in Comment.objects.filter(article=article)}
    assert len({comment.path for comment in comments.values()}) == len(comments)
    for comment in comments.values():
        own = f"{comment.pk:0{PATH_DIGITS}d}"
        parent = comments.get(comment.parent_id)
        assert comment.path == (f"{parent.path}/{own}" if parent else own)
        assert comment.depth == (parent.depth + 1 if parent else 1)

    page = client.get(article.get_absolute_url()).content.decode()
    shown = [int(pk) for pk in re.findall(r'id="comment-(\d+)"', page)]
    assert shown == reading_order(article)

    assert Comment.objects.approved().filter(article=article).count() == 5 + 60 + 5 + 80
    assert miscounted == 0, f"{miscounted} bursts left the article's count wrong"
    assert counted_right(article)
