"""Small request checks every service shares; each appends to a list so all violations are reported."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime, timedelta

from livetrust.errors import FieldViolation, InvalidArgument

__all__ = [
    "check_identifier",
    "check_not_future",
    "check_text",
    "decode_cursor",
    "decode_page_token",
    "encode_cursor",
    "encode_page_token",
    "page_size",
]

MAX_IDENTIFIER = 128
MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100


def check_identifier(violations: list[FieldViolation], field: str, value: str, *, required: bool = True) -> None:
    """Ids (platform, account, session, ...): printable, no spaces, at most 128 characters."""
    if not value:
        if required:
            violations.append(FieldViolation(field, "must not be empty", "REQUIRED"))
        return
    if len(value) > MAX_IDENTIFIER:
        violations.append(FieldViolation(field, f"at most {MAX_IDENTIFIER} characters", "TOO_LONG"))
    elif not value.isprintable() or any(c.isspace() for c in value):
        violations.append(FieldViolation(field, "printable characters without spaces only", "CHARSET"))


def check_text(
    violations: list[FieldViolation], field: str, value: str, *, max_length: int, required: bool = True
) -> None:
    if not value.strip():
        if required:
            violations.append(FieldViolation(field, "must not be empty", "REQUIRED"))
        return
    if len(value) > max_length:
        violations.append(FieldViolation(field, f"at most {max_length} characters", "TOO_LONG"))
    elif not value.isprintable():
        violations.append(FieldViolation(field, "must not contain control characters", "CHARSET"))


def check_not_future(
    violations: list[FieldViolation],
    field: str,
    value: datetime | None,
    *,
    now: datetime,
    tolerance: timedelta = timedelta(minutes=5),
) -> None:
    """Clocks drift; a few minutes ahead is tolerated, more is a client bug."""
    if value is not None and value > now + tolerance:
        violations.append(FieldViolation(field, "must not be in the future", "IN_FUTURE"))


def page_size(violations: list[FieldViolation], field: str, requested: int) -> int:
    if requested < 0:
        violations.append(FieldViolation(field, "must not be negative", "OUT_OF_RANGE"))
        return DEFAULT_PAGE_SIZE
    return min(requested or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


_MAX_OFFSET = 2**62


def encode_page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode()


def decode_page_token(token: str, *, field: str = "page_token") -> int:
    """The offset a token carries; INVALID_ARGUMENT for a token this service did not issue."""
    if not token:
        return 0
    try:
        offset = json.loads(base64.urlsafe_b64decode(token.encode()))["o"]
        # Within what a database's OFFSET takes (a signed 64-bit integer on PostgreSQL); bool is an int too.
        if isinstance(offset, int) and not isinstance(offset, bool) and 0 <= offset <= _MAX_OFFSET:
            return offset
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeError):
        pass
    raise InvalidArgument([FieldViolation(field, "not a page token from this service", "PAGE_TOKEN")])


def encode_cursor(sort_value: datetime, row_id: str) -> str:
    """A keyset page token: the (sort value, id) of the last row served; the next page starts after it."""
    return base64.urlsafe_b64encode(json.dumps([sort_value.isoformat(), row_id]).encode()).decode()


def decode_cursor(token: str, *, field: str = "page_token") -> tuple[datetime, str] | None:
    """The position a keyset token carries (None for the first page); INVALID_ARGUMENT for a foreign token."""
    if not token:
        return None
    try:
        when, row_id = json.loads(base64.urlsafe_b64decode(token.encode()))
        position = datetime.fromisoformat(when)
        if position.tzinfo is None:  # this service only writes aware instants: a forged token
            raise ValueError("naive instant")
        return position, str(row_id)
    except (binascii.Error, ValueError, TypeError, UnicodeError):
        raise InvalidArgument([FieldViolation(field, "not a page token from this service", "PAGE_TOKEN")]) from None
