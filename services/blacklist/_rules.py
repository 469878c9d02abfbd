"""Blacklist rules, pure: the entry lifecycle, listing periods, the appeal window in working days,
who sees private fields, and the shape of digests. REGULATION.md, "Blacklist"."""

from __future__ import annotations

import enum
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from livetrust.errors import FailedPrecondition, FieldViolation, PreconditionViolation

__all__ = [
    "LISTED_STATUSES",
    "OPEN_STATUSES",
    "BlacklistPolicy",
    "Category",
    "EntryStatus",
    "add_working_days",
    "appeal_deadline",
    "check_digest",
    "check_digests",
    "check_prefix",
    "is_listed",
    "listing_end",
    "require_status",
]

_DIGEST = re.compile(r"[0-9a-f]{64}")
_PREFIX = re.compile(r"[0-9a-f]{8}")


class Category(enum.Enum):
    SERIOUS_VIOLATION = "SERIOUS_VIOLATION"
    CRIME_OR_PUBLIC_ORDER = "CRIME_OR_PUBLIC_ORDER"


class EntryStatus(enum.Enum):
    PENDING_REVIEW = "PENDING_REVIEW"
    ACTIVE = "ACTIVE"
    REJECTED = "REJECTED"
    APPEALED = "APPEALED"
    LIFTED = "LIFTED"
    EXPIRED = "EXPIRED"


#: An entry in these states blocks another entry for the same subject from the same platform.
OPEN_STATUSES = frozenset({EntryStatus.PENDING_REVIEW, EntryStatus.ACTIVE, EntryStatus.APPEALED})
#: An entry in these states lists its subjects (within its period). An appeal does not suspend the listing:
#: "during the period no member platform serves them"; only an upheld appeal lifts it.
LISTED_STATUSES = frozenset({EntryStatus.ACTIVE, EntryStatus.APPEALED})


@dataclass(frozen=True, slots=True)
class BlacklistPolicy:
    """The registry's policy (configuration, not code: REGULATION.md)."""

    default_listing_years: int = 5
    """``LIVETRUST_BLACKLIST_LISTING_YEARS``: listing period when the submitter names none (industry: 5)."""

    appeal_working_days: int = 20
    """``LIVETRUST_BLACKLIST_APPEAL_WORKING_DAYS``: the appeal window after listing."""

    holidays: frozenset[date] = field(default_factory=frozenset)
    """``LIVETRUST_BLACKLIST_HOLIDAYS``: public holidays (YYYY-MM-DD, comma-separated) not counted as working days."""

    extra_working_days: frozenset[date] = field(default_factory=frozenset)
    """``LIVETRUST_BLACKLIST_WORKING_WEEKENDS``: weekend days worked in lieu of holidays (调休)."""

    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    """``LIVETRUST_BLACKLIST_TIMEZONE``: where deadlines fall at local midnight."""

    appeal_route: str = "Appeal to the registry's review committee within the appeal window (FileAppeal)."
    """``LIVETRUST_BLACKLIST_APPEAL_ROUTE``: told to the listed person with the facts, basis and period."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> BlacklistPolicy:
        def dates(name: str) -> frozenset[date]:
            return frozenset(date.fromisoformat(d.strip()) for d in env.get(name, "").split(",") if d.strip())

        default = cls()
        return cls(
            default_listing_years=int(env.get("LIVETRUST_BLACKLIST_LISTING_YEARS", default.default_listing_years)),
            appeal_working_days=int(env.get("LIVETRUST_BLACKLIST_APPEAL_WORKING_DAYS", default.appeal_working_days)),
            holidays=dates("LIVETRUST_BLACKLIST_HOLIDAYS"),
            extra_working_days=dates("LIVETRUST_BLACKLIST_WORKING_WEEKENDS"),
            timezone=ZoneInfo(env.get("LIVETRUST_BLACKLIST_TIMEZONE", "Asia/Shanghai")),
            appeal_route=env.get("LIVETRUST_BLACKLIST_APPEAL_ROUTE", default.appeal_route),
        )


def _is_working_day(day: date, policy: BlacklistPolicy) -> bool:
    if day in policy.extra_working_days:
        return True
    return day.weekday() < 5 and day not in policy.holidays


def add_working_days(start: date, days: int, policy: BlacklistPolicy) -> date:
    """The date ``days`` working days after ``start`` (``start`` itself does not count)."""
    current, counted = start, 0
    while counted < days:
        current += timedelta(days=1)
        if _is_working_day(current, policy):
            counted += 1
    return current


def appeal_deadline(listed_from: datetime, policy: BlacklistPolicy) -> datetime:
    """End of the last working day of the window: local midnight after it."""
    local_day = listed_from.astimezone(policy.timezone).date()
    last_day = add_working_days(local_day, policy.appeal_working_days, policy)
    return datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=policy.timezone)


def listing_end(listed_from: datetime, policy: BlacklistPolicy) -> datetime:
    """The default end of a listing: the same instant ``default_listing_years`` later (Feb 29 -> Feb 28)."""
    try:
        return listed_from.replace(year=listed_from.year + policy.default_listing_years)
    except ValueError:
        return listed_from.replace(year=listed_from.year + policy.default_listing_years, day=28)


def is_listed(status: EntryStatus, listed_until: datetime | None, now: datetime) -> bool:
    """Listed means ACTIVE or APPEALED, and inside its period: past ``listed_until`` it stops matching at
    once, before any job marks it EXPIRED."""
    return status in LISTED_STATUSES and (listed_until is None or now < listed_until)


def require_status(entry_id: str, status: EntryStatus, allowed: Collection[EntryStatus], action: str) -> None:
    if status not in allowed:
        raise FailedPrecondition(
            f"cannot {action} an entry that is {status.value}",
            reason="ENTRY_STATE",
            violations=[PreconditionViolation("STATUS", entry_id, f"entry is {status.value}")],
        )


def check_digest(violations: list[FieldViolation], field_name: str, value: str) -> None:
    if not _DIGEST.fullmatch(value):
        violations.append(FieldViolation(field_name, "must be 64 lowercase hex characters", "DIGEST_FORMAT"))


def check_prefix(violations: list[FieldViolation], field_name: str, value: str) -> None:
    if not _PREFIX.fullmatch(value):
        violations.append(FieldViolation(field_name, "must be 8 lowercase hex characters", "PREFIX_FORMAT"))


def check_digests(
    violations: list[FieldViolation], field_name: str, values: Sequence[str], *, limit: int = 1000
) -> None:
    """1 to ``limit`` well-formed digests; each bad one is reported by index."""
    if not values:
        violations.append(FieldViolation(field_name, "at least one digest is required", "REQUIRED"))
    elif len(values) > limit:
        violations.append(FieldViolation(field_name, f"at most {limit} per call", "TOO_MANY"))
        return
    match = _DIGEST.fullmatch
    if all(isinstance(value, str) and match(value) for value in values):
        return  # the usual case: no per-digest field names to build
    for i, value in enumerate(values):
        check_digest(violations, f"{field_name}[{i}]", value)
