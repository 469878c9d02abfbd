"""Per-key token buckets: a steady rate with room for bursts; an empty bucket says when to retry."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["RateLimiter"]


@dataclass(slots=True)
class _Bucket:
    rate: float
    capacity: float
    tokens: float
    updated: float


class RateLimiter:
    """``take(key, rate, burst)`` -> 0.0 when admitted, else the seconds until a token is available."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}

    def take(self, key: str, *, rate: float, burst: int) -> float:
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None or bucket.rate != rate or bucket.capacity != burst:
            bucket = self._buckets[key] = _Bucket(rate, float(burst), float(burst), now)
        bucket.tokens = min(bucket.capacity, bucket.tokens + (now - bucket.updated) * bucket.rate)
        bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / bucket.rate if bucket.rate > 0 else float("inf")
