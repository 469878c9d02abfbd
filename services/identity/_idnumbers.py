"""Validation of identity numbers: resident IDs (GB 11643-1999) and USCCs (GB 32100-2015).

Pure functions, no I/O. A valid result only means the number is well formed; whether the person
or organisation exists is for an authoritative verification provider to say (REGULATION.md,
"Identity number algorithms").

Privacy: no ``Violation.description`` and no exception message raised here ever contains the
number, or any part of it, so both are safe to log and to return to callers.
"""

from __future__ import annotations

import datetime
import enum
from dataclasses import dataclass

__all__ = [
    "MAX_ID_NUMBER_LENGTH",
    "IdNumberCheck",
    "IdType",
    "Sex",
    "Violation",
    "id_number_too_long",
    "mask_id_number",
    "resident_id_check_character",
    "uscc_check_character",
    "validate_id_number",
]


class IdType(enum.Enum):
    """Kinds of identity number the platform accepts."""

    RESIDENT_ID = "RESIDENT_ID"
    USCC = "USCC"


class Sex(enum.Enum):
    """Sex as encoded in the resident ID sequence code."""

    MALE = "MALE"
    FEMALE = "FEMALE"


@dataclass(frozen=True, slots=True)
class Violation:
    """One reason a number is not acceptable.

    ``field`` is "id_number" or "id_type"; ``reason`` is a stable UPPER_SNAKE code;
    ``description`` is plain English and never contains the number.
    """

    field: str
    reason: str
    description: str


@dataclass(frozen=True, slots=True)
class IdNumberCheck:
    """Outcome of ``validate_id_number``.

    ``normalized``, ``birth_date`` and ``sex`` are set only when ``valid`` is true, so nothing
    derived from a malformed number can be used by mistake.
    """

    valid: bool
    normalized: str | None
    birth_date: datetime.date | None
    sex: Sex | None
    violations: tuple[Violation, ...]


# Explicit ASCII sets: str.isdigit() would also accept e.g. "²" or Arabic-Indic digits.
_DIGITS = frozenset("0123456789")

_RESIDENT_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RESIDENT_CHECK_CHARS = "10X98765432"
_RESIDENT_LENGTH = 18
_LEGACY_RESIDENT_LENGTH = 15

# Province-level prefixes of the address code. 83 is used by residence permits for Taiwan
# residents; 91 (historically "overseas") is rejected because it is not issued today.
_PROVINCE_CODES = frozenset(
    [
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
)

_EARLIEST_BIRTH_DATE = datetime.date(1900, 1, 1)

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUES = {char: value for value, char in enumerate(_USCC_ALPHABET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_LENGTH = 18

_ID_NUMBER = "id_number"

MAX_ID_NUMBER_LENGTH = 64
"""Longer input (after normalisation) cannot be a number of any supported type. It is refused before any
per-character scan, so that neither the work nor the description grows with the input."""

# Descriptions name at most this many positions: they travel in gRPC trailers, whose size is limited.
_MAX_LISTED_POSITIONS = 5


def resident_id_check_character(first17: str) -> str:
    """Return the GB 11643-1999 check character ("0"-"9" or "X") for 17 ASCII digits."""
    if len(first17) != 17 or not all(c in _DIGITS for c in first17):
        raise ValueError("a resident ID check character needs exactly 17 ASCII digits")
    total = sum(int(c) * w for c, w in zip(first17, _RESIDENT_WEIGHTS, strict=True))
    return _RESIDENT_CHECK_CHARS[total % 11]


def uscc_check_character(first17: str) -> str:
    """Return the GB 32100-2015 check character for 17 characters of the USCC alphabet."""
    if len(first17) != 17 or not all(c in _USCC_VALUES for c in first17):
        raise ValueError(
            "a USCC check character needs exactly 17 characters from "
            "0-9 and the uppercase letters A-Y except I, O, S, V"
        )
    total = sum(_USCC_VALUES[c] * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_ALPHABET[(31 - total % 31) % 31]


def mask_id_number(normalized: str) -> str:
    """Mask a number for display: first 3 and last 4 characters kept, the rest as "*".

    Total over any string: when fewer than 14 characters are given, revealing 7 would expose at
    least half of the value, so everything is masked instead.
    """
    if len(normalized) < 14:
        return "*" * len(normalized)
    return normalized[:3] + "*" * (len(normalized) - 7) + normalized[-4:]


def validate_id_number(id_type: IdType, raw: str, *, today: datetime.date) -> IdNumberCheck:
    """Validate ``raw`` as an identity number of ``id_type`` and list every violation found; input
    longer than :data:`MAX_ID_NUMBER_LENGTH` gets a single LENGTH violation and no further checks.

    Normalisation removes all whitespace (people type numbers in groups) and uppercases.
    ``today`` is the caller's local date; it bounds birth dates from above.
    """
    if isinstance(today, datetime.datetime):
        # A datetime here is almost always a UTC "now" whose date is wrong near midnight.
        raise TypeError("today must be a datetime.date, not a datetime; convert it to a local date first")
    if not isinstance(id_type, IdType):
        return _invalid(
            [
                Violation(
                    "id_type",
                    "UNSUPPORTED_TYPE",
                    "The identity number type is not supported.",
                )
            ]
        )
    number = _normalize(raw)
    if not number:
        return _invalid([Violation(_ID_NUMBER, "EMPTY", "The identity number is empty.")])
    if len(number) > MAX_ID_NUMBER_LENGTH:
        return _invalid(
            [
                Violation(
                    _ID_NUMBER,
                    "LENGTH",
                    "An identity number has 18 characters (15 digits in the legacy resident format); "
                    f"more than {MAX_ID_NUMBER_LENGTH} were given.",
                )
            ]
        )
    if id_type is IdType.RESIDENT_ID:
        return _validate_resident_id(number, today)
    return _validate_uscc(number)


def id_number_too_long(raw: str) -> bool:
    """Whether ``raw`` is longer than :data:`MAX_ID_NUMBER_LENGTH` once normalised."""
    return len(_normalize(raw)) > MAX_ID_NUMBER_LENGTH


def _normalize(raw: str) -> str:
    return "".join(raw.split()).upper()


def _invalid(violations: list[Violation]) -> IdNumberCheck:
    return IdNumberCheck(
        valid=False,
        normalized=None,
        birth_date=None,
        sex=None,
        violations=tuple(violations),
    )


def _positions(positions: list[int]) -> str:
    """Describe 1-based positions without ever quoting the characters found there."""
    label = "position" if len(positions) == 1 else "positions"
    listed = ", ".join(str(p) for p in positions[:_MAX_LISTED_POSITIONS])
    more = len(positions) - _MAX_LISTED_POSITIONS
    return f"{label} {listed} and {more} more" if more > 0 else f"{label} {listed}"


def _validate_resident_id(number: str, today: datetime.date) -> IdNumberCheck:
    violations: list[Violation] = []
    length = len(number)

    if length not in (_RESIDENT_LENGTH, _LEGACY_RESIDENT_LENGTH):
        violations.append(
            Violation(
                _ID_NUMBER,
                "LENGTH",
                f"A resident ID has 18 characters (or 15 digits in the legacy format); {length} were given.",
            )
        )

    # X is a check character, so it may only end the number; legacy numbers have no check character.
    bad = [
        i + 1
        for i, c in enumerate(number)
        if c not in _DIGITS and not (c == "X" and i == length - 1 and length != _LEGACY_RESIDENT_LENGTH)
    ]
    if bad:
        violations.append(
            Violation(
                _ID_NUMBER,
                "CHARSET",
                f"Characters not allowed at {_positions(bad)}; a resident ID is digits only, "
                "except that the last of 18 characters may be X.",
            )
        )

    # Checked whenever the prefix is readable, even if the length is wrong.
    if length >= 2 and all(c in _DIGITS for c in number[:2]) and int(number[:2]) not in _PROVINCE_CODES:
        violations.append(
            Violation(
                _ID_NUMBER,
                "ADDRESS_CODE",
                "The first two digits are not a province-level region code.",
            )
        )

    birth_date: datetime.date | None = None
    if length == _RESIDENT_LENGTH:
        birth_digits: str | None = number[6:14]
    elif length == _LEGACY_RESIDENT_LENGTH:
        birth_digits = "19" + number[6:12]
    else:
        # With a wrong length the field positions are unknown, so the date is not guessed at.
        birth_digits = None
    if birth_digits is not None and all(c in _DIGITS for c in birth_digits):
        birth_date = _check_birth_date(birth_digits, today, violations)

    normalized: str | None = None
    if length == _RESIDENT_LENGTH and not bad:
        normalized = number
        if number[17] != resident_id_check_character(number[:17]):
            violations.append(
                Violation(
                    _ID_NUMBER,
                    "CHECK_CHARACTER",
                    "The check character does not match the first 17 characters.",
                )
            )
    elif length == _LEGACY_RESIDENT_LENGTH and not bad:
        first17 = number[:6] + "19" + number[6:]
        normalized = first17 + resident_id_check_character(first17)

    if violations:
        return _invalid(violations)
    # Without a LENGTH or CHARSET violation both were computed above.
    assert normalized is not None and birth_date is not None
    sex = Sex.MALE if int(normalized[16]) % 2 == 1 else Sex.FEMALE
    return IdNumberCheck(valid=True, normalized=normalized, birth_date=birth_date, sex=sex, violations=())


def _check_birth_date(digits: str, today: datetime.date, violations: list[Violation]) -> datetime.date | None:
    """Parse YYYYMMDD, appending violations; return the date only if it is acceptable."""
    try:
        birth = datetime.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        violations.append(
            Violation(
                _ID_NUMBER,
                "BIRTH_DATE_INVALID",
                "The birth date is not a real calendar date.",
            )
        )
        return None
    if birth > today:
        violations.append(Violation(_ID_NUMBER, "BIRTH_DATE_IN_FUTURE", "The birth date is in the future."))
        return None
    if birth < _EARLIEST_BIRTH_DATE:
        violations.append(Violation(_ID_NUMBER, "BIRTH_DATE_TOO_OLD", "The birth date is before 1900-01-01."))
        return None
    return birth


def _validate_uscc(number: str) -> IdNumberCheck:
    violations: list[Violation] = []
    if len(number) != _USCC_LENGTH:
        violations.append(
            Violation(
                _ID_NUMBER,
                "LENGTH",
                f"A unified social credit code has 18 characters; {len(number)} were given.",
            )
        )
    bad = [i + 1 for i, c in enumerate(number) if c not in _USCC_VALUES]
    if bad:
        violations.append(
            Violation(
                _ID_NUMBER,
                "CHARSET",
                f"Characters not allowed at {_positions(bad)}; a unified social credit code uses "
                "digits and uppercase letters, never I, O, S, V or Z.",
            )
        )
    if len(number) == _USCC_LENGTH and not bad and number[17] != uscc_check_character(number[:17]):
        violations.append(
            Violation(
                _ID_NUMBER,
                "CHECK_CHARACTER",
                "The check character does not match the first 17 characters.",
            )
        )
    if violations:
        return _invalid(violations)
    return IdNumberCheck(valid=True, normalized=number, birth_date=None, sex=None, violations=())
