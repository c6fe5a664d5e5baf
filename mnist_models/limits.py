"""Bounded work per visitor: rate limits (drawings sent to a wall, uploads, classes started, per
page and per address), growing waits after failed teacher passwords, and the newest few of
something kept per key (the classroom pages the server keeps for each address).

A value a client sends (its session id, the address a proxy passes on) is the caller's to choose,
so the state kept per key is bounded: a key whose bucket has refilled, or whose failures are
forgotten, is dropped first.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict


class TokenBuckets:
    """A token bucket per key: ``burst`` tokens at first, refilled at ``rate_per_s``, at most
    ``max_keys`` keys (the least recently used dropped first). Safe across threads."""

    def __init__(self, rate_per_s: float, burst: float, max_keys: int = 4096, clock=time.monotonic) -> None:
        self.rate_per_s = rate_per_s
        self.burst = float(burst)
        self.max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, when counted)
        self._lock = threading.Lock()

    def take(self, key: str, amount: float = 1.0) -> float:
        """Spend ``amount`` of ``key``'s tokens and return 0.0; or, when it has fewer, spend
        nothing and return the seconds until it has them (``inf`` for more than ``burst``)."""
        if amount > self.burst:
            return float("inf")
        with self._lock:
            now = self._clock()
            tokens, then = self._buckets.pop(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - then) * self.rate_per_s)
            wait = 0.0 if tokens >= amount else (amount - tokens) / self.rate_per_s
            self._buckets[key] = (tokens - amount if not wait else tokens, now)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
            return wait

    def __len__(self) -> int:
        return len(self._buckets)


class FailedTries:
    """Failed tries (a wrong password) per key: after ``free`` of them, each further try must wait
    ``first_wait_s``, doubling with every failure up to ``max_wait_s``; a success forgets the key.
    At most ``max_keys`` keys, the least recently failed dropped first. Safe across threads."""

    def __init__(
        self,
        free: int = 3,
        first_wait_s: float = 1.0,
        max_wait_s: float = 300.0,
        max_keys: int = 4096,
        clock=time.monotonic,
    ) -> None:
        self.free, self.first_wait_s, self.max_wait_s, self.max_keys = free, first_wait_s, max_wait_s, max_keys
        self._clock = clock
        self._failures: OrderedDict[str, tuple[int, float]] = OrderedDict()  # key -> (count, may try from)
        self._lock = threading.Lock()

    def wait(self, key: str) -> float:
        """Seconds before ``key`` may try again (0.0: now)."""
        with self._lock:
            _, allowed = self._failures.get(key, (0, 0.0))
            return max(0.0, allowed - self._clock())

    def failed(self, key: str) -> None:
        with self._lock:
            count, _ = self._failures.pop(key, (0, 0.0))
            count += 1
            extra = count - self.free
            delay = 0.0 if extra <= 0 else min(self.max_wait_s, self.first_wait_s * 2 ** (extra - 1))
            self._failures[key] = (count, self._clock() + delay)
            while len(self._failures) > self.max_keys:
                self._failures.popitem(last=False)

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)


class NewestPerKey:
    """The newest items per key: at most ``per_key`` for each key and ``total`` in all. ``add``
    says which items fell out (the oldest of their key, or the oldest of all), for the caller to
    release. Safe across threads."""

    def __init__(self, per_key: int, total: int) -> None:
        self.per_key, self.total = per_key, total
        self._items: OrderedDict[str, str] = OrderedDict()  # item -> its key, oldest first
        self._lock = threading.Lock()

    def add(self, item: str, key: str) -> list[str]:
        """Keep ``item`` (under ``key``) as the newest; return the items that no longer fit."""
        with self._lock:
            self._items.pop(item, None)
            self._items[item] = key
            dropped = []
            same_key = [other for other, its_key in self._items.items() if its_key == key]
            for other in same_key[: max(0, len(same_key) - self.per_key)]:
                dropped.append(other)
                del self._items[other]
            while len(self._items) > self.total:
                dropped.append(self._items.popitem(last=False)[0])
            return dropped

    def remove(self, item: str) -> bool:
        """Forget ``item``; whether it was kept."""
        with self._lock:
            return self._items.pop(item, None) is not None

    def __contains__(self, item: str) -> bool:
        return item in self._items

    def __len__(self) -> int:
        return len(self._items)
