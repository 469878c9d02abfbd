"""Storage of the retention service: policies (versioned, audited), room tiers, artifacts with their
stored retain_until, holds and their coverage, and tombstones of what was purged."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    cast,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from livetrust.runtime import UtcDateTime, audit_table, make_metadata

__all__ = [
    "AUDIT",
    "ArtifactRow",
    "Base",
    "HoldCoverageRow",
    "HoldRow",
    "PolicyRow",
    "RoomRow",
    "TombstoneRow",
    "metadata",
    "plus_days",
]

metadata = make_metadata()
AUDIT = audit_table(metadata)


class Base(DeclarativeBase):
    metadata = metadata


class PolicyRow(Base):
    __tablename__ = "policies"

    platform_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    content_class: Mapped[str] = mapped_column(String(32), primary_key=True)
    base_days: Mapped[int] = mapped_column(Integer)
    key_room_extension_days: Mapped[int] = mapped_column(Integer)
    mode: Mapped[str] = mapped_column(String(16))
    locked: Mapped[bool] = mapped_column(Boolean)
    version: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_by: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)


class RoomRow(Base):
    __tablename__ = "rooms"

    platform_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    room_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    key_room: Mapped[bool] = mapped_column(Boolean)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    """When the tier changed at its source: an older message arriving late does not win."""


class ArtifactRow(Base):
    __tablename__ = "artifacts"
    __table_args__ = (
        # Purge planning walks this index in retain_until order, page by page; with content_class and
        # size_bytes in it, the plan's pages and totals never read the table.
        Index(
            "ix_artifacts_purge",
            "platform_id",
            "state",
            "active_holds",
            "retain_until",
            "id",
            "content_class",
            "size_bytes",
        ),
        Index("ix_artifacts_room", "platform_id", "room_id"),
        Index("ix_artifacts_session", "platform_id", "session_id"),
        Index("ix_artifacts_account", "platform_id", "account_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    platform_id: Mapped[str] = mapped_column(String(128))
    room_id: Mapped[str] = mapped_column(String(128))
    session_id: Mapped[str] = mapped_column(String(128))
    account_id: Mapped[str] = mapped_column(String(128))
    content_class: Mapped[str] = mapped_column(String(32))
    storage_uri: Mapped[str] = mapped_column(String(1024), unique=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    ended_at: Mapped[datetime] = mapped_column(UtcDateTime)
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The policy as it was at registration: later policy changes apply to new artifacts (as S3's
    # default retention does), and a COMPLIANCE artifact's promise never shrinks.
    policy_version: Mapped[int] = mapped_column(BigInteger)
    policy_mode: Mapped[str] = mapped_column(String(16))
    base_days: Mapped[int] = mapped_column(Integer)
    extension_days: Mapped[int] = mapped_column(Integer)
    key_room: Mapped[bool] = mapped_column(Boolean)
    retain_until: Mapped[datetime] = mapped_column(UtcDateTime)
    promised_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    active_holds: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))


class HoldRow(Base):
    __tablename__ = "holds"
    __table_args__ = (
        UniqueConstraint("platform_id", "request_id"),
        Index("ix_holds_case", "platform_id", "case_ref"),
        Index("ix_holds_active_scope", "platform_id", "scope_type", "scope_value", "released_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    platform_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(8))
    case_ref: Mapped[str] = mapped_column(String(200))
    """The legal case id, or the event (dispute) reference of an event hold."""
    reason: Mapped[str] = mapped_column(Text)
    scope_type: Mapped[str] = mapped_column(String(16))
    scope_value: Mapped[str] = mapped_column(String(128))
    """room/session/account id; empty for an explicit artifact list (see coverage)."""
    request_id: Mapped[str | None] = mapped_column(String(128))
    placed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    release_reason: Mapped[str] = mapped_column(Text, default="")


class HoldCoverageRow(Base):
    """Which artifacts a hold covers (artifacts registered later in its scope are added then)."""

    __tablename__ = "hold_coverage"
    __table_args__ = (Index("ix_hold_coverage_artifact", "artifact_id"),)

    hold_id: Mapped[str] = mapped_column(ForeignKey("holds.id"), primary_key=True)
    artifact_id: Mapped[str] = mapped_column(ForeignKey("artifacts.id"), primary_key=True)


class TombstoneRow(Base):
    __tablename__ = "tombstones"
    __table_args__ = (Index("ix_tombstones_platform", "platform_id", "purged_at"),)

    artifact_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    platform_id: Mapped[str] = mapped_column(String(128))
    content_class: Mapped[str] = mapped_column(String(32))
    purged_at: Mapped[datetime] = mapped_column(UtcDateTime)
    policy: Mapped[str] = mapped_column(String(64))
    policy_version: Mapped[int] = mapped_column(BigInteger)
    storage_uri_sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)


def plus_days(column: Any, days: Any, dialect: str) -> ColumnElement[Any]:
    """``column + days`` in SQL, for set-based updates of retain_until (each row its own days)."""
    if dialect == "postgresql":
        return column + func.make_interval(0, 0, 0, days)
    # SQLite keeps datetimes as text 'YYYY-MM-DD HH:MM:SS.ffffff': shift the seconds part, keep the fraction.
    modifier = cast(days, Text).concat(" days")  # '365 days' or '-365 days'

    # Shift only the whole seconds: SQLite computes in milliseconds and would round .9995 up a second.
    whole_seconds = func.substr(column, 1, 19)
    return func.strftime("%Y-%m-%d %H:%M:%S", whole_seconds, modifier).concat(func.substr(column, 20))
