"""An IPv6 reader holds a whole /64: the comment limits count the network, not the address."""

import pytest

from comments.models import Comment
from newsroom.network import network_of
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def post_from(client, article, comment_data, address, number):
    return client.post(
        f"/comments/post/{article.pk}/",
        comment_data(
            article, body=f"Point number {number}.", author_email=f"r{number}@example.org"
        ),
        REMOTE_ADDR=address,
    )


def test_the_flood_limit_holds_across_one_ipv6_network(client, comment_data, settings):
    settings.COMMENTS_FLOOD_SECONDS = 15
    article = ArticleFactory()
    statuses = [
        post_from(client, article, comment_data, f"2001:db8:1:2::{host}", host).status_code
        for host in range(1, 6)
    ]
    assert statuses == [302, 400, 400, 400, 400]
    assert Comment.objects.count() == 1
    neighbour = post_from(client, article, comment_data, "2001:db8:1:3::1", 9)
    assert neighbour.status_code == 302


def test_the_rate_limit_holds_across_one_ipv6_network(client, comment_data, settings):
    settings.COMMENTS_RATE_PER_MINUTE = 2
    article = ArticleFactory()
    statuses = [
        post_from(client, article, comment_data, f"2001:db8:1:2::{host:x}", host).status_code
        for host in range(1, 5)
    ]
    assert statuses == [302, 302, 400, 400]
    assert Comment.objects.count() == 2


@pytest.mark.parametrize(
    "address, network",
    [
        ("203.0.113.7", "203.0.113.7/32"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7/32"),
        ("", None),
        ("not an address", None),
    ],
)
def test_network_of(address, network):
    assert network_of(address) == network
