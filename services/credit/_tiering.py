"""Tiered management of live rooms (Art. 11): which rooms are KEY, STANDARD or on WATCH. Pure rules.

REGULATION.md "Tiered management of live rooms": tier by compliance/credit, followers and visits,
transaction scale and product category. Key rooms (large audience or sales, repeat violators,
life-and-health products) get technical monitoring, real-time inspection and longer retention of their
live content. The thresholds are the platform's configuration (:class:`TierPolicy`).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from livetrust.errors import FieldViolation, InvalidArgument

__all__ = [
    "TIER_REASON_CODES",
    "RoomMetrics",
    "Tier",
    "TierDecision",
    "TierPolicy",
    "tier_for",
]


class Tier(enum.Enum):
    KEY = "KEY"
    STANDARD = "STANDARD"
    WATCH = "WATCH"


FOLLOWERS_ABOVE_KEY_THRESHOLD = "FOLLOWERS_ABOVE_KEY_THRESHOLD"
VIEWS_ABOVE_KEY_THRESHOLD = "VIEWS_ABOVE_KEY_THRESHOLD"
GMV_ABOVE_KEY_THRESHOLD = "GMV_ABOVE_KEY_THRESHOLD"
KEY_PRODUCT_CATEGORY = "KEY_PRODUCT_CATEGORY"
REPEAT_VIOLATOR = "REPEAT_VIOLATOR"
LOW_CREDIT_BAND = "LOW_CREDIT_BAND"

TIER_REASON_CODES: tuple[str, ...] = (
    FOLLOWERS_ABOVE_KEY_THRESHOLD,
    VIEWS_ABOVE_KEY_THRESHOLD,
    GMV_ABOVE_KEY_THRESHOLD,
    KEY_PRODUCT_CATEGORY,
    REPEAT_VIOLATOR,
    LOW_CREDIT_BAND,
)
"""Every reason :func:`tier_for` can give, in the order it lists them."""


def _category(name: str) -> str:
    # Platforms spell categories inconsistently ("food", " FOOD "); compare one canonical form.
    return name.strip().upper()


@dataclass(frozen=True, slots=True)
class RoomMetrics:
    """A room's reach and sales over the last ``window_days`` days; ``gmv`` in yuan."""

    followers: int
    views: int
    gmv: float
    product_categories: tuple[str, ...]
    window_days: int

    def __post_init__(self) -> None:
        bad: list[FieldViolation] = []
        for name in ("followers", "views", "window_days"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < (1 if name == "window_days" else 0):
                low = 1 if name == "window_days" else 0
                bad.append(FieldViolation(name, f"must be an integer of at least {low}", "OUT_OF_RANGE"))
        gmv = self.gmv
        if isinstance(gmv, bool) or not isinstance(gmv, int | float) or not math.isfinite(gmv) or gmv < 0:
            bad.append(FieldViolation("gmv", "must be a finite number of at least 0", "OUT_OF_RANGE"))
        if bad:
            raise InvalidArgument(bad)
        object.__setattr__(self, "product_categories", tuple(self.product_categories))


@dataclass(frozen=True, slots=True)
class TierDecision:
    """The tier and every trigger found (empty for a STANDARD room with nothing notable)."""

    tier: Tier
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TierPolicy:
    """The platform's tiering configuration. Views and GMV thresholds are per ``window_days``."""

    key_followers: int
    key_views: int
    key_gmv: float
    window_days: int
    #: Life-and-health categories: any one of them makes a room KEY.
    key_categories: tuple[str, ...]
    #: Credit bands that put a room on WATCH.
    watch_bands: tuple[str, ...]
    #: Credit bands that mark the account a repeat violator, making the room KEY.
    repeat_violator_bands: tuple[str, ...]

    def __post_init__(self) -> None:
        for name in ("key_categories", "watch_bands", "repeat_violator_bands"):
            object.__setattr__(self, name, tuple(getattr(self, name)))

    @classmethod
    def default(cls) -> TierPolicy:
        """The platform's current policy."""
        return cls(
            key_followers=1_000_000,
            key_views=5_000_000,
            key_gmv=5_000_000.0,
            window_days=30,
            key_categories=("COSMETICS", "FOOD", "HEALTH", "INFANT", "MEDICAL_DEVICE", "MEDICINE"),
            watch_bands=("D", "E"),
            repeat_violator_bands=("E",),
        )

    def validate(self) -> list[FieldViolation]:
        """Every problem of this policy; empty when it may be used."""
        out: list[FieldViolation] = []
        for name in ("key_followers", "key_views", "window_days"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                out.append(FieldViolation(name, "must be an integer of at least 1", "OUT_OF_RANGE"))
        gmv = self.key_gmv
        if isinstance(gmv, bool) or not isinstance(gmv, int | float) or not math.isfinite(gmv) or not gmv > 0:
            out.append(FieldViolation("key_gmv", "must be a finite number greater than 0", "OUT_OF_RANGE"))
        for name in ("key_categories", "watch_bands", "repeat_violator_bands"):
            values = getattr(self, name)
            if any(not isinstance(v, str) or not v.strip() for v in values):
                out.append(FieldViolation(name, "entries must be non-empty strings", "REQUIRED"))
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "key_followers": self.key_followers,
            "key_views": self.key_views,
            "key_gmv": self.key_gmv,
            "window_days": self.window_days,
            "key_categories": list(self.key_categories),
            "watch_bands": list(self.watch_bands),
            "repeat_violator_bands": list(self.repeat_violator_bands),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TierPolicy:
        """Inverse of :meth:`to_dict`; raises InvalidArgument on a malformed document (then call validate())."""
        if not isinstance(data, Mapping):
            raise InvalidArgument([FieldViolation("tier_policy", "must be an object", "MALFORMED")])
        missing = [FieldViolation(k, "is required", "REQUIRED") for k in _POLICY_FIELDS if k not in data]
        if missing:
            raise InvalidArgument(missing)
        return cls(
            key_followers=data["key_followers"],
            key_views=data["key_views"],
            key_gmv=data["key_gmv"],
            window_days=data["window_days"],
            key_categories=_strings(data["key_categories"], "key_categories"),
            watch_bands=_strings(data["watch_bands"], "watch_bands"),
            repeat_violator_bands=_strings(data["repeat_violator_bands"], "repeat_violator_bands"),
        )


_POLICY_FIELDS = (
    "key_followers",
    "key_views",
    "key_gmv",
    "window_days",
    "key_categories",
    "watch_bands",
    "repeat_violator_bands",
)


def _strings(value: object, path: str) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise InvalidArgument([FieldViolation(path, "must be a list of strings", "MALFORMED")])
    return tuple(value)


def tier_for(metrics: RoomMetrics | None, band: str | None, policy: TierPolicy) -> TierDecision:
    """The room's tier: KEY on any key trigger, else WATCH on a low credit band, else STANDARD.

    KEY wins over WATCH: a large low-credit room needs the most supervision and the longest retention.
    ``metrics`` or ``band`` may be None when unknown; views and GMV over another window are scaled to the
    policy's window by their daily rate.
    """
    reasons: list[str] = []
    if metrics is not None:
        # Cross-multiplied rather than divided, so a count exactly at the threshold is not lost to rounding.
        mine, theirs = policy.window_days, metrics.window_days
        if metrics.followers >= policy.key_followers:
            reasons.append(FOLLOWERS_ABOVE_KEY_THRESHOLD)
        if metrics.views * mine >= policy.key_views * theirs:
            reasons.append(VIEWS_ABOVE_KEY_THRESHOLD)
        if metrics.gmv * mine >= policy.key_gmv * theirs:
            reasons.append(GMV_ABOVE_KEY_THRESHOLD)
        if _categories(metrics.product_categories) & _categories(policy.key_categories):
            reasons.append(KEY_PRODUCT_CATEGORY)
    if band is not None:
        if band in policy.repeat_violator_bands:
            reasons.append(REPEAT_VIOLATOR)
        if band in policy.watch_bands:
            reasons.append(LOW_CREDIT_BAND)
    if any(r != LOW_CREDIT_BAND for r in reasons):
        tier = Tier.KEY
    elif reasons:
        tier = Tier.WATCH
    else:
        tier = Tier.STANDARD
    return TierDecision(tier, tuple(reasons))


def _categories(names: Iterable[str]) -> set[str]:
    return {_category(n) for n in names}
