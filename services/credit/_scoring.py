"""Credit evaluation of operator accounts: a versioned scorecard over incremental, decaying aggregates.

REGULATION.md "Credit evaluation": the indicators are user reviews, complaints and reports, the platform's
handling outcomes and regulator notices. Negative events fade, are explained by reason codes and are
appealable (an overturned event is subtracted exactly). Art. 20: only complaints verified as true count in
full, and abuse of the complaint mechanism (brigading) is contained by a per-reporter cap and by judging
complaints as a rate of the account's volume. Every number is the platform's configuration
(:class:`Scorecard`), never a constant in code.

Pure: no I/O and no clock; callers pass ``as_of``. Scoring reads a fixed set of keys, so it costs the same
for 10 or 1,000,000 events: each event is folded once into :class:`Aggregates` by exponential decay.
"""

from __future__ import annotations

import enum
import hashlib
import json
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, TypeVar

from livetrust.errors import FieldViolation, InvalidArgument

__all__ = [
    "REASON_CODES",
    "SCORE_MAX",
    "SCORE_MIN",
    "STARS_MAX",
    "STARS_MIN",
    "Aggregates",
    "Complaint",
    "ComplaintCategory",
    "Contribution",
    "DecayedSum",
    "Entitlements",
    "Event",
    "Indicator",
    "Outcome",
    "PlatformOutcome",
    "Reason",
    "RegulatorNotice",
    "Replay",
    "Review",
    "ScoreResult",
    "ScoreSummary",
    "Scorecard",
    "Severity",
    "complaint_weight",
    "contributions",
    "hash_inputs",
    "replay",
    "replay_detailed",
    "score",
    "score_summary",
]

SCORE_MIN = 0
SCORE_MAX = 1000
STARS_MIN = 1
STARS_MAX = 5

_SECONDS_PER_DAY = 86_400.0
# A subtraction whose result is this small relative to its operands is float noise, not a real remainder.
_RESIDUE = 1e-9
# At most this many memoised derived values per scorecard (keys are few; this only bounds odd input).
_MEMO_LIMIT = 1024


class Severity(enum.Enum):
    MINOR = "MINOR"
    SERIOUS = "SERIOUS"
    SEVERE = "SEVERE"


class ComplaintCategory(enum.Enum):
    FALSE_ADVERTISING = "FALSE_ADVERTISING"
    COUNTERFEIT = "COUNTERFEIT"
    PRICE_FRAUD = "PRICE_FRAUD"
    OFF_PLATFORM_TRANSACTION = "OFF_PLATFORM_TRANSACTION"
    VULGAR_CONTENT = "VULGAR_CONTENT"
    MINOR_PROTECTION = "MINOR_PROTECTION"
    OTHER = "OTHER"


class Outcome(enum.Enum):
    UPHELD = "UPHELD"
    DISMISSED = "DISMISSED"


class Indicator(enum.Enum):
    REVIEWS = "REVIEWS"
    COMPLAINTS = "COMPLAINTS"
    PLATFORM_OUTCOMES = "PLATFORM_OUTCOMES"
    REGULATOR_NOTICES = "REGULATOR_NOTICES"


# Aggregate keys. Stored by the service, so they are part of the persisted format: never rename one.
_REVIEWS_COUNT = "reviews.count"
_REVIEWS_WEIGHT = "reviews.weight"
_REVIEWS_STARS = "reviews.stars"
_COMPLAINTS_VERIFIED = "complaints.verified"
_COMPLAINTS_UNVERIFIED = "complaints.unverified"
_PLATFORM_PREFIX = "platform.upheld."
_REGULATOR_PREFIX = "regulator."

REASON_CODES: tuple[str, ...] = (
    "REVIEWS_POSITIVE",
    "COMPLAINTS_VERIFIED",
    "COMPLAINTS_UNVERIFIED",
    *(f"PLATFORM_UPHELD_{s.name}" for s in Severity),
    *(f"REGULATOR_NOTICE_{s.name}" for s in Severity),
)
"""Every reason code :func:`score` can give; a scorecard needs a hint for each."""

_E = TypeVar("_E", bound=enum.Enum)


def _invalid(path: str, description: str, reason: str = "MALFORMED") -> InvalidArgument:
    return InvalidArgument([FieldViolation(path, description, reason)])


def _utc(value: datetime, path: str) -> datetime:
    """The instant in UTC; naive datetimes are refused because their instant is unknown."""
    if value.__class__ is datetime and value.tzinfo is UTC:
        return value  # already UTC (what ``astimezone(UTC)`` would return): the common case, kept cheap
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise _invalid(path, "must be a timezone-aware datetime", "NAIVE_TIMESTAMP")
    return value.astimezone(UTC)


def _decay(seconds: float, half_life_days: float) -> float:
    return 0.5 ** (seconds / (half_life_days * _SECONDS_PER_DAY))


# --- events ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Review:
    """A buyer's star rating (1..5); reviews from verified buyers weigh more."""

    stars: int
    verified_buyer: bool

    def __post_init__(self) -> None:
        if isinstance(self.stars, bool) or not isinstance(self.stars, int) or not STARS_MIN <= self.stars <= STARS_MAX:
            raise _invalid("review.stars", f"must be an integer from {STARS_MIN} to {STARS_MAX}", "OUT_OF_RANGE")


@dataclass(frozen=True, slots=True)
class Complaint:
    """A complaint or report; ``verified`` when the platform confirmed its facts at intake."""

    category: ComplaintCategory
    reporter_id: str
    verified: bool


@dataclass(frozen=True, slots=True)
class PlatformOutcome:
    """The platform's handling outcome of a complaint (Art. 20); the severity matters only when upheld."""

    complaint_event_id: str
    outcome: Outcome
    severity: Severity


@dataclass(frozen=True, slots=True)
class RegulatorNotice:
    """A notice from a market regulator or internet information office about the account."""

    severity: Severity
    authority: str


EventBody = Review | Complaint | PlatformOutcome | RegulatorNotice


@dataclass(frozen=True, slots=True)
class Event:
    """One credit-relevant fact about an account; ``occurred_at`` is normalised to UTC."""

    event_id: str
    occurred_at: datetime
    body: EventBody

    def __post_init__(self) -> None:
        object.__setattr__(self, "occurred_at", _utc(self.occurred_at, "occurred_at"))


# --- incremental aggregates -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DecayedSum:
    """A sum of amounts, each decayed by its age, as it stood at ``ref`` (the latest instant folded in)."""

    value: float
    ref: datetime
    _iso: str = field(default="", init=False, repr=False, compare=False)
    """``ref`` in ISO 8601, computed once (scores hash it and the service stores it)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "ref", _utc(self.ref, "ref"))

    def ref_iso(self) -> str:
        """``ref.isoformat()``, memoised."""
        iso = self._iso
        if not iso:
            iso = self.ref.isoformat()
            object.__setattr__(self, "_iso", iso)
        return iso

    def at(self, as_of: datetime, half_life_days: float | None) -> float:
        """The sum at ``as_of``; an ``as_of`` before ``ref`` reads as ``ref`` (decay never amplifies)."""
        if half_life_days is None or as_of <= self.ref:
            return self.value
        return self.value * _decay((as_of - self.ref).total_seconds(), half_life_days)

    def add(self, amount: float, at: datetime, half_life_days: float | None) -> DecayedSum:
        """Fold ``amount`` that happened at ``at`` in; an earlier ``at`` arrives already decayed (out of order)."""
        ref = max(self.ref, at)
        if half_life_days is None:
            old, added = self.value, amount
        else:
            old = self.value * _decay((ref - self.ref).total_seconds(), half_life_days)
            added = amount * _decay((ref - at).total_seconds(), half_life_days)
        value = old + added
        # Subtracting what was added (an overturn) must land on zero, not on 1e-17 that reads as "a complaint".
        if abs(value) <= _RESIDUE * max(abs(old), abs(added)):
            value = 0.0
        return DecayedSum(value, ref)


@dataclass(frozen=True, slots=True)
class Contribution:
    """The effect of one event on one aggregate key; stored with the event so an overturn can subtract it."""

    key: str
    amount: float
    at: datetime
    half_life_days: float | None

    def __post_init__(self) -> None:
        object.__setattr__(self, "at", _utc(self.at, "at"))
        if not math.isfinite(self.amount):
            raise _invalid("amount", "must be a finite number", "OUT_OF_RANGE")
        if self.half_life_days is not None and not (math.isfinite(self.half_life_days) and self.half_life_days > 0):
            raise _invalid("half_life_days", "must be a positive number or absent", "OUT_OF_RANGE")

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "key": self.key,
            "amount": self.amount,
            "at": self.at.isoformat(),
            "half_life_days": self.half_life_days,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Contribution:
        """Inverse of :meth:`to_dict`."""
        half_life = _get(data, "half_life_days", "half_life_days", required=False)
        return cls(
            key=_string(_get(data, "key", "key"), "key"),
            amount=float(_number(_get(data, "amount", "amount"), "amount")),
            at=_timestamp(_get(data, "at", "at"), "at"),
            half_life_days=None if half_life is None else float(_number(half_life, "half_life_days")),
        )


@dataclass(frozen=True, slots=True)
class Aggregates(Mapping[str, DecayedSum]):
    """Everything scoring needs about one account: a read-only mapping key -> :class:`DecayedSum`, updated
    per event and never rescanned."""

    sums: Mapping[str, DecayedSum] = field(default_factory=dict)
    _json: str = field(default="", init=False, repr=False, compare=False)
    """:meth:`to_json`, computed once."""

    def __post_init__(self) -> None:
        # Sorted so that equal aggregates serialise (and hash) identically whatever the order of arrival.
        object.__setattr__(self, "sums", MappingProxyType(dict(sorted(self.sums.items()))))

    def __getitem__(self, key: str) -> DecayedSum:
        return self.sums[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.sums)

    def __len__(self) -> int:
        return len(self.sums)

    def value(self, key: str, as_of: datetime, half_life_days: float | None) -> float:
        """The sum under ``key`` at ``as_of``; 0 for a key never touched."""
        entry = self.sums.get(key)
        return 0.0 if entry is None else entry.at(as_of, half_life_days)

    def apply(self, contributions: Iterable[Contribution], sign: int = 1) -> Aggregates:
        """Add (``sign=+1``) or subtract (``-1``, an overturn) contributions; costs O(len(contributions))."""
        if sign not in (1, -1):
            raise ValueError("sign must be +1 or -1")
        sums = dict(self.sums)
        for c in contributions:
            entry = sums.get(c.key)
            if entry is None:
                entry = DecayedSum(0.0, c.at)
            sums[c.key] = entry.add(sign * c.amount, c.at, c.half_life_days)
        return Aggregates(sums)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form with ISO timestamps; keys sorted."""
        return {"sums": {k: {"value": s.value, "ref": s.ref_iso()} for k, s in self.sums.items()}}

    def to_json(self) -> str:
        """:meth:`to_dict` as canonical JSON (sorted keys, no spaces, ASCII only): what :func:`hash_inputs`
        hashes, and a form to store (memoised)."""
        text = self._json
        if not text:
            text = _canonical_sums(self) or _CANONICAL_JSON.encode(self.to_dict())
            object.__setattr__(self, "_json", text)
        return text

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Aggregates:
        """Inverse of :meth:`to_dict`; ``{}`` reads as no aggregates."""
        raw = _get(data, "sums", "sums", required=False)
        if raw is None:
            return cls()  # ``{}``: an account with no events yet
        if not isinstance(raw, Mapping):
            raise _invalid("sums", "must be an object")
        sums: dict[str, DecayedSum] = {}
        for key, entry in raw.items():
            # Fast path for what to_dict wrote (float value, ISO timestamp in UTC); anything else is
            # checked field by field below, with the same results and errors.
            if entry.__class__ is dict and key.__class__ is str:
                value, ref = entry.get("value"), entry.get("ref")
                if value.__class__ is float and math.isfinite(value) and ref.__class__ is str:
                    try:
                        parsed = datetime.fromisoformat(ref)
                    except ValueError:
                        parsed = None
                    if parsed is not None and parsed.tzinfo is UTC:
                        sums[key] = DecayedSum(value, parsed)
                        continue
            path = f"sums.{key}"
            sums[_string(key, path)] = DecayedSum(
                value=float(_number(_get(entry, "value", f"{path}.value"), f"{path}.value")),
                ref=_timestamp(_get(entry, "ref", f"{path}.ref"), f"{path}.ref"),
            )
        return cls(sums)


# --- the scorecard --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Entitlements:
    """What a credit band may do: the service scope and functions the credit result decides."""

    go_live: bool
    promotion_traffic: bool
    #: ``("ALL",)`` or an explicit list; life-and-health categories are left out of restricted lists.
    product_categories: tuple[str, ...]
    max_concurrent_rooms: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "go_live": self.go_live,
            "promotion_traffic": self.promotion_traffic,
            "product_categories": list(self.product_categories),
            "max_concurrent_rooms": self.max_concurrent_rooms,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], path: str = "entitlements") -> Entitlements:
        """Inverse of :meth:`to_dict`; ``path`` prefixes error field paths."""
        categories = _get(data, "product_categories", f"{path}.product_categories")
        if not isinstance(categories, list | tuple):
            raise _invalid(f"{path}.product_categories", "must be a list of strings")
        rooms = _get(data, "max_concurrent_rooms", f"{path}.max_concurrent_rooms")
        if isinstance(rooms, bool) or not isinstance(rooms, int):
            raise _invalid(f"{path}.max_concurrent_rooms", "must be an integer")
        return cls(
            go_live=_boolean(_get(data, "go_live", f"{path}.go_live"), f"{path}.go_live"),
            promotion_traffic=_boolean(
                _get(data, "promotion_traffic", f"{path}.promotion_traffic"), f"{path}.promotion_traffic"
            ),
            product_categories=tuple(_string(c, f"{path}.product_categories") for c in categories),
            max_concurrent_rooms=rooms,
        )


_ALL_CATEGORIES = ("ALL",)
# Restricted lists leave out life-and-health categories (HEALTH, MEDICINE, FOOD, INFANT, COSMETICS).
_RESTRICTED_CATEGORIES = ("APPAREL", "BOOKS", "ELECTRONICS", "HOME", "SPORTS")

_DEFAULT_HINTS: dict[str, str] = {
    "REVIEWS_POSITIVE": (
        "Buyer reviews add points: keep buyers satisfied. Reviews from verified buyers count more, and a new "
        "account starts from a neutral average."
    ),
    "COMPLAINTS_VERIFIED": (
        "Verified complaints cost points in proportion to your sales volume. Resolve complaints quickly; "
        "their effect halves every {half_life_days} days."
    ),
    "COMPLAINTS_UNVERIFIED": (
        "Unverified complaints weigh little until the platform upholds them. Answer them promptly; their "
        "effect halves every {half_life_days} days, and dismissed complaints stop counting."
    ),
    "PLATFORM_UPHELD_MINOR": (
        "The platform upheld a minor violation. Its effect halves every {half_life_days} days; you may appeal "
        "a decision you believe is wrong."
    ),
    "PLATFORM_UPHELD_SERIOUS": (
        "The platform upheld a serious violation. Its effect halves every {half_life_days} days; an upheld "
        "appeal removes it."
    ),
    "PLATFORM_UPHELD_SEVERE": (
        "The platform upheld a severe violation. Its effect halves every {half_life_days} days; an upheld "
        "appeal removes it."
    ),
    "REGULATOR_NOTICE_MINOR": (
        "A regulator issued a minor notice. Comply with it; its effect halves every {half_life_days} days."
    ),
    "REGULATOR_NOTICE_SERIOUS": (
        "A regulator issued a serious notice. Comply with it and keep the records; its effect halves every "
        "{half_life_days} days."
    ),
    "REGULATOR_NOTICE_SEVERE": (
        "A regulator issued a severe notice. Comply with it and keep the records; its effect halves every "
        "{half_life_days} days."
    ),
}


def _frozen_map(value: Mapping[Any, Any]) -> Mapping[Any, Any]:
    return MappingProxyType(dict(value))


@dataclass(frozen=True, slots=True)
class _ScorePlan:
    """A scorecard's values as :func:`score` reads them (see :meth:`Scorecard.score_plan`)."""

    reviews_cap: float
    reviews_half_life: float | None
    """Of both review sums (``reviews.weight`` and ``reviews.stars``): they never decay."""
    prior_stars: float
    """``review_prior_mean * review_prior_weight``."""
    complaints_cap: float
    complaints_half_life: float | None
    severity_rows: tuple[tuple[float, tuple[tuple[str, str, float, float | None], ...]], ...]
    """:meth:`Scorecard.severity_rows` with each key's half-life."""
    severity_codes_and_keys: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]
    """Of each of :attr:`severity_rows`: its reason codes, and its aggregate keys."""
    finite_points: bool


@dataclass(frozen=True, slots=True)
class Scorecard:
    """The versioned credit model: pure configuration. A score names the version that made it.

    Bands are ordered best first by ``band_thresholds`` (each band's minimum score; the last is 0).
    """

    version: str
    base_score: float
    #: Reviews: the smoothed average (sum_stars + prior_mean*prior_weight) / (weight + prior_weight), with
    #: stars 1..5 mapped linearly to 0..max_review_points.
    max_review_points: float
    review_prior_mean: float
    review_prior_weight: float
    verified_review_weight: float
    unverified_review_weight: float
    #: Complaints: weights at filing; unverified ones weigh little until upheld.
    verified_complaint_weight: float
    unverified_complaint_weight: float
    #: A reporter's complaints against one account count at most this much weight in total (anti-brigading).
    reporter_cap: float
    #: Deduction = complaint_rate_points * complaint_weight / (review_weight + complaint_rate_prior).
    complaint_rate_prior: float
    complaint_rate_points: float
    complaint_half_life_days: float
    #: Points per upheld platform outcome and per regulator notice, by severity (their effect fades).
    outcome_points: Mapping[Severity, float]
    notice_points: Mapping[Severity, float]
    half_life_days: Mapping[Severity, float]
    #: The most points each indicator can add (REVIEWS) or take (the others).
    caps: Mapping[Indicator, float]
    band_thresholds: Mapping[str, int]
    band_labels: Mapping[str, str]
    entitlements: Mapping[str, Entitlements]
    #: Plain-language advice per reason code; ``{half_life_days}`` is filled in from this scorecard.
    hints: Mapping[str, str]
    #: Derived values memoised per key (half-lives of aggregate keys, filled-in hints): not configuration.
    _memo: dict[tuple[str, str], Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in (
            "outcome_points",
            "notice_points",
            "half_life_days",
            "caps",
            "band_thresholds",
            "band_labels",
            "entitlements",
            "hints",
        ):
            object.__setattr__(self, name, _frozen_map(getattr(self, name)))

    @classmethod
    def default(cls) -> Scorecard:
        """The platform's current model, version 2026.1."""
        return cls(
            version="2026.1",
            base_score=600,
            max_review_points=300,
            review_prior_mean=3.0,
            review_prior_weight=10.0,
            verified_review_weight=1.0,
            unverified_review_weight=0.5,
            verified_complaint_weight=1.0,
            unverified_complaint_weight=0.2,
            reporter_cap=1.0,
            complaint_rate_prior=20.0,
            complaint_rate_points=1000.0,
            complaint_half_life_days=90.0,
            outcome_points={Severity.MINOR: 10.0, Severity.SERIOUS: 60.0, Severity.SEVERE: 200.0},
            notice_points={Severity.MINOR: 30.0, Severity.SERIOUS: 120.0, Severity.SEVERE: 300.0},
            # Like strikes that expire: minor matters fade within months, severe ones over years.
            half_life_days={Severity.MINOR: 30.0, Severity.SERIOUS: 180.0, Severity.SEVERE: 365.0},
            caps={
                Indicator.REVIEWS: 300.0,
                Indicator.COMPLAINTS: 300.0,
                Indicator.PLATFORM_OUTCOMES: 400.0,
                Indicator.REGULATOR_NOTICES: 500.0,
            },
            band_thresholds={"A": 850, "B": 700, "C": 550, "D": 400, "E": 0},
            band_labels={"A": "Excellent", "B": "Good", "C": "Fair", "D": "Poor", "E": "Very poor"},
            entitlements={
                "A": Entitlements(True, True, _ALL_CATEGORIES, 5),
                "B": Entitlements(True, True, _ALL_CATEGORIES, 3),
                "C": Entitlements(True, False, _ALL_CATEGORIES, 2),
                "D": Entitlements(True, False, _RESTRICTED_CATEGORIES, 1),
                "E": Entitlements(False, False, (), 0),
            },
            hints=dict(_DEFAULT_HINTS),
        )

    # -- derived ------------------------------------------------------------------------------------------

    def complaint_weight(self, verified: bool) -> float:
        """A complaint's weight at filing, before the reporter cap."""
        return self.verified_complaint_weight if verified else self.unverified_complaint_weight

    def half_life_for(self, key: str) -> float | None:
        """The half-life (days) of an aggregate key; None for sums that never decay (reviews, unknown keys)."""
        memo = ("half_life", key)
        if memo in self._memo:
            return self._memo[memo]  # type: ignore[no-any-return]
        value = self._half_life_for(key)
        if len(self._memo) < _MEMO_LIMIT:
            self._memo[memo] = value
        return value

    def _half_life_for(self, key: str) -> float | None:
        if key in (_COMPLAINTS_VERIFIED, _COMPLAINTS_UNVERIFIED):
            return self.complaint_half_life_days
        for prefix in (_PLATFORM_PREFIX, _REGULATOR_PREFIX):
            if key.startswith(prefix) and key[len(prefix) :] in Severity.__members__:
                return self.half_life_days.get(Severity[key[len(prefix) :]])
        return None

    def severity_rows(self) -> tuple[tuple[float, tuple[tuple[str, str, float], ...]], ...]:
        """Platform outcomes, then regulator notices: the indicator's cap and, per severity, its reason
        code, aggregate key and points (what :func:`score` reads; memoised)."""
        memo = ("severity_rows", "")
        rows = self._memo.get(memo)
        if rows is None:
            rows = self._memo[memo] = tuple(
                (
                    self.caps[indicator],
                    tuple((code + s.name, prefix + s.name, points[s]) for s in Severity),
                )
                for indicator, prefix, code, points in (
                    (Indicator.PLATFORM_OUTCOMES, _PLATFORM_PREFIX, "PLATFORM_UPHELD_", self.outcome_points),
                    (Indicator.REGULATOR_NOTICES, _REGULATOR_PREFIX, "REGULATOR_NOTICE_", self.notice_points),
                )
            )
        return rows  # type: ignore[no-any-return]

    def score_plan(self) -> _ScorePlan:
        """What :func:`score` reads of this scorecard for every account, looked up once (memoised)."""
        memo = ("score_plan", "")
        plan = self._memo.get(memo)
        if plan is None:
            rows = tuple(
                (cap, tuple((code, key, points, self.half_life_for(key)) for code, key, points in severities))
                for cap, severities in self.severity_rows()
            )
            plan = self._memo[memo] = _ScorePlan(
                reviews_cap=self.caps[Indicator.REVIEWS],
                reviews_half_life=self.half_life_for(_REVIEWS_WEIGHT),
                prior_stars=self.review_prior_mean * self.review_prior_weight,
                complaints_cap=self.caps[Indicator.COMPLAINTS],
                complaints_half_life=self.half_life_for(_COMPLAINTS_VERIFIED),
                severity_rows=rows,
                severity_codes_and_keys=tuple(
                    (tuple(code for code, _, _, _ in severities), tuple(key for _, key, _, _ in severities))
                    for _, severities in rows
                ),
                finite_points=all(math.isfinite(points) for _, severities in rows for _, _, points, _ in severities),
            )
        return plan  # type: ignore[no-any-return]

    def band_for(self, value: int) -> str:
        """The best band whose threshold ``value`` reaches (the last band when none does)."""
        memo = ("bands", "")
        bands = self._memo.get(memo)
        if bands is None:
            bands = self._memo[memo] = tuple(self.band_thresholds.items())
        for band, threshold in bands:
            if value >= threshold:
                return band
        return bands[-1][0]

    def hint_for(self, code: str) -> str:
        """The hint of a reason code with its half-life filled in."""
        memo = ("hint", code)
        if memo in self._memo:
            return self._memo[memo]  # type: ignore[no-any-return]
        template = self.hints.get(code, "")
        hint = template.format(half_life_days=_days(self._reason_half_life(code)))
        if len(self._memo) < _MEMO_LIMIT:
            self._memo[memo] = hint
        return hint

    def _reason_half_life(self, code: str) -> float | None:
        if code.startswith("COMPLAINTS_"):
            return self.complaint_half_life_days
        severity = code.rsplit("_", 1)[-1]
        return self.half_life_days.get(Severity[severity]) if severity in Severity.__members__ else None

    # -- checks -------------------------------------------------------------------------------------------

    def validate(self) -> list[FieldViolation]:
        """Every problem of this configuration; empty when it may be used."""
        out: list[FieldViolation] = []

        def bad(path: str, description: str, reason: str = "OUT_OF_RANGE") -> None:
            out.append(FieldViolation(path, description, reason))

        def number(
            path: str, value: object, *, positive: bool = False, low: float = 0.0, high: float = math.inf
        ) -> None:
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                bad(path, "must be a finite number", "NOT_A_NUMBER")
            elif positive and not value > 0:
                bad(path, "must be greater than 0")
            elif not low <= value <= high:
                bad(path, f"must be between {low:g} and {high:g}" if high < math.inf else f"must be at least {low:g}")

        if not isinstance(self.version, str) or not self.version.strip():
            bad("version", "must not be empty", "REQUIRED")
        number("base_score", self.base_score, low=SCORE_MIN, high=SCORE_MAX)
        number("max_review_points", self.max_review_points)
        number("review_prior_mean", self.review_prior_mean, low=STARS_MIN, high=STARS_MAX)
        # A positive prior is what keeps an account with no reviews from dividing by zero.
        number("review_prior_weight", self.review_prior_weight, positive=True)
        number("verified_review_weight", self.verified_review_weight)
        number("unverified_review_weight", self.unverified_review_weight)
        if _gt(self.unverified_review_weight, self.verified_review_weight):
            bad("unverified_review_weight", "must not exceed verified_review_weight", "INCONSISTENT")
        number("verified_complaint_weight", self.verified_complaint_weight)
        # Positive: an outcome learns how much of a capped complaint counted from its weight's fraction.
        number("unverified_complaint_weight", self.unverified_complaint_weight, positive=True)
        if _gt(self.unverified_complaint_weight, self.verified_complaint_weight):
            # Otherwise upholding a complaint would raise the score.
            bad("unverified_complaint_weight", "must not exceed verified_complaint_weight", "INCONSISTENT")
        number("reporter_cap", self.reporter_cap)
        number("complaint_rate_prior", self.complaint_rate_prior, positive=True)
        number("complaint_rate_points", self.complaint_rate_points)
        number("complaint_half_life_days", self.complaint_half_life_days, positive=True)
        for name, positive in (("outcome_points", False), ("notice_points", False), ("half_life_days", True)):
            table: Mapping[Severity, float] = getattr(self, name)
            for severity in Severity:
                if severity not in table:
                    bad(f"{name}.{severity.name}", "is required", "REQUIRED")
                else:
                    number(f"{name}.{severity.name}", table[severity], positive=positive)
        for indicator in Indicator:
            if indicator not in self.caps:
                bad(f"caps.{indicator.name}", "is required", "REQUIRED")
            else:
                number(f"caps.{indicator.name}", self.caps[indicator])
        out.extend(self._validate_bands())
        for code in REASON_CODES:
            template = self.hints.get(code)
            if not isinstance(template, str) or not template.strip():
                bad(f"hints.{code}", "every reason code needs a hint", "REQUIRED")
                continue
            try:
                template.format(half_life_days="")
            except (KeyError, IndexError, ValueError):
                bad(f"hints.{code}", "may only use the placeholder {half_life_days}", "BAD_TEMPLATE")
        return out

    def _validate_bands(self) -> list[FieldViolation]:
        out: list[FieldViolation] = []
        if not self.band_thresholds:
            return [FieldViolation("band_thresholds", "at least one band is required", "REQUIRED")]
        previous: int | None = None
        for band, threshold in self.band_thresholds.items():
            path = f"band_thresholds.{band}"
            if not isinstance(band, str) or not band.strip():
                out.append(FieldViolation("band_thresholds", "band codes must not be empty", "REQUIRED"))
            if isinstance(threshold, bool) or not isinstance(threshold, int) or not SCORE_MIN <= threshold <= SCORE_MAX:
                out.append(FieldViolation(path, f"must be an integer from {SCORE_MIN} to {SCORE_MAX}", "OUT_OF_RANGE"))
            elif previous is not None and threshold >= previous:
                out.append(
                    FieldViolation(path, "thresholds must strictly decrease from the best band", "NOT_DECREASING")
                )
            else:
                previous = threshold
            if not str(self.band_labels.get(band, "")).strip():
                out.append(FieldViolation(f"band_labels.{band}", "every band needs a label", "REQUIRED"))
            ent = self.entitlements.get(band)
            if ent is None:
                out.append(FieldViolation(f"entitlements.{band}", "every band needs entitlements", "REQUIRED"))
            else:
                out.extend(_validate_entitlements(ent, f"entitlements.{band}"))
        last_band, last = list(self.band_thresholds.items())[-1]
        if last != SCORE_MIN:
            # Otherwise some scores would have no band.
            out.append(FieldViolation(f"band_thresholds.{last_band}", f"the last band must start at {SCORE_MIN}"))
        for band in self.band_labels:
            if band not in self.band_thresholds:
                out.append(FieldViolation(f"band_labels.{band}", "names no band", "UNKNOWN_BAND"))
        for band in self.entitlements:
            if band not in self.band_thresholds:
                out.append(FieldViolation(f"entitlements.{band}", "names no band", "UNKNOWN_BAND"))
        return out

    # -- serialisation ------------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form. Bands are a list so their order survives stores that reorder object keys (JSONB)."""
        return {
            "version": self.version,
            "base_score": self.base_score,
            "max_review_points": self.max_review_points,
            "review_prior_mean": self.review_prior_mean,
            "review_prior_weight": self.review_prior_weight,
            "verified_review_weight": self.verified_review_weight,
            "unverified_review_weight": self.unverified_review_weight,
            "verified_complaint_weight": self.verified_complaint_weight,
            "unverified_complaint_weight": self.unverified_complaint_weight,
            "reporter_cap": self.reporter_cap,
            "complaint_rate_prior": self.complaint_rate_prior,
            "complaint_rate_points": self.complaint_rate_points,
            "complaint_half_life_days": self.complaint_half_life_days,
            "outcome_points": {k.name: v for k, v in self.outcome_points.items()},
            "notice_points": {k.name: v for k, v in self.notice_points.items()},
            "half_life_days": {k.name: v for k, v in self.half_life_days.items()},
            "caps": {k.name: v for k, v in self.caps.items()},
            "bands": [
                {
                    "band": band,
                    "min_score": threshold,
                    "label": self.band_labels.get(band, ""),
                    "entitlements": ent.to_dict() if (ent := self.entitlements.get(band)) is not None else None,
                }
                for band, threshold in self.band_thresholds.items()
            ],
            "hints": dict(self.hints),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scorecard:
        """Inverse of :meth:`to_dict`; raises InvalidArgument on a malformed document (then call validate())."""
        if not isinstance(data, Mapping):
            raise _invalid("scorecard", "must be an object")
        bands = _get(data, "bands", "bands")
        if not isinstance(bands, list):
            raise _invalid("bands", "must be a list")
        thresholds: dict[str, int] = {}
        labels: dict[str, str] = {}
        entitlements: dict[str, Entitlements] = {}
        for i, entry in enumerate(bands):
            band = _string(_get(entry, "band", f"bands[{i}].band"), f"bands[{i}].band")
            threshold = _get(entry, "min_score", f"band_thresholds.{band}")
            if isinstance(threshold, bool) or not isinstance(threshold, int):
                raise _invalid(f"band_thresholds.{band}", "must be an integer")
            thresholds[band] = threshold
            labels[band] = _string(_get(entry, "label", f"band_labels.{band}"), f"band_labels.{band}")
            ent = _get(entry, "entitlements", f"entitlements.{band}", required=False)
            if ent is not None:
                entitlements[band] = Entitlements.from_dict(ent, f"entitlements.{band}")
        hints = _get(data, "hints", "hints")
        if not isinstance(hints, Mapping):
            raise _invalid("hints", "must be an object")

        def num(name: str) -> float:
            return _number(_get(data, name, name), name)

        return cls(
            version=_string(_get(data, "version", "version"), "version"),
            base_score=num("base_score"),
            max_review_points=num("max_review_points"),
            review_prior_mean=num("review_prior_mean"),
            review_prior_weight=num("review_prior_weight"),
            verified_review_weight=num("verified_review_weight"),
            unverified_review_weight=num("unverified_review_weight"),
            verified_complaint_weight=num("verified_complaint_weight"),
            unverified_complaint_weight=num("unverified_complaint_weight"),
            reporter_cap=num("reporter_cap"),
            complaint_rate_prior=num("complaint_rate_prior"),
            complaint_rate_points=num("complaint_rate_points"),
            complaint_half_life_days=num("complaint_half_life_days"),
            outcome_points=_enum_map(_get(data, "outcome_points", "outcome_points"), Severity, "outcome_points"),
            notice_points=_enum_map(_get(data, "notice_points", "notice_points"), Severity, "notice_points"),
            half_life_days=_enum_map(_get(data, "half_life_days", "half_life_days"), Severity, "half_life_days"),
            caps=_enum_map(_get(data, "caps", "caps"), Indicator, "caps"),
            band_thresholds=thresholds,
            band_labels=labels,
            entitlements=entitlements,
            hints={_string(k, "hints"): _string(v, f"hints.{k}") for k, v in hints.items()},
        )


def _validate_entitlements(ent: Entitlements, path: str) -> list[FieldViolation]:
    out: list[FieldViolation] = []
    rooms = ent.max_concurrent_rooms
    if isinstance(rooms, bool) or not isinstance(rooms, int) or rooms < 0:
        out.append(FieldViolation(f"{path}.max_concurrent_rooms", "must be an integer of at least 0", "OUT_OF_RANGE"))
    elif ent.go_live and rooms < 1:
        out.append(FieldViolation(f"{path}.max_concurrent_rooms", "must be at least 1 when go_live", "INCONSISTENT"))
    elif not ent.go_live and rooms != 0:
        out.append(FieldViolation(f"{path}.max_concurrent_rooms", "must be 0 without go_live", "INCONSISTENT"))
    categories = ent.product_categories
    if any(not isinstance(c, str) or not c.strip() for c in categories):
        out.append(FieldViolation(f"{path}.product_categories", "categories must not be empty", "REQUIRED"))
    elif "ALL" in categories and len(categories) > 1:
        out.append(FieldViolation(f"{path}.product_categories", '"ALL" stands alone', "INCONSISTENT"))
    elif ent.go_live and not categories:
        out.append(FieldViolation(f"{path}.product_categories", "a band that may go live needs categories", "REQUIRED"))
    return out


def _gt(a: object, b: object) -> bool:
    return isinstance(a, int | float) and isinstance(b, int | float) and a > b


def _days(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


# --- parsing helpers (raise InvalidArgument naming the field) --------------------------------------------


def _get(data: object, key: str, path: str, *, required: bool = True) -> Any:
    if not isinstance(data, Mapping):
        raise _invalid(path.rsplit(".", 1)[0] if "." in path else path, "must be an object")
    if key not in data:
        if required:
            raise _invalid(path, "is required", "REQUIRED")
        return None
    return data[key]


def _number(value: object, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _invalid(path, "must be a finite number", "NOT_A_NUMBER")
    return value


def _string(value: object, path: str) -> str:
    if not isinstance(value, str):
        raise _invalid(path, "must be a string")
    return value


def _boolean(value: object, path: str) -> bool:
    if not isinstance(value, bool):
        raise _invalid(path, "must be true or false")
    return value


def _timestamp(value: object, path: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(_string(value, path))
    except ValueError:
        raise _invalid(path, "must be an ISO 8601 timestamp") from None
    return _utc(parsed, path)


def _enum_map(value: object, enum_type: type[_E], path: str) -> dict[_E, float]:
    if not isinstance(value, Mapping):
        raise _invalid(path, "must be an object")
    out: dict[_E, float] = {}
    for name, number in value.items():
        if name not in enum_type.__members__:
            raise _invalid(f"{path}.{name}", f"is not one of {', '.join(enum_type.__members__)}", "UNKNOWN_KEY")
        out[enum_type[name]] = _number(number, f"{path}.{name}")
    return out


# --- events to contributions ----------------------------------------------------------------------------


def contributions(
    event: Event,
    *,
    card: Scorecard,
    reporter_weight_so_far: float = 0.0,
    referenced: Event | None = None,
    referenced_was_upheld: bool = False,
    referenced_weight: float | None = None,
) -> tuple[Contribution, ...]:
    """The effect of one event, given what the service knows; deterministic, so it can be stored and undone.

    - Review: non-decaying sums (count, weight, weight*stars).
    - Complaint: its weight, capped so that ``reporter_weight_so_far`` + weight <= ``card.reporter_cap``
      (``reporter_weight_so_far`` is the sum of :func:`complaint_weight` over the reporter's earlier
      complaints against this account). A complaint beyond the cap contributes nothing.
    - PlatformOutcome on ``referenced`` (the complaint, None when unknown): UPHELD adds its severity
      points and upgrades an unverified complaint to the verified weight; DISMISSED removes the complaint's
      weight. Both act on the complaint at its own ``occurred_at``. ``referenced_weight`` is what the
      complaint counted (:func:`complaint_weight` of its contributions; 0 once a standing outcome already
      removed it; None = uncapped). ``referenced_was_upheld``: an earlier UPHELD stands, so the complaint
      already counts as verified and is left alone (to reverse that, overturn the UPHELD event).
    - RegulatorNotice: one notice of its severity.
    """
    body = event.body
    at = event.occurred_at
    if isinstance(body, Review):
        weight = card.verified_review_weight if body.verified_buyer else card.unverified_review_weight
        return (
            Contribution(_REVIEWS_COUNT, 1.0, at, None),
            Contribution(_REVIEWS_WEIGHT, weight, at, None),
            Contribution(_REVIEWS_STARS, weight * body.stars, at, None),
        )
    if isinstance(body, Complaint):
        raw = card.complaint_weight(body.verified)
        counted = min(raw, max(0.0, card.reporter_cap - reporter_weight_so_far))
        if counted <= 0:
            return ()
        return (Contribution(_complaint_key(body.verified), counted, at, card.complaint_half_life_days),)
    if isinstance(body, PlatformOutcome):
        return _outcome_contributions(event, body, card, referenced, referenced_was_upheld, referenced_weight)
    if isinstance(body, RegulatorNotice):
        severity = body.severity
        return (Contribution(_REGULATOR_PREFIX + severity.name, 1.0, at, card.half_life_days[severity]),)
    raise TypeError(f"unknown event body {type(body).__name__}")


def _complaint_key(verified: bool) -> str:
    return _COMPLAINTS_VERIFIED if verified else _COMPLAINTS_UNVERIFIED


def _outcome_contributions(
    event: Event,
    body: PlatformOutcome,
    card: Scorecard,
    referenced: Event | None,
    referenced_was_upheld: bool,
    referenced_weight: float | None,
) -> tuple[Contribution, ...]:
    out: list[Contribution] = []
    if referenced is not None and not referenced_was_upheld:
        complaint = referenced.body
        if not isinstance(complaint, Complaint) or referenced.event_id != body.complaint_event_id:
            raise _invalid("referenced", f"must be the complaint event {body.complaint_event_id!r}", "WRONG_REFERENCE")
        raw = card.complaint_weight(complaint.verified)
        counted = raw if referenced_weight is None else min(raw, max(0.0, referenced_weight))
        half_life = card.complaint_half_life_days
        when = referenced.occurred_at
        if body.outcome is Outcome.UPHELD and not complaint.verified and counted > 0:
            # The reporter cap carries over: a complaint that counted half of its weight upgrades by half.
            fraction = counted / raw
            out.append(Contribution(_COMPLAINTS_UNVERIFIED, -counted, when, half_life))
            out.append(Contribution(_COMPLAINTS_VERIFIED, fraction * card.verified_complaint_weight, when, half_life))
        elif body.outcome is Outcome.DISMISSED and counted > 0:
            # Art. 20: only complaints verified as true count.
            out.append(Contribution(_complaint_key(complaint.verified), -counted, when, half_life))
    if body.outcome is Outcome.UPHELD:
        severity = body.severity
        out.append(
            Contribution(_PLATFORM_PREFIX + severity.name, 1.0, event.occurred_at, card.half_life_days[severity])
        )
    return tuple(out)


def complaint_weight(contribs: Iterable[Contribution]) -> float:
    """What a complaint's own contributions count against its reporter's cap (and as ``referenced_weight``)."""
    return sum(c.amount for c in contribs if c.key in (_COMPLAINTS_VERIFIED, _COMPLAINTS_UNVERIFIED))


@dataclass(frozen=True, slots=True)
class Replay:
    """An account rebuilt from its history: what the service stores after re-scoring."""

    aggregates: Aggregates
    reporter_weights: Mapping[str, float]
    """Reporter id -> the weight their complaints count so far (the cap's bookkeeping)."""
    contributions: Mapping[str, tuple[Contribution, ...]]
    """Event id -> what it added (subtracted again if it is overturned)."""
    standing: Mapping[str, Outcome]
    """Complaint event id -> its first standing outcome."""


def replay_detailed(events: Iterable[Event], *, card: Scorecard) -> Replay:
    """Rebuild an account's aggregates from its events in recorded order (e.g. for a new scorecard version).

    This is the bookkeeping the service does per event: per-reporter weights, the weight each complaint
    counted, and the first standing outcome per complaint (later outcomes add only their severity points).
    """
    reporter_weights: dict[str, float] = {}
    complaints: dict[str, tuple[Event, float]] = {}
    standing: dict[str, Outcome] = {}
    made_by_event: dict[str, tuple[Contribution, ...]] = {}
    batch: list[Contribution] = []
    for event in events:
        body = event.body
        if isinstance(body, Complaint):
            so_far = reporter_weights.get(body.reporter_id, 0.0)
            made = contributions(event, card=card, reporter_weight_so_far=so_far)
            counted = complaint_weight(made)
            reporter_weights[body.reporter_id] = so_far + counted
            complaints[event.event_id] = (event, counted)
        elif isinstance(body, PlatformOutcome) and body.complaint_event_id in complaints:
            complaint_event, counted = complaints[body.complaint_event_id]
            previous = standing.get(body.complaint_event_id)
            made = contributions(
                event,
                card=card,
                referenced=complaint_event,
                referenced_was_upheld=previous is Outcome.UPHELD,
                referenced_weight=0.0 if previous is Outcome.DISMISSED else counted,
            )
            standing.setdefault(body.complaint_event_id, body.outcome)
        else:
            made = contributions(event, card=card)
        made_by_event[event.event_id] = made
        batch.extend(made)
    return Replay(Aggregates().apply(batch), reporter_weights, made_by_event, standing)


def replay(events: Iterable[Event], *, card: Scorecard) -> Aggregates:
    """The aggregates of :func:`replay_detailed`."""
    return replay_detailed(events, card=card).aggregates


# --- scoring --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reason:
    """Why the score moved: a stable code, its points (negative costs, positive adds) and advice."""

    code: str
    points: int
    hint: str


@dataclass(frozen=True, slots=True)
class ScoreResult:
    """A score with everything needed to explain it, act on it and reproduce it."""

    score: int
    band: str
    label: str
    #: Sorted by |points| descending; each rounded, so they explain the score but may not sum to it exactly.
    reasons: tuple[Reason, ...]
    entitlements: Entitlements
    model_version: str
    inputs_hash: str


_CANONICAL_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
_json_string = json.encoder.encode_basestring_ascii  # what _CANONICAL_JSON writes a string as


def hash_inputs(aggregates: Aggregates, card: Scorecard, *, as_of: datetime) -> str:
    """SHA-256 hex of the canonical JSON of (model version, aggregates, as_of): what a stored score came from.

    The canonical JSON is ``[version, aggregates.to_dict(), as_of ISO]`` encoded by :data:`_CANONICAL_JSON`
    (sorted keys, no spaces, ASCII only); it is put together from the parts' encodings, the same text."""
    version = card.version
    head = _json_string(version) if version.__class__ is str else _CANONICAL_JSON.encode(version)
    canonical = f"[{head},{aggregates.to_json()},{_json_string(_utc(as_of, 'as_of').isoformat())}]"
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def _canonical_sums(aggregates: Aggregates) -> str | None:
    """``aggregates.to_dict()`` as :data:`_CANONICAL_JSON` encodes it, written directly; None when a sum is
    not a finite float or a key not a string (left to the encoder: its own number format, or its error).
    The sums are sorted by key already (:class:`Aggregates`), and "ref" sorts before "value"."""
    items = []
    for key, entry in aggregates.sums.items():
        value = entry.value
        if value.__class__ is not float or key.__class__ is not str or not math.isfinite(value):
            return None
        items.append(f'{_json_string(key)}:{{"ref":{_json_string(entry.ref_iso())},"value":{float.__repr__(value)}}}')
    return '{"sums":{' + ",".join(items) + "}}"


@dataclass(frozen=True, slots=True)
class ScoreSummary:
    """What an account's row keeps of a :class:`ScoreResult`: the same numbers, without the explanation."""

    score: int
    band: str
    label: str
    model_version: str
    inputs_hash: str


def score(aggregates: Aggregates, card: Scorecard, *, as_of: datetime) -> ScoreResult:
    """The account's credit at ``as_of``; O(number of keys), whatever the number of events behind them."""
    as_of = _utc(as_of, "as_of")
    parts = _points(aggregates, card, as_of)
    final = _total(parts, card)
    band = card.band_for(final)
    reasons = [Reason(code, round(value), card.hint_for(code)) for code, value in parts.items() if round(value) != 0]
    reasons.sort(key=lambda r: (-abs(r.points), r.code))
    return ScoreResult(
        score=final,
        band=band,
        label=card.band_labels.get(band, ""),
        reasons=tuple(reasons),
        entitlements=card.entitlements[band],
        model_version=card.version,
        inputs_hash=hash_inputs(aggregates, card, as_of=as_of),
    )


def score_summary(aggregates: Aggregates, card: Scorecard, *, as_of: datetime) -> ScoreSummary:
    """:func:`score` without reasons and entitlements (what storing a score needs; the same numbers)."""
    as_of = _utc(as_of, "as_of")
    final = _total(_points(aggregates, card, as_of), card)
    band = card.band_for(final)
    return ScoreSummary(
        final, band, card.band_labels.get(band, ""), card.version, hash_inputs(aggregates, card, as_of=as_of)
    )


def _points(aggregates: Aggregates, card: Scorecard, as_of: datetime) -> dict[str, float]:
    """Each reason code's points at ``as_of`` (in UTC), in the order :func:`_total` adds them up."""
    sums = aggregates.sums
    plan = card.score_plan()

    def read(key: str, half_life: float | None) -> float:
        # Negative sums can only be float noise from overturns; a negative complaint must never add points.
        entry = sums.get(key)
        return 0.0 if entry is None else max(0.0, entry.at(as_of, half_life))

    parts: dict[str, float] = {}

    # Reviews: a smoothed average, so three 5-star reviews do not make a new account excellent.
    review_weight = read(_REVIEWS_WEIGHT, plan.reviews_half_life)
    average = (read(_REVIEWS_STARS, plan.reviews_half_life) + plan.prior_stars) / (
        review_weight + card.review_prior_weight
    )
    share = min(1.0, max(0.0, (average - STARS_MIN) / (STARS_MAX - STARS_MIN)))
    parts["REVIEWS_POSITIVE"] = min(plan.reviews_cap, card.max_review_points * share)

    # Complaints: a smoothed rate of the account's volume, so two complaints do not sink a small account.
    volume = review_weight + card.complaint_rate_prior
    if _COMPLAINTS_VERIFIED in sums or _COMPLAINTS_UNVERIFIED in sums or volume == 0:
        verified = read(_COMPLAINTS_VERIFIED, plan.complaints_half_life)
        unverified = read(_COMPLAINTS_UNVERIFIED, plan.complaints_half_life)
        rate = (verified + unverified) / volume
        complaints = min(plan.complaints_cap, card.complaint_rate_points * rate)
        parts.update(_share_out(-complaints, {"COMPLAINTS_VERIFIED": verified, "COMPLAINTS_UNVERIFIED": unverified}))
    else:  # what the above gives without either sum (nothing to share out)
        parts["COMPLAINTS_VERIFIED"] = parts["COMPLAINTS_UNVERIFIED"] = 0.0

    for (cap, rows), (codes, keys) in zip(plan.severity_rows, plan.severity_codes_and_keys, strict=True):
        if plan.finite_points and sums.keys().isdisjoint(keys):
            parts.update(dict.fromkeys(codes, 0.0))  # what the below gives without any of these sums
            continue
        raw = {code: read(key, half_life) * points for code, key, points, half_life in rows}
        parts.update(_share_out(-min(cap, sum(raw.values())), raw))
    return parts


def _total(parts: Mapping[str, float], card: Scorecard) -> int:
    """The score the points add up to, on top of the base score and within the scale."""
    total = float(card.base_score)
    for value in parts.values():
        total += value
    if not math.isfinite(total):
        for value in parts.values():
            round(value)  # a part :func:`score` cannot explain fails here too, as it does there
    return round(min(float(SCORE_MAX), max(float(SCORE_MIN), total)))


def _share_out(total: float, weights: Mapping[str, float]) -> dict[str, float]:
    """Split an indicator's (capped) points over its reason codes in proportion to their raw weight."""
    whole = sum(weights.values())
    if whole <= 0:
        return dict.fromkeys(weights, 0.0)
    return {code: total * weight / whole for code, weight in weights.items()}
