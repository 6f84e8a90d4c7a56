"""
Limits counted in the shared cache, and what each does when the cache is down.

Every limit says what an unanswered count means (`when_unavailable`), since
none is right for all of them:

- FAIL_OPEN lets the request through: for a limit that is a courtesy and has
  other guards behind it.
- FAIL_CLOSED refuses it: for a limit whose breach would do more harm than a
  refused request during an outage.
- PER_PROCESS counts in this process's memory instead: the limit still holds,
  only loosened by the number of processes (each keeps its own count), so a
  sender gets at most that many times the limit while Redis is away. The
  choice for most of ours (README: Redis outage).

Imports none of our apps, so any app can use it.
"""

import enum

from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from django.utils import timezone

from newsroom.cache import CacheUnavailable


class WhenUnavailable(enum.Enum):
    FAIL_OPEN = "fail open"
    FAIL_CLOSED = "fail closed"
    PER_PROCESS = "count per process"


FAIL_OPEN, FAIL_CLOSED, PER_PROCESS = WhenUnavailable

# Large enough that a crowd of senders does not push a live count out during an outage.
_process_cache = LocMemCache("newsroom.throttle", {"OPTIONS": {"MAX_ENTRIES": 50_000}})


def within_limit(key, *, limit, seconds, when_unavailable) -> bool:
    """
    Count one hit on `key` in the current window of `seconds` (windows start
    at whole multiples of `seconds`); True while the count is at most `limit`.
    """
    window_key = f"{key}:{int(timezone.now().timestamp() // seconds)}"
    try:
        return _count(cache, window_key, seconds) <= limit
    except CacheUnavailable:
        if when_unavailable is PER_PROCESS:
            return _count(_process_cache, window_key, seconds) <= limit
        return when_unavailable is FAIL_OPEN


def _count(store, key, seconds):
    # add then incr: both atomic in Redis (and in the local cache, within its process).
    store.add(key, 0, timeout=seconds + 60)
    return store.incr(key)


def claim_slot(key, *, seconds, when_unavailable) -> bool:
    """
    Take `key` for `seconds` if nobody holds it; True if taken. Atomic in
    Redis, so two requests racing on several workers cannot both get it.
    """
    try:
        return cache.add(key, 1, timeout=seconds)
    except CacheUnavailable:
        if when_unavailable is PER_PROCESS:
            return _process_cache.add(key, 1, timeout=seconds)
        return when_unavailable is FAIL_OPEN


def release_slots(keys):
    """Give back slots, wherever they were taken."""
    cache.delete_many(keys)
    _process_cache.delete_many(keys)
