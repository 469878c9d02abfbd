"""The pure eligibility rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from livetrust.identity._age import AgeBand
from livetrust.identity._eligibility import (
    ConsentFacts,
    ConsentStatus,
    Eligibility,
    VerificationFacts,
    VerificationStatus,
    add_months,
    consent_expiry,
    decide_eligibility,
)
from livetrust.identity._idnumbers import IdType

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)


def verified(birth: date | None, id_type: IdType = IdType.RESIDENT_ID, reverify_by: datetime | None = None):
    return VerificationFacts(VerificationStatus.VERIFIED, id_type, birth, reverify_by or NOW + timedelta(days=180))


def test_add_months_clamps_to_month_end() -> None:
    assert add_months(datetime(2026, 8, 31, tzinfo=UTC), 6) == datetime(2027, 2, 28, tzinfo=UTC)
    assert add_months(datetime(2027, 8, 31, tzinfo=UTC), 6) == datetime(2028, 2, 29, tzinfo=UTC)
    assert add_months(datetime(2026, 11, 15, tzinfo=UTC), 2) == datetime(2027, 1, 15, tzinfo=UTC)


def test_add_months_counts_on_the_local_calendar() -> None:
    # Verified 31 Mar 05:00 in Beijing (30 Mar 21:00 UTC): due 30 Sep 05:00 Beijing, not 1 Oct.
    verified_at = datetime(2025, 3, 30, 21, 0, tzinfo=UTC)
    assert add_months(verified_at, 6, TZ) == datetime(2025, 9, 30, 5, 0, tzinfo=TZ)
    assert add_months(verified_at, 6, TZ).tzinfo is UTC
    assert add_months(verified_at, 6) == datetime(2025, 9, 30, 21, 0, tzinfo=UTC)  # UTC's calendar: a day late


def test_no_verification_and_unfinished_ones() -> None:
    assert decide_eligibility(None, [], as_of=NOW, tz=TZ).reasons == ("NOT_VERIFIED",)
    pending = VerificationFacts(VerificationStatus.PENDING, IdType.RESIDENT_ID, date(1990, 1, 1), None)
    decision = decide_eligibility(pending, [], as_of=NOW, tz=TZ)
    assert decision.eligibility is Eligibility.INELIGIBLE and "VERIFICATION_PENDING" in decision.reasons


def test_organisation_has_no_age() -> None:
    decision = decide_eligibility(verified(None, IdType.USCC), [], as_of=NOW, tz=TZ)
    assert decision.eligibility is Eligibility.ELIGIBLE and decision.age_band is None


def test_consent_is_checked_at_the_time_asked() -> None:
    birth = date(2009, 9, 1)
    expires = consent_expiry(birth, TZ)
    granted = ConsentFacts(ConsentStatus.GRANTED, expires, NOW)
    facts = verified(birth, reverify_by=datetime(2028, 1, 1, tzinfo=UTC))
    ok = decide_eligibility(facts, [granted], as_of=NOW, tz=TZ)
    assert ok.eligibility is Eligibility.ELIGIBLE and ok.changes_at == expires
    # At 18 the consent has expired, but the person is an adult now.
    later = decide_eligibility(facts, [granted], as_of=expires, tz=TZ)
    assert later.eligibility is Eligibility.ELIGIBLE and later.reasons == ("ADULT",)


def test_latest_consent_decides_the_reason() -> None:
    birth = date(2009, 9, 1)
    expires = consent_expiry(birth, TZ)
    revoked = ConsentFacts(ConsentStatus.REVOKED, expires, NOW)
    requested = ConsentFacts(ConsentStatus.REQUESTED, expires, NOW + timedelta(minutes=1))
    decision = decide_eligibility(verified(birth), [revoked, requested], as_of=NOW + timedelta(minutes=2), tz=TZ)
    assert decision.eligibility is Eligibility.NEEDS_GUARDIAN_CONSENT and decision.reasons == ("CONSENT_PENDING",)


def test_as_of_before_birth_is_an_answer_not_an_error() -> None:
    birth = date(1990, 3, 7)
    decision = decide_eligibility(verified(birth), [], as_of=datetime(1980, 1, 1, tzinfo=UTC), tz=TZ)
    assert decision.eligibility is Eligibility.INELIGIBLE and decision.reasons == ("UNDER_16",)
    assert decision.age_band is AgeBand.UNDER_16
    assert decision.changes_at == datetime(2006, 3, 7, tzinfo=TZ)  # the 16th birthday, local midnight
