"""
Django's Redis cache, made to survive Redis going away.

The cache is an optimisation: a rendered thread, the set of supporters, who is
editing an article. When Redis cannot be reached, reading gives a miss and
writing does nothing, so every page is built from the database as if the cache
were cold. The calls whose answer decides something (`add`, `incr`, `decr`:
rate limits, flood slots) raise `CacheUnavailable` instead, and each caller
chooses what an unanswered limit means (newsroom.throttle).

An outage must cost a request nothing. Each connection gives up after a short
timeout (Redis answers a healthy request in well under a millisecond), and
after a failure this process leaves Redis alone for `retry_after` seconds:
every call in that pause answers at once without touching the network. The
first call after the pause tries again, so the cache is used again within
seconds of Redis coming back, without a restart. What this process failed to
set or delete meanwhile is then deleted there, so a value Redis kept through
a network cut (a supporter refunded, a thread erased) is not served.

CACHE_URL's query string tunes it, e.g.
`redis://host:6379/0?socket_timeout=0.5&socket_connect_timeout=0.25&retry_after=5`.
"""

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

SOCKET_CONNECT_TIMEOUT = 0.25
SOCKET_TIMEOUT = 0.5
RETRY_AFTER = 5.0
# While an outage lasts, its warning is repeated at most this often per process.
WARN_EVERY_SECONDS = 60.0

_UNREACHABLE = (RedisConnectionError, RedisTimeoutError)
_MISSING = object()


class CacheUnavailable(Exception):
    """Redis did not answer a call whose answer matters (add, incr, decr)."""


class _Outage:
    """
    What this process knows about one Redis: whether it is down and paused,
    and which keys it failed to change meanwhile. Per process, not per cache
    object: Django gives each thread its own cache object and connection pool,
    and a pause learned by one thread must spare all the others.
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.down = False
        self.paused_until = 0.0
        self.warned_at = -WARN_EVERY_SECONDS
        self.unwritten = set()

    def paused(self):
        return time.monotonic() < self.paused_until

    def begin(self, seconds, error):
        now = time.monotonic()
        with self.lock:
            self.down = True
            self.paused_until = now + seconds
            warn = now - self.warned_at >= WARN_EVERY_SECONDS
            if warn:
                self.warned_at = now
        if warn:
            logger.warning(
                "Cache unavailable: serving without it",
                extra={
                    "event": "cache.unavailable",
                    "error": f"{type(error).__name__}: {error}",
                    "retry_after": seconds,
                },
            )

    def remember(self, keys):
        with self.lock:
            self.unwritten.update(keys)

    def pending(self):
        with self.lock:
            return frozenset(self.unwritten)

    def forgotten(self, keys):
        with self.lock:
            self.unwritten -= keys

    def end(self):
        with self.lock:
            recovered, self.down = self.down, False
        if recovered:
            logger.warning("Cache available again", extra={"event": "cache.recovered"})


_outages = {}
_outages_lock = threading.Lock()


def _outage_of(servers):
    with _outages_lock:
        return _outages.setdefault(servers, _Outage())


class RedisCache(DjangoRedisCache):
    """Django's RedisCache with short timeouts, a pause after a failure, and misses for errors."""

    def __init__(self, server, params):
        super().__init__(server, params)
        options = dict(self._options)
        self.retry_after = float(options.pop("retry_after", RETRY_AFTER))
        options.setdefault("socket_connect_timeout", SOCKET_CONNECT_TIMEOUT)
        options.setdefault("socket_timeout", SOCKET_TIMEOUT)
        self._options = options
        self._outage = _outage_of(tuple(self._servers))

    def _call(self, operation, *args):
        """Run one Redis call, or raise CacheUnavailable (at once while paused)."""
        if self._outage.paused():
            raise CacheUnavailable("Redis is paused after a failure")
        try:
            if self._outage.down:
                self._forget_unwritten()
            result = operation(*args)
        except _UNREACHABLE as error:
            self._outage.begin(self.retry_after, error)
            raise CacheUnavailable(str(error)) from error
        if self._outage.down:
            self._outage.end()
        return result

    def _forget_unwritten(self):
        """
        Delete what this process set or deleted while Redis was away, before
        anything else is read: Redis may have kept the old value (a network cut
        loses nothing there), and must not serve it again: a supporter since
        refunded, a thread since erased.
        """
        keys = self._outage.pending()
        if keys:
            self._cache.delete_many(list(keys))
            self._outage.forgotten(keys)

    def _unwritten(self, keys, version):
        self._outage.remember(self.make_and_validate_key(key, version=version) for key in keys)

    # Calls whose answer decides something: the caller chooses what an outage means.

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(super().add, key, value, timeout, version)

    def incr(self, key, delta=1, version=None):
        return self._call(super().incr, key, delta, version)

    # Plain caching: a miss, or nothing done (and what was not written is forgotten later).

    def get(self, key, default=None, version=None):
        try:
            return self._call(super().get, key, default, version)
        except CacheUnavailable:
            return default

    def get_many(self, keys, version=None):
        try:
            return self._call(super().get_many, keys, version)
        except CacheUnavailable:
            return {}

    def get_or_set(self, key, default, timeout=DEFAULT_TIMEOUT, version=None):
        value = self.get(key, _MISSING, version=version)
        if value is not _MISSING:
            return value
        if callable(default):
            default = default()
        try:
            self.add(key, default, timeout=timeout, version=version)
        except CacheUnavailable:
            return default
        # Another caller may have added a value between the get() and the add().
        return self.get(key, default, version=version)

    def has_key(self, key, version=None):
        try:
            return self._call(super().has_key, key, version)
        except CacheUnavailable:
            return False

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return self._call(super().touch, key, timeout, version)
        except CacheUnavailable:
            return False

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            self._call(super().set, key, value, timeout, version)
        except CacheUnavailable:
            self._unwritten([key], version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return self._call(super().set_many, data, timeout, version)
        except CacheUnavailable:
            self._unwritten(data, version)
            return list(data)

    def delete(self, key, version=None):
        try:
            return self._call(super().delete, key, version)
        except CacheUnavailable:
            self._unwritten([key], version)
            return False

    def delete_many(self, keys, version=None):
        try:
            self._call(super().delete_many, keys, version)
        except CacheUnavailable:
            self._unwritten(keys, version)

    def clear(self):
        try:
            return self._call(super().clear)
        except CacheUnavailable:
            return False
