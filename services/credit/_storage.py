"""Storage of the credit service: events (with the contributions they added), per-account incremental
aggregates and scores, reporter weights, published models and re-scoring jobs, rooms and their tiers,
and the outbox that tells retention about key rooms."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from livetrust.runtime import UtcDateTime, audit_table, make_metadata, outbox_table

__all__ = [
    "AUDIT",
    "OUTBOX",
    "AccountRow",
    "Base",
    "EventRow",
    "MeasureRow",
    "ModelRow",
    "ReporterWeightRow",
    "RescoreJobRow",
    "RoomRow",
    "metadata",
]

metadata = make_metadata()
OUTBOX = outbox_table(metadata)


class Base(DeclarativeBase):
    metadata = metadata


class EventRow(Base):
    __tablename__ = "events"
    __table_args__ = (Index("ix_events_account", "platform_id", "account_id", "occurred_at"),)

    platform_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    contributions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    """What this event added to the account's aggregates (subtracted again on overturn)."""
    model_version: Mapped[str] = mapped_column(String(64))
    overturned_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    overturn_reason: Mapped[str] = mapped_column(Text, default="")


class AccountRow(Base):
    __tablename__ = "accounts"
    __table_args__ = (Index("ix_accounts_band", "platform_id", "band"),)

    platform_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    aggregates: Mapped[dict[str, Any]] = mapped_column(JSON)
    event_count: Mapped[int] = mapped_column(BigInteger)
    model_version: Mapped[str] = mapped_column(String(64))
    score: Mapped[int] = mapped_column(Integer)
    band: Mapped[str] = mapped_column(String(8))
    label: Mapped[str] = mapped_column(String(64))
    inputs_hash: Mapped[str] = mapped_column(String(64))
    computed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ReporterWeightRow(Base):
    """How much one reporter's complaints against one account weigh so far (capped by the model)."""

    __tablename__ = "reporter_weights"

    platform_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    reporter_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    weight: Mapped[float] = mapped_column(Float)


class ModelRow(Base):
    __tablename__ = "models"

    version: Mapped[str] = mapped_column(String(64), primary_key=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    published_at: Mapped[datetime] = mapped_column(UtcDateTime)
    active: Mapped[bool] = mapped_column(Boolean)


class RescoreJobRow(Base):
    __tablename__ = "rescore_jobs"

    job_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    model_version: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    processed: Mapped[int] = mapped_column(BigInteger)
    total: Mapped[int] = mapped_column(BigInteger)
    cursor_platform: Mapped[str] = mapped_column(String(128), default="")
    cursor_account: Mapped[str] = mapped_column(String(128), default="")
    """The last account re-scored: a restarted job resumes after it."""
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class RoomRow(Base):
    __tablename__ = "rooms"
    __table_args__ = (
        Index("ix_rooms_tier", "platform_id", "tier", "room_id"),
        Index("ix_rooms_account", "platform_id", "account_id"),
    )

    platform_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    room_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(128))
    followers: Mapped[int] = mapped_column(BigInteger)
    views: Mapped[int] = mapped_column(BigInteger)
    gmv: Mapped[float] = mapped_column(Float)
    product_categories: Mapped[list[str]] = mapped_column(JSON)
    window_days: Mapped[int] = mapped_column(Integer)
    tier: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[list[str]] = mapped_column(JSON)
    since: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


AUDIT = audit_table(metadata)


class MeasureRow(Base):
    """An enforcement measure. Never deleted: lifting and expiry only add to it (and to the audit chain)."""

    __tablename__ = "measures"
    __table_args__ = (
        Index("ix_measures_account", "platform_id", "account_id", "starts_at"),
        Index("ix_measures_period", "platform_id", "starts_at"),
        UniqueConstraint("platform_id", "request_id"),
    )

    measure_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    platform_id: Mapped[str] = mapped_column(String(128))
    account_id: Mapped[str] = mapped_column(String(128))
    room_id: Mapped[str] = mapped_column(String(128), default="")
    requested: Mapped[str] = mapped_column(String(32))
    measure: Mapped[str] = mapped_column(String(32))
    escalation: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text)
    rule_id: Mapped[str] = mapped_column(String(128))
    evidence_refs: Mapped[list[str]] = mapped_column(JSON)
    duration_days: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    subject_digest: Mapped[str] = mapped_column(String(64), default="")
    appeal_route: Mapped[str] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(String(128))
    lifted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    lift_reason: Mapped[str] = mapped_column(Text, default="")
    #: Lifted because an appeal was upheld: left out of the ladder's history.
    lifted_on_appeal: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
