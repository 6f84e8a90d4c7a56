"""
An erasure leaves nothing of the person in the cache: not the rendered thread
with their name and words, in any language or open state, nor the set of
supporters with their address. Run against the real cache: local memory by
default, Redis when CACHE_URL names it (CI's PostgreSQL pass).
"""

import pickle

import pytest
from django.core.cache import cache

from comments.models import Comment
from donations.badges import forget_supporters
from donations.models import Donor
from tests.factories import ArticleFactory, CommentFactory, DonationFactory, DonorFactory

pytestmark = pytest.mark.django_db

URL = "/admin/personal-data/"
EMAIL = "ximena.quispe@example.org"
NAME = "Ximena Quispe"
WORDS = "The ballots in Tacna were counted by lamplight"
REPLY = "Lamplight is how Tacna always counts"


def cached_values():
    """Every value the cache holds, read from the store itself rather than through its keys."""
    store = cache._cache
    if isinstance(store, dict):  # LocMemCache: key -> pickled value
        return [pickle.loads(value) for value in store.values()]
    client = store.get_client()
    raw = (client.get(key) for key in client.scan_iter(match=cache.make_key("*")))
    return [store._serializer.loads(value) for value in raw if value is not None]


def cache_mentions(text):
    return any(text in repr(value) for value in cached_values())


@pytest.fixture
def thread():
    """Ximena, a supporter showing her badge, comments; Bruno replies to her."""
    article = ArticleFactory(title="Peru Takes the Lead")
    donor = DonorFactory(email=EMAIL, name=NAME, wants_badge=True)
    DonationFactory(donor=donor)
    theirs = CommentFactory(
        article=article, author_name=NAME, author_email=EMAIL, body=WORDS, email_verified=True
    )
    CommentFactory(article=article, parent=theirs, author_name="Bruno Diaz", body=REPLY)
    return article


def erase(admin_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(URL, {"email": EMAIL, "action": "erase"}, follow=True)
    assert response.status_code == 200
    assert not Comment.objects.filter(author_email=EMAIL).exists()


def test_an_erasure_leaves_neither_name_nor_words_nor_address_in_the_cache(
    client, admin_client, thread, django_capture_on_commit_callbacks
):
    before = client.get(thread.get_absolute_url()).content.decode()
    assert NAME in before and WORDS in before and "Supporter" in before
    assert cache_mentions(NAME) and cache_mentions(WORDS) and cache_mentions(EMAIL)

    erase(admin_client, django_capture_on_commit_callbacks)

    assert not cache_mentions(NAME)
    assert not cache_mentions(WORDS)
    assert not cache_mentions(EMAIL)
    after = client.get(thread.get_absolute_url()).content.decode()
    assert NAME not in after and WORDS not in after and "Supporter" not in after
    assert "Deleted reader" in after and "[removed at the author's request]" in after
    assert REPLY in after and "Bruno Diaz" in after
    # The thread is cached again, as it now is.
    assert cache_mentions(REPLY) and not cache_mentions(NAME)


def test_every_cached_copy_of_the_thread_is_forgotten_whatever_its_language_state_or_badges(
    client, admin_client, settings, thread, django_capture_on_commit_callbacks
):
    client.get(thread.get_absolute_url())
    thread.comments_open = False
    thread.save()
    settings.LANGUAGE_CODE = "es"
    closed_in_spanish = client.get(thread.get_absolute_url()).content.decode()
    assert NAME in closed_in_spanish
    # Her badge goes before the erasure: the copies above were rendered with it.
    Donor.objects.filter(email=EMAIL).update(wants_badge=False)
    forget_supporters()
    assert cache_mentions(NAME) and cache_mentions(WORDS)

    erase(admin_client, django_capture_on_commit_callbacks)

    assert not cache_mentions(NAME)
    assert not cache_mentions(WORDS)
    after = client.get(thread.get_absolute_url()).content.decode()
    assert NAME not in after and WORDS not in after and REPLY in after


def test_an_erasure_forgets_only_the_threads_it_changed(
    client, admin_client, thread, django_capture_on_commit_callbacks
):
    other = ArticleFactory(title="Rain in Cusco")
    CommentFactory(article=other, author_name="Rosa Mamani", body="Cusco stays dry this year")
    client.get(thread.get_absolute_url())
    client.get(other.get_absolute_url())

    erase(admin_client, django_capture_on_commit_callbacks)

    assert cache_mentions("Cusco stays dry this year")
