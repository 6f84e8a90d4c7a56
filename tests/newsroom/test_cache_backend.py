"""
newsroom.cache against a Redis that is not there, one that hangs, and one of
our own that is stopped, cut off and brought back: no mocks.
"""

import logging
import socket
import subprocess
import sys
import threading
import time

import pytest
import redis

from newsroom.cache import CacheUnavailable, RedisCache
from tests.faults import ROOT, RedisServer, TcpProxy, free_port, wait_until


def cache_at(url, **options):
    return RedisCache(url, {"OPTIONS": options})


class HungRedis:
    """Accepts connections and never answers, as a Redis stuck or behind a black hole does."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.connections = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.connections.append(connection)

    def close(self):
        self.listener.close()
        for connection in self.connections:
            connection.close()


@pytest.fixture
def hung_redis():
    server = HungRedis()
    yield server
    server.close()


@pytest.fixture
def own_redis():
    with RedisServer() as server:
        yield server


def test_with_nothing_listening_reads_miss_writes_do_nothing_and_counts_raise():
    cache = cache_at(f"redis://127.0.0.1:{free_port()}/0")
    assert cache.get("story", "miss") == "miss"
    assert cache.get_many(["a", "b"]) == {}
    assert cache.has_key("story") is False
    assert cache.set("story", "text") is None
    assert cache.set_many({"a": 1, "b": 2}) == ["a", "b"]
    assert cache.delete("story") is False
    assert cache.delete_many(["a", "b"]) is None
    assert cache.touch("story") is False
    assert cache.clear() is False
    assert cache.get_or_set("thread", lambda: "<ol>rendered</ol>") == "<ol>rendered</ol>"
    for decisive in (lambda: cache.add("slot", 1), lambda: cache.incr("count")):
        with pytest.raises(CacheUnavailable):
            decisive()
    with pytest.raises(CacheUnavailable):
        cache.decr("count")


def test_a_hung_redis_costs_one_timeout_per_pause_and_is_tried_again_after_it(hung_redis):
    cache = cache_at(
        f"redis://127.0.0.1:{hung_redis.port}/0",
        socket_timeout=0.3,
        socket_connect_timeout=0.3,
        retry_after=1.5,
    )
    started = time.monotonic()
    assert cache.get("story") is None
    first = time.monotonic() - started
    assert 0.25 <= first < 1.2  # the read timeout, once: no retries
    assert len(hung_redis.connections) == 1

    started = time.monotonic()
    for _ in range(200):
        assert cache.get_or_set("thread", "fresh") == "fresh"
        cache.set("story", "text")
    assert time.monotonic() - started < 0.5  # the pause: no network at all
    assert len(hung_redis.connections) == 1

    time.sleep(1.6)
    assert cache.get("story") is None
    wait_until(lambda: len(hung_redis.connections) == 2, seconds=2, message="a second try")


def test_the_pause_is_shared_by_every_thread_of_the_process(hung_redis):
    """Django gives each thread its own cache object: the pause must spare them all."""
    url = f"redis://127.0.0.1:{hung_redis.port}/0"
    cache_at(url, socket_timeout=0.3, retry_after=30).get("story")
    timings = []

    def reader():
        started = time.monotonic()
        cache_at(url, socket_timeout=0.3, retry_after=30).get("story")
        timings.append(time.monotonic() - started)

    threads = [threading.Thread(target=reader) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert max(timings) < 0.1
    assert len(hung_redis.connections) == 1


def test_an_outage_is_logged_once_not_per_call(caplog):
    cache = cache_at(f"redis://127.0.0.1:{free_port()}/0", retry_after=0)
    with caplog.at_level(logging.WARNING, logger="newsroom.cache"):
        for _ in range(20):
            cache.get("story")
    events = [record.event for record in caplog.records]
    assert events == ["cache.unavailable"]


def test_the_cache_is_used_again_once_a_stopped_redis_is_back(own_redis):
    cache = cache_at(own_redis.url, retry_after=0.5)
    cache.set("story", "before")
    assert cache.get("story") == "before"

    own_redis.stop()
    assert cache.get("story", "miss") == "miss"
    cache.set("story", "during")

    own_redis.start()
    time.sleep(0.6)
    cache.set("story", "after")
    assert cache.get("story") == "after"
    assert redis.Redis(port=own_redis.port).exists(cache.make_key("story"))


def test_what_was_changed_during_a_network_cut_is_forgotten_when_redis_answers(own_redis):
    """
    A cut keeps Redis's data: the session signed out of (or the value replaced)
    meanwhile must not be served again once the connection is back.
    """
    with TcpProxy(own_redis.port) as proxy:
        cache = cache_at(f"redis://127.0.0.1:{proxy.port}/0", retry_after=0.5)
        cache.set("session:signed-in", {"user": 1})
        cache.set("supporters", {"luisa@example.org"})
        cache.set("untouched", "kept")

        proxy.stop()
        cache.delete("session:signed-in")
        cache.set("supporters", set())
        assert cache.get("untouched") is None

        proxy.start()
        time.sleep(0.6)
        assert cache.get("session:signed-in") is None
        assert cache.get("supporters") is None
        assert cache.get("untouched") == "kept"


def test_a_redis_cache_url_gets_this_backend_and_locmem_stays_the_default():
    def backend(**environment):
        script = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
        result = subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env={"DJANGO_SETTINGS_MODULE": "newsroom.settings", "DEBUG": "on", **environment},
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout.strip()

    assert backend(CACHE_URL="redis://127.0.0.1:6379/0") == "newsroom.cache.RedisCache"
    assert backend(CACHE_URL="rediss://cache.example.org:6380/0") == "newsroom.cache.RedisCache"
    assert backend() == "django.core.cache.backends.locmem.LocMemCache"
