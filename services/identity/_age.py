"""Ages, age bands and the instants at which a person's band changes.

REGULATION.md, "Minors": under 16 may not be a live marketer or room operator; 16-17 only with a
guardian's consent. These are legal thresholds, not platform choices, hence constants.

Birthday convention: a person reaches an age at the start of the anniversary of their birth
date. For a Feb 29 birth date the anniversary in a common year is Mar 1 (the day after Feb 28),
never Feb 28: this never treats anyone as older than they are, which is the safe side for age
gating. ``age_on`` and ``birthday_date`` share this rule so they always agree.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

__all__ = [
    "DEFAULT_TIMEZONE",
    "AgeBand",
    "age_band",
    "age_on",
    "birthday_date",
    "local_date",
    "next_band_change",
]

DEFAULT_TIMEZONE = "Asia/Shanghai"

_MIN_SUPERVISED_AGE = 16
_ADULT_AGE = 18


class AgeBand(enum.Enum):
    """Age bands that decide what a person may do on the platform."""

    UNDER_16 = "UNDER_16"
    AGE_16_17 = "AGE_16_17"
    ADULT = "ADULT"


def _require_date(value: date, name: str) -> None:
    # datetime subclasses date; accepting one would silently use its (often UTC) calendar date.
    if isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime.date, not a datetime; use local_date() first")


def birthday_date(birth_date: date, years: int) -> date:
    """Return the date on which a person born on ``birth_date`` turns ``years`` old.

    Feb 29 births turn ``years`` on Mar 1 when that year is not a leap year.
    """
    _require_date(birth_date, "birth_date")
    if years < 0:
        raise ValueError("years must not be negative")
    year = birth_date.year + years
    if (birth_date.month, birth_date.day) == (2, 29):
        try:
            return date(year, 2, 29)
        except ValueError:
            return date(year, 3, 1)
    return birth_date.replace(year=year)


def age_on(birth_date: date, on: date) -> int:
    """Return the completed years of age on the calendar date ``on``."""
    _require_date(birth_date, "birth_date")
    _require_date(on, "on")
    if on < birth_date:
        raise ValueError("on is before birth_date")
    years = on.year - birth_date.year
    if birthday_date(birth_date, years) > on:
        years -= 1
    return years


def local_date(instant: datetime, tz: ZoneInfo) -> date:
    """Return the calendar date of ``instant`` in ``tz``; ``instant`` must be timezone-aware."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("instant must be timezone-aware")
    return instant.astimezone(tz).date()


def age_band(birth_date: date, on: date) -> AgeBand:
    """Return the age band of a person on the calendar date ``on``.

    Total: a person not yet born on ``on`` is UNDER_16. Eligibility asks about any instant a caller
    names, and "not yet born" is as far from the thresholds as can be, the safe side for gating.
    """
    _require_date(birth_date, "birth_date")
    _require_date(on, "on")
    if on < birth_date:
        return AgeBand.UNDER_16
    age = age_on(birth_date, on)
    if age < _MIN_SUPERVISED_AGE:
        return AgeBand.UNDER_16
    if age < _ADULT_AGE:
        return AgeBand.AGE_16_17
    return AgeBand.ADULT


def next_band_change(birth_date: date, on: date, tz: ZoneInfo) -> datetime | None:
    """Return the aware UTC instant the person next changes band, or None for adults.

    That instant is local midnight in ``tz`` at the start of the 16th (if under 16) or 18th
    (if 16-17) birthday.
    """
    band = age_band(birth_date, on)
    if band is AgeBand.ADULT:
        return None
    years = _MIN_SUPERVISED_AGE if band is AgeBand.UNDER_16 else _ADULT_AGE
    # fold=0 resolves a midnight skipped by a DST jump with the pre-transition offset, which lands
    # exactly on the transition: the first instant whose local date is the birthday.
    local_midnight = datetime.combine(birthday_date(birth_date, years), time(0), tzinfo=tz)
    return local_midnight.astimezone(UTC)
