"""
newsroom.throttle's policies, and each limit's choice, with the site's cache
pointed at a closed port (Redis down) or at a Redis of our own: no mocks.
"""

import logging

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.utils import timezone

from comments import emails, services
from comments.models import Comment
from newsroom import throttle
from newsroom.logs import fingerprint
from newsroom.network import network_of
from tests.factories import ArticleFactory
from tests.faults import RedisServer, free_port

pytestmark = pytest.mark.django_db


def use_redis(settings, url):
    settings.CACHES = {"default": {"BACKEND": "newsroom.cache.RedisCache", "LOCATION": url}}
    throttle._process_cache.clear()


@pytest.fixture
def redis_down(settings):
    use_redis(settings, f"redis://127.0.0.1:{free_port()}/0")


@pytest.fixture
def own_redis(settings):
    with RedisServer() as server:
        use_redis(settings, server.url)
        yield server


def hits(policy, times, *, limit=2):
    return [
        throttle.within_limit("test:limit", limit=limit, seconds=60, when_unavailable=policy)
        for _ in range(times)
    ]


def test_policies_with_redis_down(redis_down):
    assert hits(throttle.FAIL_OPEN, 5) == [True] * 5
    assert hits(throttle.FAIL_CLOSED, 2) == [False, False]
    assert hits(throttle.PER_PROCESS, 4) == [True, True, False, False]
    slot = {"seconds": 60}
    assert throttle.claim_slot("s1", when_unavailable=throttle.FAIL_OPEN, **slot)
    assert throttle.claim_slot("s1", when_unavailable=throttle.FAIL_OPEN, **slot)
    assert not throttle.claim_slot("s2", when_unavailable=throttle.FAIL_CLOSED, **slot)
    assert throttle.claim_slot("s3", when_unavailable=throttle.PER_PROCESS, **slot)
    assert not throttle.claim_slot("s3", when_unavailable=throttle.PER_PROCESS, **slot)
    throttle.release_slots(["s3"])
    assert throttle.claim_slot("s3", when_unavailable=throttle.PER_PROCESS, **slot)


def test_with_redis_up_every_policy_counts_in_redis(own_redis, time_machine):
    time_machine.move_to(timezone.now().replace(second=5), tick=False)
    assert hits(throttle.FAIL_OPEN, 3) == [True, True, False]
    time_machine.shift(60)
    assert hits(throttle.FAIL_OPEN, 1) == [True]  # a new window
    assert throttle.claim_slot("s", seconds=60, when_unavailable=throttle.FAIL_OPEN)
    assert not throttle.claim_slot("s", seconds=60, when_unavailable=throttle.FAIL_OPEN)


def test_comment_rate_limit_still_holds_per_process_and_logs_no_address(
    redis_down, settings, caplog
):
    settings.COMMENTS_RATE_PER_MINUTE = 2
    services._check_rate("198.51.100.7")
    services._check_rate("198.51.100.7")
    with (
        caplog.at_level(logging.WARNING, logger="comments.services"),
        pytest.raises(services.CommentRejected, match="several comments"),
    ):
        services._check_rate("198.51.100.7")
    services._check_rate("198.51.100.8")  # another sender is not held up
    (record,) = [r for r in caplog.records if getattr(r, "event", "") == "comments.rate_limited"]
    assert record.client == fingerprint(network_of("198.51.100.7"))
    assert "198.51.100" not in caplog.text


def test_flood_slot_still_holds_per_process(redis_down, settings, caplog):
    settings.COMMENTS_FLOOD_SECONDS = 15
    services.take_flood_slot(email="rosa@example.org", ip_address="192.0.2.10")
    with (
        caplog.at_level(logging.WARNING, logger="comments.services"),
        pytest.raises(services.CommentRejected, match="too quickly"),
    ):
        services.take_flood_slot(email="ROSA@example.org", ip_address="192.0.2.99")
    services.take_flood_slot(email="other@example.org", ip_address="192.0.2.11")
    events = [getattr(r, "event", "") for r in caplog.records]
    assert [event for event in events if event.startswith("comments.")] == [
        "comments.flood_limited"
    ]
    assert "rosa@" not in caplog.text.lower() and "192.0.2" not in caplog.text


def test_a_post_while_redis_is_down_is_stored_once(redis_down, settings):
    settings.COMMENTS_FLOOD_SECONDS = 15
    article = ArticleFactory()
    comment = services.comment_post(
        article=article,
        body="Posted during the outage.",
        author_name="Rosa",
        author_email="rosa@example.org",
        ip_address="192.0.2.10",
    )
    assert Comment.objects.get(body="Posted during the outage.") == comment


def test_moderators_hear_once_per_window_while_redis_is_down(
    redis_down, settings, django_user_model, django_capture_on_commit_callbacks
):
    settings.COMMENTS_RATE_PER_MINUTE = 100
    moderator = django_user_model.objects.create_user(
        "desk", email="desk@example.org", is_staff=True
    )
    moderator.groups.add(Group.objects.get_or_create(name="Moderators")[0])
    article = ArticleFactory()
    for number in range(3):
        comment = Comment(
            article=article,
            body=f"Held {number}",
            author_name="Rosa",
            author_email="rosa@example.org",
            status=Comment.Status.PENDING,
        )
        comment.save()
        with django_capture_on_commit_callbacks(execute=True):
            emails.tell_moderators()
    assert [message.to for message in mail.outbox] == [["desk@example.org"]]
