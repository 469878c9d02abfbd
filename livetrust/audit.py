"""An append-only, hash-chained audit log: each record's hash covers its content and the previous
record's hash, so altering or removing any record breaks every link after it. Pure: storage lives in
``livetrust.runtime`` (``audit_table``, ``append_audit``, ``verify_audit``)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

__all__ = ["GENESIS_HASH", "AuditRecord", "ChainVerdict", "record_hash", "verify_chain"]

#: The "previous hash" of the first record.
GENESIS_HASH = "0" * 64


@dataclass(frozen=True, slots=True)
class AuditRecord:
    seq: int
    at: datetime
    actor: str
    action: str
    subject: str
    payload: Mapping[str, Any] = field(default_factory=dict)
    prev_hash: str = GENESIS_HASH
    hash: str = ""


def record_hash(
    *, seq: int, at: datetime, actor: str, action: str, subject: str, payload: Mapping[str, Any], prev_hash: str
) -> str:
    """SHA-256 over a canonical JSON form (sorted keys, no spaces, UTC timestamps to the microsecond)."""
    canonical = json.dumps(
        {
            "seq": seq,
            "at": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "actor": actor,
            "action": action,
            "subject": subject,
            "payload": payload,
            "prev": prev_hash,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainVerdict:
    intact: bool
    checked: int
    first_broken_seq: int = 0
    problem: str = ""


def verify_chain(records: Iterable[AuditRecord]) -> ChainVerdict:
    """Walk the records in sequence order; report the first that does not link or does not hash."""
    expected_prev, expected_seq, checked = GENESIS_HASH, 1, 0
    for record in records:
        checked += 1
        if record.seq != expected_seq:
            return ChainVerdict(False, checked, expected_seq, f"record {expected_seq} is missing")
        if record.prev_hash != expected_prev:
            return ChainVerdict(False, checked, record.seq, "does not link to the record before it")
        recomputed = record_hash(
            seq=record.seq,
            at=record.at,
            actor=record.actor,
            action=record.action,
            subject=record.subject,
            payload=record.payload,
            prev_hash=record.prev_hash,
        )
        if recomputed != record.hash:
            return ChainVerdict(False, checked, record.seq, "content does not match its hash")
        expected_prev, expected_seq = record.hash, record.seq + 1
    return ChainVerdict(True, checked)
