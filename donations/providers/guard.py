"""
A slow or absent provider must cost the site a few worker threads, not all.

A checkout waits for Stripe up to (retries + 1) x (connect + answer) seconds,
about 26 with the defaults, holding a server thread all that time: a crowd of
donors during an outage would hold every thread, and readers would queue
behind them. So each process lets only a few checkouts wait for the provider
at once, and once the provider failed to answer (no answer, a 5xx, a 429) it
stops asking it for a pause, then lets one checkout through to try again: its
answer ends the pause, or starts another.

A checkout refused here is ProviderUnavailable, as if the provider had failed:
the reader is told the same, nothing was charged, and the same form can be
sent again. Per process, like newsroom.cache's pause: no shared part is asked,
and each process learns of an outage from its own first failure.
"""

import logging
import threading
import time
from contextlib import contextmanager

from donations.providers import KeysSpent, ProviderRefused, ProviderUnavailable

logger = logging.getLogger(__name__)


class CheckoutGuard:
    """What this process knows about one provider: the checkouts waiting for it, and its pause."""

    def __init__(self, provider):
        self.provider = provider
        self.lock = threading.Lock()
        self.waiting = 0
        self.failing = False
        self.paused_until = 0.0
        self.trying = False

    @contextmanager
    def checkout(self, *, limit, pause):
        """
        Run one call to the provider, or raise ProviderUnavailable at once if
        `limit` calls are already waiting or the provider is paused. A failure
        pauses it for `pause` seconds; any answer, even a refusal, ends a pause.
        """
        trial = self._admit(limit)
        try:
            yield
        except (KeysSpent, ProviderRefused):
            self._answered()
            raise
        except ProviderUnavailable as failure:
            self._failed(failure, trial=trial, pause=pause)
            raise
        else:
            self._answered()
        finally:
            with self.lock:
                self.waiting -= 1
                if trial:
                    self.trying = False

    def _admit(self, limit):
        """Whether this call is the one trying again after a pause, if it may go at all."""
        with self.lock:
            left = self.paused_until - time.monotonic()
            if left > 0:
                raise ProviderUnavailable(f"paused after a failure, {left:.1f} s left")
            if self.failing and self.trying:
                raise ProviderUnavailable("paused while one checkout tries again")
            if self.waiting >= limit:
                raise ProviderUnavailable(f"{limit} checkouts already waiting")
            self.waiting += 1
            self.trying = self.failing
            return self.failing

    def _failed(self, failure, *, trial, pause):
        with self.lock:
            # A call that was already waiting when the pause began only makes it longer.
            opened = trial or not self.failing
            self.failing, self.paused_until = True, time.monotonic() + pause
        if opened:
            logger.warning(
                "Payment provider paused after a failure",
                extra={
                    "event": "donations.provider_paused",
                    "provider": self.provider,
                    "reason": str(failure),
                    "seconds": pause,
                    "retried": trial,
                },
            )

    def _answered(self):
        with self.lock:
            resumed, self.failing, self.paused_until = self.failing, False, 0.0
        if resumed:
            logger.warning(
                "Payment provider answering again",
                extra={"event": "donations.provider_resumed", "provider": self.provider},
            )


_guards = {}
_guards_lock = threading.Lock()


def guard_for(provider, address):
    """One guard per provider address in this process, shared by all its threads."""
    with _guards_lock:
        return _guards.setdefault((provider, address), CheckoutGuard(provider))
