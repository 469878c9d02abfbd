"""Who may operate a room or sell on camera, and until when: pure rules, no I/O.

REGULATION.md: identity verified and re-verified at least every 6 months (the interval is platform
configuration); under 16 never; 16-17 only with a guardian's consent, which ends by itself at 18.
"""

from __future__ import annotations

import calendar
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from ._age import AgeBand, age_band, birthday_date, local_date, next_band_change
from ._idnumbers import IdType

__all__ = [
    "ConsentFacts",
    "ConsentStatus",
    "Eligibility",
    "EligibilityDecision",
    "VerificationFacts",
    "VerificationStatus",
    "add_months",
    "consent_expiry",
    "consent_status_at",
    "decide_eligibility",
]


class VerificationStatus(enum.Enum):
    PENDING = "PENDING"
    VERIFIED = "VERIFIED"
    REJECTED = "REJECTED"
    NEEDS_REVIEW = "NEEDS_REVIEW"


class Eligibility(enum.Enum):
    ELIGIBLE = "ELIGIBLE"
    NEEDS_GUARDIAN_CONSENT = "NEEDS_GUARDIAN_CONSENT"
    INELIGIBLE = "INELIGIBLE"


class ConsentStatus(enum.Enum):
    REQUESTED = "REQUESTED"
    GRANTED = "GRANTED"
    REVOKED = "REVOKED"
    EXPIRED = "EXPIRED"


@dataclass(frozen=True, slots=True)
class VerificationFacts:
    status: VerificationStatus
    id_type: IdType
    birth_date: date | None
    reverify_by: datetime | None


@dataclass(frozen=True, slots=True)
class ConsentFacts:
    status: ConsentStatus
    """As stored; EXPIRED is derived from ``expires_at`` by :func:`consent_status_at`."""
    expires_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class EligibilityDecision:
    eligibility: Eligibility
    reasons: tuple[str, ...]
    changes_at: datetime | None
    """The next instant the decision changes by itself (a birthday, the re-verification deadline)."""
    age_band: AgeBand | None
    """None for organisations (USCC) and for accounts without a verification."""


def add_months(instant: datetime, months: int, tz: ZoneInfo | None = None) -> datetime:
    """The same wall-clock instant ``months`` later on the calendar of ``tz`` (default: the instant's own
    zone), clamped to the month's last day (Aug 31 + 6 -> Feb 28/29); returned in the instant's zone.

    The calendar matters: 31 Mar 05:00 in Beijing is 30 Mar in UTC, and six months on UTC's calendar would
    land a day after Beijing's 30 Sep."""
    local = instant if tz is None else instant.astimezone(tz)
    month_index = local.month - 1 + months
    year, month = local.year + month_index // 12, month_index % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    shifted = local.replace(year=year, month=month, day=day)
    return shifted if tz is None else shifted.astimezone(instant.tzinfo)


def consent_expiry(birth_date: date, tz: ZoneInfo) -> datetime:
    """A guardian's consent ends at local midnight of the minor's 18th birthday."""
    return datetime.combine(birthday_date(birth_date, 18), time(0), tzinfo=tz)


def consent_status_at(consent: ConsentFacts, as_of: datetime) -> ConsentStatus:
    if consent.status in (ConsentStatus.REQUESTED, ConsentStatus.GRANTED) and as_of >= consent.expires_at:
        return ConsentStatus.EXPIRED
    return consent.status


def _earliest(*instants: datetime | None) -> datetime | None:
    present = [i for i in instants if i is not None]
    return min(present) if present else None


_STATUS_REASON = {
    VerificationStatus.PENDING: "VERIFICATION_PENDING",
    VerificationStatus.REJECTED: "VERIFICATION_REJECTED",
    VerificationStatus.NEEDS_REVIEW: "NEEDS_REVIEW",
}


def decide_eligibility(
    verification: VerificationFacts | None,
    consents: Sequence[ConsentFacts],
    *,
    as_of: datetime,
    tz: ZoneInfo,
) -> EligibilityDecision:
    """The eligibility of an account at ``as_of`` from its latest verification and its consents."""
    if verification is None:
        return EligibilityDecision(Eligibility.INELIGIBLE, ("NOT_VERIFIED",), None, None)
    band = None
    if verification.id_type is IdType.RESIDENT_ID and verification.birth_date is not None:
        band = age_band(verification.birth_date, local_date(as_of, tz))
    if verification.status is not VerificationStatus.VERIFIED:
        return EligibilityDecision(
            Eligibility.INELIGIBLE, ("NOT_VERIFIED", _STATUS_REASON[verification.status]), None, band
        )
    reverify_by = verification.reverify_by
    if reverify_by is not None and as_of >= reverify_by:
        return EligibilityDecision(Eligibility.INELIGIBLE, ("VERIFICATION_EXPIRED",), None, band)
    if band is None:  # an organisation: no age rules
        return EligibilityDecision(Eligibility.ELIGIBLE, ("ORGANISATION",), reverify_by, None)
    assert verification.birth_date is not None
    band_change = next_band_change(verification.birth_date, local_date(as_of, tz), tz)
    if band is AgeBand.UNDER_16:
        # Until 16 nothing but the birthday changes the answer; re-verification is moot meanwhile.
        return EligibilityDecision(Eligibility.INELIGIBLE, ("UNDER_16",), band_change, band)
    if band is AgeBand.ADULT:
        return EligibilityDecision(Eligibility.ELIGIBLE, ("ADULT",), reverify_by, band)
    statuses = sorted(
        ((consent_status_at(c, as_of), c) for c in consents), key=lambda pair: pair[1].updated_at, reverse=True
    )
    granted = [c for status, c in statuses if status is ConsentStatus.GRANTED]
    if granted:
        return EligibilityDecision(
            Eligibility.ELIGIBLE,
            ("CONSENT_GRANTED",),
            _earliest(reverify_by, band_change, *(c.expires_at for c in granted)),
            band,
        )
    latest = statuses[0][0] if statuses else None
    reason = (
        {
            ConsentStatus.REVOKED: "CONSENT_REVOKED",
            ConsentStatus.EXPIRED: "CONSENT_EXPIRED",
            ConsentStatus.REQUESTED: "CONSENT_PENDING",
        }.get(latest, "CONSENT_MISSING")
        if latest
        else "CONSENT_MISSING"
    )
    return EligibilityDecision(Eligibility.NEEDS_GUARDIAN_CONSENT, (reason,), _earliest(reverify_by, band_change), band)
