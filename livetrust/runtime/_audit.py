"""Storage of the hash-chained audit log (``livetrust.audit``), one table per service database."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, MetaData, String, Table, select
from sqlalchemy.orm import Session

from livetrust.audit import GENESIS_HASH, AuditRecord, ChainVerdict, record_hash, verify_chain

from ._db import UtcDateTime, serialize_writes

__all__ = ["append_audit", "audit_table", "verify_audit"]


def audit_table(metadata: MetaData) -> Table:
    return Table(
        "audit_log",
        metadata,
        Column("seq", BigInteger, primary_key=True, autoincrement=False),
        Column("at", UtcDateTime, nullable=False),
        Column("actor", String(200), nullable=False),
        Column("action", String(64), nullable=False),
        Column("subject", String(200), nullable=False),
        Column("payload", JSON, nullable=False),
        Column("prev_hash", String(64), nullable=False),
        Column("hash", String(64), nullable=False, unique=True),
    )


def append_audit(
    session: Session,
    table: Table,
    *,
    at: datetime,
    actor: str,
    action: str,
    subject: str,
    payload: Mapping[str, Any] | None = None,
) -> AuditRecord:
    """Append one record in the caller's transaction (appends are serialized: the chain is linear)."""
    serialize_writes(session, f"audit:{table.name}")
    last = session.execute(select(table.c.seq, table.c.hash).order_by(table.c.seq.desc()).limit(1)).first()
    seq, prev_hash = (last.seq + 1, last.hash) if last else (1, GENESIS_HASH)
    body = dict(payload or {})
    digest = record_hash(seq=seq, at=at, actor=actor, action=action, subject=subject, payload=body, prev_hash=prev_hash)
    session.execute(
        table.insert().values(
            seq=seq, at=at, actor=actor, action=action, subject=subject, payload=body, prev_hash=prev_hash, hash=digest
        )
    )
    return AuditRecord(seq, at, actor, action, subject, body, prev_hash, digest)


def _records(session: Session, table: Table, batch: int = 5000) -> Iterator[AuditRecord]:
    after = 0
    while True:
        rows = session.execute(select(table).where(table.c.seq > after).order_by(table.c.seq).limit(batch)).all()
        for row in rows:
            yield AuditRecord(row.seq, row.at, row.actor, row.action, row.subject, row.payload, row.prev_hash, row.hash)
        if len(rows) < batch:
            return
        after = rows[-1].seq


def verify_audit(session: Session, table: Table) -> ChainVerdict:
    return verify_chain(_records(session, table))
