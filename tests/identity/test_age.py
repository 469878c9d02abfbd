"""Tests for ages, age bands and band-change instants (REGULATION.md, "Minors")."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from livetrust.identity._age import (
    DEFAULT_TIMEZONE,
    AgeBand,
    age_band,
    age_on,
    birthday_date,
    local_date,
    next_band_change,
)

SHANGHAI = ZoneInfo(DEFAULT_TIMEZONE)
BORN = date(2010, 5, 20)
LEAPLING = date(2008, 2, 29)


def test_default_timezone() -> None:
    assert DEFAULT_TIMEZONE == "Asia/Shanghai"


# --- age_on and age_band around the 16th and 18th birthdays ---------------------------------


@pytest.mark.parametrize(
    ("on", "age", "band"),
    [
        (date(2010, 5, 20), 0, AgeBand.UNDER_16),
        (date(2026, 5, 19), 15, AgeBand.UNDER_16),
        (date(2026, 5, 20), 16, AgeBand.AGE_16_17),
        (date(2028, 5, 19), 17, AgeBand.AGE_16_17),
        (date(2028, 5, 20), 18, AgeBand.ADULT),
        (date(2060, 1, 1), 49, AgeBand.ADULT),
    ],
)
def test_age_and_band_around_birthdays(on: date, age: int, band: AgeBand) -> None:
    assert age_on(BORN, on) == age
    assert age_band(BORN, on) is band


def test_birth_on_new_years_eve() -> None:
    born = date(2009, 12, 31)
    assert age_on(born, date(2025, 12, 30)) == 15
    assert age_on(born, date(2025, 12, 31)) == 16
    assert age_on(born, date(2026, 1, 1)) == 16


# --- Feb 29 birthdays -----------------------------------------------------------------------


def test_feb_29_birthday_in_a_leap_year_is_feb_29() -> None:
    assert birthday_date(LEAPLING, 16) == date(2024, 2, 29)
    assert age_on(LEAPLING, date(2024, 2, 28)) == 15
    assert age_on(LEAPLING, date(2024, 2, 29)) == 16
    assert age_band(LEAPLING, date(2024, 2, 29)) is AgeBand.AGE_16_17


def test_feb_29_birthday_in_a_common_year_is_mar_1() -> None:
    assert birthday_date(LEAPLING, 18) == date(2026, 3, 1)
    assert age_on(LEAPLING, date(2026, 2, 28)) == 17
    assert age_on(LEAPLING, date(2026, 3, 1)) == 18
    assert age_band(LEAPLING, date(2026, 2, 28)) is AgeBand.AGE_16_17
    assert age_band(LEAPLING, date(2026, 3, 1)) is AgeBand.ADULT


def test_feb_29_birthday_in_1900_which_is_not_a_leap_year() -> None:
    assert birthday_date(date(1896, 2, 29), 4) == date(1900, 3, 1)


def test_birthday_date_zero_years_and_negative() -> None:
    assert birthday_date(BORN, 0) == BORN
    with pytest.raises(ValueError):
        birthday_date(BORN, -1)


@given(
    st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)),
    st.integers(min_value=0, max_value=120),
)
def test_age_on_agrees_with_birthday_date(born: date, years: int) -> None:
    turning = birthday_date(born, years)
    assert age_on(born, turning) == years
    if years > 0:
        assert age_on(born, turning - timedelta(days=1)) == years - 1


def test_age_on_before_birth_is_an_error() -> None:
    with pytest.raises(ValueError):
        age_on(BORN, BORN - timedelta(days=1))


def test_datetimes_are_refused_where_dates_are_expected() -> None:
    instant = datetime(2026, 5, 19, 16, 0, tzinfo=UTC)
    with pytest.raises(TypeError):
        age_on(BORN, instant)
    with pytest.raises(TypeError):
        age_band(datetime(2010, 5, 20, tzinfo=UTC), date(2026, 5, 20))
    with pytest.raises(TypeError):
        birthday_date(datetime(2010, 5, 20), 16)


# --- local_date -----------------------------------------------------------------------------


def test_local_date_at_shanghai_midnight() -> None:
    assert local_date(datetime(2026, 3, 1, 15, 59, 59, tzinfo=UTC), SHANGHAI) == date(2026, 3, 1)
    assert local_date(datetime(2026, 3, 1, 16, 0, 0, tzinfo=UTC), SHANGHAI) == date(2026, 3, 2)


def test_local_date_accepts_any_aware_instant() -> None:
    new_york_evening = datetime(2026, 3, 1, 11, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert local_date(new_york_evening, SHANGHAI) == date(2026, 3, 2)


def test_local_date_rejects_naive_datetimes() -> None:
    with pytest.raises(ValueError):
        local_date(datetime(2026, 3, 1, 16, 0), SHANGHAI)


def test_band_flips_exactly_at_shanghai_midnight() -> None:
    before = local_date(datetime(2026, 5, 19, 15, 59, 59, tzinfo=UTC), SHANGHAI)
    at = local_date(datetime(2026, 5, 19, 16, 0, 0, tzinfo=UTC), SHANGHAI)
    assert age_band(BORN, before) is AgeBand.UNDER_16
    assert age_band(BORN, at) is AgeBand.AGE_16_17


# --- next_band_change -----------------------------------------------------------------------


def test_next_change_for_under_16_is_16th_birthday_midnight() -> None:
    change = next_band_change(BORN, date(2026, 1, 1), SHANGHAI)
    assert change == datetime(2026, 5, 19, 16, 0, tzinfo=UTC)
    assert change is not None and change.tzinfo is UTC


def test_next_change_on_the_day_before_16th_birthday() -> None:
    assert next_band_change(BORN, date(2026, 5, 19), SHANGHAI) == datetime(2026, 5, 19, 16, 0, tzinfo=UTC)


def test_next_change_for_16_17_is_18th_birthday_midnight() -> None:
    expected = datetime(2028, 5, 19, 16, 0, tzinfo=UTC)
    assert next_band_change(BORN, date(2026, 5, 20), SHANGHAI) == expected
    assert next_band_change(BORN, date(2028, 5, 19), SHANGHAI) == expected


def test_next_change_for_adults_is_none() -> None:
    assert next_band_change(BORN, date(2028, 5, 20), SHANGHAI) is None
    assert next_band_change(date(1980, 1, 1), date(2026, 3, 1), SHANGHAI) is None


def test_next_change_for_feb_29_birthday_in_common_year() -> None:
    assert next_band_change(LEAPLING, date(2025, 6, 1), SHANGHAI) == datetime(2026, 2, 28, 16, 0, tzinfo=UTC)


def test_next_change_in_another_zone() -> None:
    utc_zone = ZoneInfo("UTC")
    assert next_band_change(BORN, date(2026, 1, 1), utc_zone) == datetime(2026, 5, 20, tzinfo=UTC)


def test_next_change_when_local_midnight_is_skipped_by_dst() -> None:
    # Chile moves clocks from 00:00 to 01:00 on 2024-09-08: that day begins at 04:00 UTC.
    santiago = ZoneInfo("America/Santiago")
    born = date(2008, 9, 8)
    change = next_band_change(born, date(2024, 1, 1), santiago)
    assert change == datetime(2024, 9, 8, 4, 0, tzinfo=UTC)
    assert local_date(change, santiago) == date(2024, 9, 8)
    assert local_date(change - timedelta(microseconds=1), santiago) == date(2024, 9, 7)


@given(
    st.dates(min_value=date(1990, 1, 1), max_value=date(2030, 12, 31)),
    st.integers(min_value=0, max_value=17 * 366),
)
def test_next_change_is_the_first_instant_of_the_new_band(born: date, days_after: int) -> None:
    on = born + timedelta(days=days_after)
    change = next_band_change(born, on, SHANGHAI)
    if age_band(born, on) is AgeBand.ADULT:
        assert change is None
        return
    assert change is not None
    assert change.utcoffset() == timedelta(0)
    assert age_band(born, local_date(change, SHANGHAI)) is not age_band(born, on)
    just_before = local_date(change - timedelta(microseconds=1), SHANGHAI)
    assert age_band(born, just_before) is age_band(born, on)


# --- before birth ---------------------------------------------------------------------------


def test_not_yet_born_is_under_16_until_the_16th_birthday() -> None:
    # Eligibility may be asked about any instant; a date before birth must answer, not raise.
    before_birth = BORN - timedelta(days=365 * 20)
    assert age_band(BORN, before_birth) is AgeBand.UNDER_16
    assert age_band(BORN, BORN - timedelta(days=1)) is AgeBand.UNDER_16
    turns_16 = datetime(2026, 5, 19, 16, 0, tzinfo=UTC)  # 2026-05-20 00:00 in Shanghai
    assert next_band_change(BORN, before_birth, SHANGHAI) == turns_16
