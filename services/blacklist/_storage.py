"""Storage of the blacklist: entries, their subject digests, the change log followed by indexes and
platforms, and the hash-chained audit log. Digests only: no identity number ever reaches here."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any

import numpy as np
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    and_,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from livetrust.runtime import UtcDateTime, audit_table, make_metadata, serialize_writes

from ._index import digest_key

__all__ = [
    "AUDIT",
    "Base",
    "ChangeRow",
    "EntryRow",
    "SubjectRow",
    "append_change",
    "changes_since",
    "count_listed",
    "latest_version",
    "listed_digest_chunks",
    "listed_digests",
    "listed_in_key_range",
    "listed_keys",
    "listed_matches",
    "metadata",
    "new_id",
    "open_entry_for",
    "subject_rows",
]

metadata = make_metadata()
AUDIT = audit_table(metadata)


def new_id() -> str:
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    metadata = metadata


class EntryRow(Base):
    __tablename__ = "entries"
    __table_args__ = (
        UniqueConstraint("platform_id", "request_id"),
        Index("ix_entries_status_created", "status", "created_at"),
        # The expiry sweep: ACTIVE entries past listed_until, without a scan of every entry.
        Index("ix_entries_status_listed_until", "status", "listed_until"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    platform_id: Mapped[str] = mapped_column(String(128))
    request_id: Mapped[str | None] = mapped_column(String(128))
    category: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str] = mapped_column(Text)
    evidence_refs: Mapped[list[str]] = mapped_column(JSON)
    notes: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    permanent: Mapped[bool] = mapped_column(Boolean)
    requested_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    listed_from: Mapped[datetime | None] = mapped_column(UtcDateTime)
    listed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    appeal_deadline: Mapped[datetime | None] = mapped_column(UtcDateTime)
    version: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __mapper_args__ = {"version_id_col": version}  # every UPDATE checks and bumps it: concurrent writers lose


class SubjectRow(Base):
    __tablename__ = "entry_subjects"
    __table_args__ = (
        Index("ix_entry_subjects_digest_key", "digest_key"),
        Index("ix_entry_subjects_digest", "subject_digest"),
    )

    entry_id: Mapped[str] = mapped_column(ForeignKey("entries.id"), primary_key=True)
    subject_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    digest_key: Mapped[int] = mapped_column(BigInteger)
    platform_id: Mapped[str] = mapped_column(String(128))
    is_open: Mapped[bool] = mapped_column(Boolean)
    """Pending, active or appealed: blocks another entry for the subject from the same platform."""
    is_listed: Mapped[bool] = mapped_column(Boolean)
    """Approved and not lifted: active or under appeal (whether its period has passed is checked at read time)."""


# At most one open entry per subject and reporting platform, enforced by the database so that two
# concurrent submissions cannot both pass.
Index(
    "uq_entry_subjects_open",
    SubjectRow.platform_id,
    SubjectRow.subject_digest,
    unique=True,
    sqlite_where=SubjectRow.is_open == true(),
    postgresql_where=SubjectRow.is_open == true(),
)


class ChangeRow(Base):
    __tablename__ = "changes"

    version: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(16))
    entry_id: Mapped[str] = mapped_column(String(36))
    subject_digests: Mapped[list[str]] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(UtcDateTime)


def append_change(session: Session, *, kind: str, entry_id: str, digests: Sequence[str], at: datetime) -> int:
    """Append to the change log. Versions are assigned under a lock, so a follower that has seen
    version N has seen every version below N too (no gaps appear later)."""
    serialize_writes(session, "blacklist:changes")
    version = (session.scalar(select(func.max(ChangeRow.version))) or 0) + 1
    session.add(ChangeRow(version=version, kind=kind, entry_id=entry_id, subject_digests=list(digests), at=at))
    return version


def latest_version(session: Session) -> int:
    return session.scalar(select(func.max(ChangeRow.version))) or 0


def changes_since(session: Session, since: int, limit: int) -> Sequence[ChangeRow]:
    query = select(ChangeRow).where(ChangeRow.version > since).order_by(ChangeRow.version).limit(limit)
    return session.scalars(query).all()


def open_entry_for(session: Session, *, platform_id: str, digests: Sequence[str]) -> str | None:
    query = select(SubjectRow.entry_id).where(
        SubjectRow.platform_id == platform_id, SubjectRow.subject_digest.in_(digests), SubjectRow.is_open == true()
    )
    return session.scalars(query.limit(1)).first()


def _listed_now(now: datetime) -> Any:
    return and_(
        SubjectRow.is_listed == true(),
        EntryRow.status.in_(("ACTIVE", "APPEALED")),
        or_(EntryRow.listed_until.is_(None), EntryRow.listed_until > now),
    )


def listed_matches(session: Session, *, digests: Sequence[str], now: datetime) -> Sequence[Any]:
    """(digest, entry id, category, listed_until) of every current listing of these digests."""
    query = (
        select(SubjectRow.subject_digest, EntryRow.id, EntryRow.category, EntryRow.listed_until)
        .join(EntryRow, EntryRow.id == SubjectRow.entry_id)
        .where(SubjectRow.subject_digest.in_(digests), _listed_now(now))
    )
    return session.execute(query).all()


def listed_in_key_range(session: Session, *, low: int, high: int, now: datetime) -> Sequence[Any]:
    query = (
        select(SubjectRow.subject_digest, EntryRow.id, EntryRow.category, EntryRow.listed_until)
        .join(EntryRow, EntryRow.id == SubjectRow.entry_id)
        .where(SubjectRow.digest_key.between(low, high), _listed_now(now))
        .order_by(SubjectRow.subject_digest)
    )
    return session.execute(query).all()


def listed_keys(session: Session, *, chunk: int = 262_144) -> np.ndarray:
    """Keys of every listed subject, for the in-memory index (expired-by-time ones included: the
    index is a superset, and lookups confirm against the period).

    Read below the ORM, straight into int64 arrays: at 10 million keys the ORM's row objects (or one
    numpy conversion of a list of row tuples) would cost seconds and gigabytes. PostgreSQL packs the
    keys into a few binary values that numpy reads without a Python object per row; SQLite has no such
    path, so its driver's rows are converted chunk by chunk."""
    statement = select(SubjectRow.digest_key).where(SubjectRow.is_listed == true())
    connection = session.connection()
    sql = str(statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    raw = connection.connection.driver_connection
    assert raw is not None
    if connection.dialect.name == "postgresql":
        return _packed_keys(raw)
    cursor = raw.cursor()
    parts: list[np.ndarray] = []
    first = itemgetter(0)
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(chunk):
            # fromiter over the first column: ~5x faster than np.array() of a list of 1-tuples.
            parts.append(np.fromiter(map(first, rows), dtype=np.int64, count=len(rows)))
    finally:
        cursor.close()
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)


# PostgreSQL packs the keys itself: each group's keys as one bytea of 8-byte big-endian values, read
# in binary and taken by numpy as they are. A COPY (or any per-row protocol) costs a Python step per row,
# which at 10 million rows is longer than the whole load should take. Groups by the top 6 bits keep
# every value far below PostgreSQL's 1 GB limit for a single field.
_PACKED_KEYS = (
    "SELECT string_agg(int8send(digest_key), ''::bytea) FROM entry_subjects WHERE is_listed GROUP BY digest_key >> 58"
)


def _packed_keys(raw: Any) -> np.ndarray:
    with raw.cursor(binary=True) as cursor:
        cursor.execute(_PACKED_KEYS)
        parts = [np.frombuffer(packed, dtype=">i8").astype(np.int64) for (packed,) in cursor.fetchall()]
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)


def listed_digests(session: Session, *, now: datetime) -> list[str]:
    query = select(SubjectRow.subject_digest).join(EntryRow, EntryRow.id == SubjectRow.entry_id).where(_listed_now(now))
    return list(session.scalars(query))


def count_listed(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(SubjectRow).where(SubjectRow.is_listed == true())) or 0


def listed_digest_chunks(session: Session, *, chunk: int = 100_000) -> Iterator[list[str]]:
    """Digests of every listed subject (expired-by-time ones included, until the expiry job unlists them),
    in chunks, read with the driver's cursor: for the filter, which must hold every listed digest and may
    hold more. No join and no ORM rows: at 10 million listings those cost minutes and gigabytes."""
    statement = select(SubjectRow.subject_digest).where(SubjectRow.is_listed == true())
    connection = session.connection()
    sql = str(statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    raw = connection.connection.driver_connection
    assert raw is not None
    cursor = raw.cursor(name="listed_digests") if connection.dialect.name == "postgresql" else raw.cursor()
    first = itemgetter(0)
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(chunk):
            yield list(map(first, rows))
    finally:
        cursor.close()


def subject_rows(entry_id: str, platform_id: str, digests: Sequence[str]) -> list[SubjectRow]:
    return [
        SubjectRow(
            entry_id=entry_id,
            subject_digest=d,
            digest_key=digest_key(d),
            platform_id=platform_id,
            is_open=True,
            is_listed=False,
        )
        for d in dict.fromkeys(digests)
    ]
