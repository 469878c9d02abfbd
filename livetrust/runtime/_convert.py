"""Conversions between protobuf well-known types and Python values, shared by every servicer."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from google.protobuf import timestamp_pb2
from google.protobuf.message import Message

from livetrust.common.v1 import common_pb2
from livetrust.errors import FieldViolation, InvalidArgument

__all__ = [
    "enum_from_proto",
    "enum_to_proto",
    "from_date",
    "from_timestamp",
    "set_timestamp",
    "to_date",
    "to_timestamp",
]

E = TypeVar("E", bound=enum.Enum)


def to_timestamp(value: datetime) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(value.astimezone(UTC))
    return ts


def set_timestamp(message: Message, field: str, value: datetime | None) -> None:
    """Sets a Timestamp field, leaving it absent for None (absence means "not set", not 1970)."""
    if value is not None:
        getattr(message, field).CopyFrom(to_timestamp(value))


def from_timestamp(message: Message, field: str) -> datetime | None:
    """The field's instant (None when absent); INVALID_ARGUMENT for a Timestamp outside its own range
    (years 1-9999, nanos 0-999,999,999), which ``ToDatetime`` refuses with a ValueError."""
    if not message.HasField(field):
        return None
    try:
        return getattr(message, field).ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError):
        raise InvalidArgument(
            [FieldViolation(field, "not a valid timestamp: years 1 to 9999, nanos 0 to 999999999", "TIMESTAMP_RANGE")]
        ) from None


def to_date(value: date) -> common_pb2.Date:
    return common_pb2.Date(year=value.year, month=value.month, day=value.day)


def from_date(value: common_pb2.Date) -> date | None:
    try:
        return date(value.year, value.month, value.day)
    except ValueError:
        return None


def enum_from_proto(value: int, enum_type: Any, domain: type[E]) -> E | None:
    """The domain enum for a proto enum number: ``ID_TYPE_USCC`` -> ``IdType.USCC``.

    None for ``*_UNSPECIFIED`` and for numbers this build does not know (newer clients), so the
    caller reports a field violation instead of crashing.
    """
    try:
        name = enum_type.Name(value)
    except ValueError:
        return None
    prefix = _prefix(enum_type)
    try:
        return domain[name.removeprefix(prefix)]
    except KeyError:
        return None


def enum_to_proto(value: enum.Enum | None, enum_type: Any, overrides: Mapping[enum.Enum, str] | None = None) -> int:
    if value is None:
        return 0
    name = (overrides or {}).get(value, value.name)
    return int(enum_type.Value(_prefix(enum_type) + name))


def _prefix(enum_type: Any) -> str:
    # buf's STANDARD lint prefixes values with the enum's name: IdType -> ID_TYPE_
    unspecified = enum_type.Name(0)
    return unspecified.removesuffix("UNSPECIFIED")
