"""Tests for identity number validation (REGULATION.md, "Identity number algorithms")."""

from __future__ import annotations

import datetime
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from livetrust.identity._idnumbers import (
    MAX_ID_NUMBER_LENGTH,
    IdNumberCheck,
    IdType,
    Sex,
    Violation,
    mask_id_number,
    resident_id_check_character,
    uscc_check_character,
    validate_id_number,
)

TODAY = datetime.date(2026, 3, 1)
RESIDENT_OK = "11010519491231002X"
USCC_OK = "91110108551385082Q"
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALID_PROVINCES = [
    *range(11, 16),
    *range(21, 24),
    *range(31, 38),
    *range(41, 47),
    *range(50, 55),
    *range(61, 66),
    71,
    81,
    82,
    83,
]


def resident(prefix6: str, birth: str, seq: str) -> str:
    """Build a well-formed 18-character resident ID from its parts."""
    first17 = prefix6 + birth + seq
    return first17 + resident_id_check_character(first17)


def uscc(first17: str) -> str:
    return first17 + uscc_check_character(first17)


def check_resident(raw: str) -> IdNumberCheck:
    return validate_id_number(IdType.RESIDENT_ID, raw, today=TODAY)


def check_uscc(raw: str) -> IdNumberCheck:
    return validate_id_number(IdType.USCC, raw, today=TODAY)


def reasons(result: IdNumberCheck) -> set[str]:
    return {v.reason for v in result.violations}


def assert_invalid_and_clean(result: IdNumberCheck) -> None:
    """An invalid result exposes nothing derived from the number."""
    assert not result.valid
    assert result.violations
    assert (result.normalized, result.birth_date, result.sex) == (None, None, None)


# --- resident ID: valid numbers -------------------------------------------------------------


def test_known_valid_resident_id() -> None:
    result = check_resident(RESIDENT_OK)
    assert result == IdNumberCheck(
        valid=True,
        normalized=RESIDENT_OK,
        birth_date=datetime.date(1949, 12, 31),
        sex=Sex.FEMALE,
        violations=(),
    )


def test_check_character_function_matches_known_example() -> None:
    assert resident_id_check_character(RESIDENT_OK[:17]) == "X"


def test_lowercase_x_and_whitespace_are_normalised() -> None:
    result = check_resident("  110105 19491231 002x\t")
    assert result.valid
    assert result.normalized == RESIDENT_OK


def test_odd_sequence_digit_is_male() -> None:
    number = resident("310101", "20000101", "123")
    result = check_resident(number)
    assert result.valid
    assert result.sex is Sex.MALE
    assert result.birth_date == datetime.date(2000, 1, 1)


@pytest.mark.parametrize("province", VALID_PROVINCES)
def test_every_valid_province_prefix_is_accepted(province: int) -> None:
    assert check_resident(resident(f"{province}0101", "19900101", "001")).valid


def test_birth_date_today_and_1900_01_01_are_accepted() -> None:
    assert check_resident(resident("110105", TODAY.strftime("%Y%m%d"), "001")).valid
    assert check_resident(resident("110105", "19000101", "001")).valid


def test_leap_day_birth_date_is_accepted() -> None:
    result = check_resident(resident("110105", "20000229", "002"))
    assert result.valid
    assert result.birth_date == datetime.date(2000, 2, 29)


# --- resident ID: legacy 15-digit numbers ---------------------------------------------------


def test_legacy_15_digit_number_is_upgraded() -> None:
    legacy = "110105" + "491231" + "002"
    result = check_resident(legacy)
    assert result.valid
    assert result.normalized == RESIDENT_OK
    assert result.birth_date == datetime.date(1949, 12, 31)
    assert result.sex is Sex.FEMALE
    # The upgraded form validates on its own.
    assert check_resident(result.normalized).valid


def test_legacy_male_number_is_upgraded_and_self_consistent() -> None:
    legacy = "440301" + "850615" + "137"
    result = check_resident(legacy)
    assert result.valid
    assert result.normalized is not None
    assert result.normalized[:17] == "44030119850615137"
    assert result.sex is Sex.MALE
    assert check_resident(result.normalized).normalized == result.normalized


def test_legacy_number_with_invalid_date_or_letter() -> None:
    assert reasons(check_resident("110105" + "490230" + "002")) == {"BIRTH_DATE_INVALID"}
    # Legacy numbers have no check character, so an X is never allowed.
    assert reasons(check_resident("110105" + "491231" + "00X")) == {"CHARSET"}


# --- resident ID: corruptions ---------------------------------------------------------------


def test_every_single_character_corruption_is_caught() -> None:
    for position, original in enumerate(RESIDENT_OK):
        for replacement in "0123456789X":
            if replacement == original:
                continue
            corrupted = RESIDENT_OK[:position] + replacement + RESIDENT_OK[position + 1 :]
            result = check_resident(corrupted)
            assert not result.valid, f"substitution at position {position + 1} went unnoticed"


def test_every_adjacent_transposition_is_caught() -> None:
    for position in range(len(RESIDENT_OK) - 1):
        a, b = RESIDENT_OK[position], RESIDENT_OK[position + 1]
        if a == b:
            continue
        swapped = RESIDENT_OK[:position] + b + a + RESIDENT_OK[position + 2 :]
        assert not check_resident(swapped).valid


def test_wrong_check_character_only() -> None:
    result = check_resident(RESIDENT_OK[:17] + "0")
    assert_invalid_and_clean(result)
    assert result.violations == (
        Violation(
            "id_number",
            "CHECK_CHARACTER",
            "The check character does not match the first 17 characters.",
        ),
    )


def test_invalid_calendar_date() -> None:
    number = resident("110105", "20230230", "001")
    result = check_resident(number)
    assert_invalid_and_clean(result)
    assert reasons(result) == {"BIRTH_DATE_INVALID"}


@pytest.mark.parametrize("birth", ["19991301", "19990001", "19990100", "00000101", "20230431"])
def test_other_impossible_dates(birth: str) -> None:
    assert reasons(check_resident(resident("110105", birth, "001"))) == {"BIRTH_DATE_INVALID"}


def test_future_birth_date() -> None:
    tomorrow = TODAY + datetime.timedelta(days=1)
    result = check_resident(resident("110105", tomorrow.strftime("%Y%m%d"), "001"))
    assert_invalid_and_clean(result)
    assert reasons(result) == {"BIRTH_DATE_IN_FUTURE"}


def test_today_parameter_is_the_only_clock() -> None:
    number = resident("110105", "20300101", "001")
    assert not check_resident(number).valid
    later = validate_id_number(IdType.RESIDENT_ID, number, today=datetime.date(2030, 1, 1))
    assert later.valid


def test_birth_date_before_1900() -> None:
    result = check_resident(resident("110105", "18991231", "001"))
    assert_invalid_and_clean(result)
    assert reasons(result) == {"BIRTH_DATE_TOO_OLD"}


@pytest.mark.parametrize(
    "prefix",
    ["00", "10", "16", "20", "24", "30", "38", "47", "55", "66", "84", "91", "99"],
)
def test_bad_province_prefix(prefix: str) -> None:
    result = check_resident(resident(prefix + "0105", "19900101", "001"))
    assert_invalid_and_clean(result)
    assert reasons(result) == {"ADDRESS_CODE"}


@pytest.mark.parametrize("raw", ["1", "1101051949123100", "11010519491231002", "1101051949123100211"])
def test_wrong_length(raw: str) -> None:
    result = check_resident(raw)
    assert_invalid_and_clean(result)
    assert reasons(result) == {"LENGTH"}


def test_wrong_length_still_reports_bad_charset_and_province() -> None:
    result = check_resident("99A")
    assert reasons(result) == {"LENGTH", "CHARSET", "ADDRESS_CODE"}


@pytest.mark.parametrize(
    "raw",
    [
        "11010519491231002A",
        "1101051949123100X2",
        "X10105194912310021",
        "11010519491231002-",
        "１１0105194912310021",  # full-width digits
        "110105194912310²2X",  # str.isdigit() would accept this
    ],
)
def test_bad_charset(raw: str) -> None:
    result = check_resident(raw)
    assert_invalid_and_clean(result)
    assert "CHARSET" in reasons(result)
    assert "CHECK_CHARACTER" not in reasons(result)


def test_charset_description_lists_positions() -> None:
    (violation,) = check_resident("1101051949123100XA").violations
    assert violation.reason == "CHARSET"
    assert "positions 17, 18" in violation.description


def test_charset_description_lists_at_most_five_positions() -> None:
    result = check_resident("A" * 40)
    (charset,) = [v for v in result.violations if v.reason == "CHARSET"]
    assert "positions 1, 2, 3, 4, 5 and 35 more;" in charset.description
    uscc_result = check_uscc("O" * 18)
    assert [v.reason for v in uscc_result.violations] == ["CHARSET"]
    assert "positions 1, 2, 3, 4, 5 and 13 more;" in uscc_result.violations[0].description


@pytest.mark.parametrize("id_type", list(IdType))
@pytest.mark.parametrize("length", [MAX_ID_NUMBER_LENGTH + 1, 2_000, 100_000])
def test_overlong_input_is_one_short_length_violation(id_type: IdType, length: int) -> None:
    raw = ("A1 " * length)[: length + length // 2]  # whitespace does not count towards the length
    result = validate_id_number(id_type, raw, today=TODAY)
    assert_invalid_and_clean(result)
    assert [(v.field, v.reason) for v in result.violations] == [("id_number", "LENGTH")]
    description = result.violations[0].description
    assert len(description) < 200 and not re.search(r"[0-9A-Z]{6,}", description)


def test_the_length_bound_counts_after_normalisation() -> None:
    # 64 characters are still scanned (and described with capped positions); whitespace is free.
    at_bound = " ".join("A" * MAX_ID_NUMBER_LENGTH)
    assert reasons(check_resident(at_bound)) == {"LENGTH", "CHARSET"}


def test_empty_input() -> None:
    for raw in ["", "   ", "\t\n"]:
        result = check_resident(raw)
        assert_invalid_and_clean(result)
        assert [v.reason for v in result.violations] == ["EMPTY"]


def test_bad_check_character_and_future_birth_date_both_reported() -> None:
    first17 = "110105" + "20991231" + "001"
    wrong = "0" if resident_id_check_character(first17) != "0" else "1"
    result = check_resident(first17 + wrong)
    assert_invalid_and_clean(result)
    assert reasons(result) == {"CHECK_CHARACTER", "BIRTH_DATE_IN_FUTURE"}


def test_many_violations_at_once() -> None:
    first17 = "990105" + "20230230" + "001"
    wrong = "0" if resident_id_check_character(first17) != "0" else "1"
    result = check_resident(first17 + wrong)
    assert reasons(result) == {"ADDRESS_CODE", "BIRTH_DATE_INVALID", "CHECK_CHARACTER"}
    assert all(v.field == "id_number" for v in result.violations)


def test_charset_error_outside_date_still_checks_date() -> None:
    result = check_resident("11A105" + "20230230" + "0011")
    assert reasons(result) == {"CHARSET", "BIRTH_DATE_INVALID"}


def test_today_must_be_a_date_not_a_datetime() -> None:
    with pytest.raises(TypeError):
        validate_id_number(
            IdType.RESIDENT_ID,
            RESIDENT_OK,
            today=datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC),
        )


def test_unsupported_id_type() -> None:
    result = validate_id_number("PASSPORT", RESIDENT_OK, today=TODAY)  # type: ignore[arg-type]
    assert_invalid_and_clean(result)
    assert [(v.field, v.reason) for v in result.violations] == [("id_type", "UNSUPPORTED_TYPE")]


# --- descriptions never leak the number -----------------------------------------------------

LEAKY_INPUTS = [
    (IdType.RESIDENT_ID, "990105" + "20230230" + "0011"),
    (IdType.RESIDENT_ID, "11010519491231002A"),
    (IdType.RESIDENT_ID, "110105" + "20991231" + "0010"),
    (IdType.RESIDENT_ID, "110105" + "18991231" + "0010"),
    (IdType.RESIDENT_ID, "1101051949123100"),
    (IdType.RESIDENT_ID, "110105" + "490230" + "002"),
    (IdType.USCC, "91110108551385082Z"),
    (IdType.USCC, "911101085513850820"),
    (IdType.USCC, "9111010855138508"),
]


@pytest.mark.parametrize(("id_type", "raw"), LEAKY_INPUTS)
def test_descriptions_never_contain_the_number(id_type: IdType, raw: str) -> None:
    result = validate_id_number(id_type, raw, today=TODAY)
    assert result.violations
    for violation in result.violations:
        assert raw not in violation.description
        # Not even a fragment: no run of 6 or more digits/letters from the alphabet.
        assert not re.search(r"[0-9A-Z]{6,}", violation.description)


# --- USCC -----------------------------------------------------------------------------------


def test_known_valid_uscc() -> None:
    assert uscc_check_character(USCC_OK[:17]) == "Q"
    assert check_uscc(USCC_OK) == IdNumberCheck(
        valid=True, normalized=USCC_OK, birth_date=None, sex=None, violations=()
    )


def test_uscc_lowercase_and_whitespace_are_normalised() -> None:
    result = check_uscc(" 9111 0108 5513 8508 2q ")
    assert result.valid
    assert result.normalized == USCC_OK


def test_generated_usccs_validate() -> None:
    for first17 in [
        "91440300MA5EXAMPL",
        "12100000400000000",
        "Y1110000ABCDEFGHJ",
        "00000000000000000",
    ]:
        assert check_uscc(uscc(first17)).valid


def test_uscc_check_value_31_maps_to_zero() -> None:
    # sum == 0 gives c = 31, which the standard maps to "0".
    assert uscc_check_character("0" * 17) == "0"


def test_every_single_uscc_corruption_is_caught() -> None:
    for position, original in enumerate(USCC_OK):
        for replacement in USCC_ALPHABET:
            if replacement == original:
                continue
            corrupted = USCC_OK[:position] + replacement + USCC_OK[position + 1 :]
            assert not check_uscc(corrupted).valid, f"position {position + 1}"


@pytest.mark.parametrize("letter", "IOSVZ")
def test_uscc_forbidden_letters(letter: str) -> None:
    result = check_uscc(USCC_OK[:10] + letter + USCC_OK[11:])
    assert_invalid_and_clean(result)
    assert reasons(result) == {"CHARSET"}
    assert "position 11" in result.violations[0].description


def test_uscc_wrong_check_character() -> None:
    result = check_uscc(USCC_OK[:17] + "0")
    assert_invalid_and_clean(result)
    assert reasons(result) == {"CHECK_CHARACTER"}


def test_uscc_wrong_length_and_charset_together() -> None:
    result = check_uscc("91110108O")
    assert reasons(result) == {"LENGTH", "CHARSET"}


def test_uscc_empty() -> None:
    assert reasons(check_uscc(" ")) == {"EMPTY"}


def test_resident_id_is_not_a_uscc_and_vice_versa() -> None:
    assert not check_uscc(RESIDENT_OK).valid
    assert not check_resident(USCC_OK).valid


# --- check character helpers reject bad input without echoing it ----------------------------


@pytest.mark.parametrize("bad", ["", "1101051949123100", "110105194912310022", "1101051949123100A"])
def test_resident_check_character_rejects_bad_input(bad: str) -> None:
    with pytest.raises(ValueError) as excinfo:
        resident_id_check_character(bad)
    if bad:
        assert bad not in str(excinfo.value)


@pytest.mark.parametrize("bad", ["", "9111010855138508", "91110108551385O82", "91110108551385o82"])
def test_uscc_check_character_rejects_bad_input(bad: str) -> None:
    with pytest.raises(ValueError) as excinfo:
        uscc_check_character(bad)
    if bad:
        assert bad not in str(excinfo.value)


# --- masking --------------------------------------------------------------------------------


def test_mask_18_characters() -> None:
    assert mask_id_number(RESIDENT_OK) == "110***********002X"
    assert mask_id_number(USCC_OK) == "911***********082Q"


def test_mask_15_characters() -> None:
    assert mask_id_number("110105491231002") == "110********1002"


@pytest.mark.parametrize("length", range(14))
def test_mask_short_values_hides_everything(length: int) -> None:
    assert mask_id_number("7" * length) == "*" * length


@given(st.text(alphabet=USCC_ALPHABET, max_size=40))
def test_mask_is_total_and_keeps_length(value: str) -> None:
    masked = mask_id_number(value)
    assert len(masked) == len(value)
    assert sum(c != "*" for c in masked) <= 7


# --- property: construction with the check character always validates -----------------------


@st.composite
def resident_parts(draw: st.DrawFn) -> tuple[str, datetime.date, str]:
    province = draw(st.sampled_from(VALID_PROVINCES))
    rest_of_address = draw(st.text(alphabet="0123456789", min_size=4, max_size=4))
    birth = draw(st.dates(min_value=datetime.date(1900, 1, 1), max_value=TODAY))
    sequence = draw(st.text(alphabet="0123456789", min_size=3, max_size=3))
    return f"{province}{rest_of_address}", birth, sequence


@given(resident_parts(), st.sampled_from("0123456789X"))
def test_constructed_numbers_validate_and_other_check_chars_do_not(
    parts: tuple[str, datetime.date, str], other_check: str
) -> None:
    address, birth, sequence = parts
    first17 = address + birth.strftime("%Y%m%d") + sequence
    number = first17 + resident_id_check_character(first17)

    result = check_resident(number)
    assert result.valid
    assert result.normalized == number
    assert result.birth_date == birth
    assert result.sex is (Sex.MALE if int(sequence[-1]) % 2 else Sex.FEMALE)

    if other_check != number[17]:
        tampered = check_resident(first17 + other_check)
        assert not tampered.valid
        assert reasons(tampered) == {"CHECK_CHARACTER"}
