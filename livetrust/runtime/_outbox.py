"""The transactional outbox: a side effect on another service is written in the same transaction as
the change that causes it, then delivered by a relay that retries until the other service accepts it.
Nothing is lost (the row commits with the change) and nothing is doubled (each delivery carries the
row's id as its idempotency key, which the receiver deduplicates)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import grpc
from opentelemetry import metrics
from sqlalchemy import Column, Integer, LargeBinary, MetaData, String, Table, func, select, update
from sqlalchemy.orm import Session

from livetrust.clock import Clock

from ._db import Database, UtcDateTime

__all__ = ["Deliver", "OutboxRelay", "enqueue", "outbox_table", "pending_count"]

_log = logging.getLogger("livetrust.outbox")

#: Delivers one payload; raises grpc.aio.AioRpcError (or any exception) when it did not take.
Deliver = Callable[[bytes, str], Awaitable[None]]

# The receiver refused the request itself: retrying cannot help, a person must look (and alerts do).
# Retrying one of these would also hold back every later row for its destination (kept in order).
# ALREADY_EXISTS: the receiver holds a conflicting record (a resend of the same row is answered as a
# success, deduplicated by its id); FAILED_PRECONDITION: the receiver's state forbids it.
_PERMANENT = {
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.ALREADY_EXISTS,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.OUT_OF_RANGE,
    grpc.StatusCode.PERMISSION_DENIED,
    grpc.StatusCode.UNAUTHENTICATED,
    grpc.StatusCode.UNIMPLEMENTED,
}


def outbox_table(metadata: MetaData) -> Table:
    return Table(
        "outbox",
        metadata,
        Column("id", String(36), primary_key=True),
        Column("destination", String(128), nullable=False, index=True),
        Column("dedup_key", String(200), nullable=False, unique=True),
        Column("payload", LargeBinary, nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Column("next_attempt_at", UtcDateTime, nullable=False, index=True),
        Column("attempts", Integer, nullable=False, default=0),
        Column("delivered_at", UtcDateTime, nullable=True),
        Column("dead_at", UtcDateTime, nullable=True),
        Column("last_error", String(500), nullable=False, default=""),
    )


def enqueue(session: Session, table: Table, *, destination: str, dedup_key: str, payload: bytes, now: datetime) -> str:
    """Add a delivery in the caller's transaction; the same ``dedup_key`` is enqueued once."""
    existing = session.scalar(select(table.c.id).where(table.c.dedup_key == dedup_key))
    if existing is not None:
        return existing
    row_id = str(uuid.uuid4())
    session.execute(
        table.insert().values(
            id=row_id,
            destination=destination,
            dedup_key=dedup_key,
            payload=payload,
            created_at=now,
            next_attempt_at=now,
            attempts=0,
            last_error="",
        )
    )
    return row_id


def pending_count(session: Session, table: Table) -> int:
    query = select(func.count()).select_from(table).where(table.c.delivered_at.is_(None), table.c.dead_at.is_(None))
    return session.scalar(query) or 0


@dataclass(frozen=True, slots=True)
class _Due:
    id: str
    destination: str
    payload: bytes
    attempts: int


class OutboxRelay:
    """Delivers due rows in creation order, with exponential backoff per row while the receiver is down."""

    def __init__(
        self,
        *,
        db: Database,
        table: Table,
        deliverers: Mapping[str, Deliver],
        clock: Clock,
        interval_seconds: float = 0.5,
        max_backoff_seconds: float = 60.0,
        max_attempts: int = 10_000,
    ) -> None:
        self._db = db
        self._table = table
        self._deliverers = dict(deliverers)
        self._clock = clock
        self._interval = interval_seconds
        self._max_backoff = max_backoff_seconds
        self._max_attempts = max_attempts
        self._wake = asyncio.Event()
        meter = metrics.get_meter("livetrust")
        self._delivered = meter.create_counter("livetrust.outbox.delivered", description="Outbox rows delivered")
        self._failures = meter.create_counter("livetrust.outbox.failures", description="Failed delivery attempts")

    def wake(self) -> None:
        """Deliver now rather than at the next interval (after a commit that enqueued something)."""
        self._wake.set()

    def _due(self, session: Session, limit: int) -> list[_Due]:
        t = self._table
        rows = session.execute(
            select(t.c.id, t.c.destination, t.c.payload, t.c.attempts)
            .where(t.c.delivered_at.is_(None), t.c.dead_at.is_(None), t.c.next_attempt_at <= self._clock.now())
            .order_by(t.c.created_at, t.c.id)
            .limit(limit)
        ).all()
        return [_Due(r.id, r.destination, bytes(r.payload), r.attempts) for r in rows]

    def _mark(self, row_id: str, **values: object) -> Callable[[Session], None]:
        def mark(session: Session) -> None:
            session.execute(update(self._table).where(self._table.c.id == row_id).values(**values))

        return mark

    async def deliver_due(self, limit: int = 100) -> int:
        """One pass; returns how many rows were delivered.

        A destination that failed for a reason worth retrying is not tried again in the same pass: its
        later rows wait for the same retry time (keeping their order), and the other destinations' rows
        go on, so one service being down does not delay deliveries to the others.
        """
        delivered = 0
        retry_at: dict[str, datetime] = {}
        deferred: dict[str, list[str]] = {}
        for due in await self._db.run(lambda s: self._due(s, limit)):
            if due.destination in retry_at:
                deferred.setdefault(due.destination, []).append(due.id)
                continue
            deliver = self._deliverers.get(due.destination)
            now = self._clock.now()
            try:
                if deliver is None:
                    raise LookupError(f"no deliverer for {due.destination}")
                await deliver(due.payload, due.id)
            except Exception as exc:
                attempts = due.attempts + 1
                code = exc.code() if isinstance(exc, grpc.aio.AioRpcError) else None
                error = f"{code.name if code else type(exc).__name__}: {getattr(exc, 'details', lambda: '')() or ''}"
                self._failures.add(1, {"destination": due.destination})
                if code in _PERMANENT or attempts >= self._max_attempts:
                    _log.error("outbox delivery gave up", extra={"destination": due.destination, "error": error})
                    await self._db.run(self._mark(due.id, attempts=attempts, dead_at=now, last_error=error[:500]))
                else:
                    backoff = min(self._max_backoff, 0.5 * 2 ** min(attempts, 16))
                    retry_at[due.destination] = now + timedelta(seconds=backoff)
                    await self._db.run(
                        self._mark(
                            due.id,
                            attempts=attempts,
                            last_error=error[:500],
                            next_attempt_at=retry_at[due.destination],
                        )
                    )
                continue
            await self._db.run(self._mark(due.id, attempts=due.attempts + 1, delivered_at=now, last_error=""))
            self._delivered.add(1, {"destination": due.destination})
            delivered += 1
        if deferred:
            await self._db.run(lambda s: self._defer(s, deferred, retry_at))
        return delivered

    def _defer(self, session: Session, deferred: Mapping[str, list[str]], retry_at: Mapping[str, datetime]) -> None:
        t = self._table
        for destination, ids in deferred.items():
            session.execute(update(t).where(t.c.id.in_(ids)).values(next_attempt_at=retry_at[destination]))

    async def run(self) -> None:
        """Background task: deliver, then sleep until woken or the interval passes."""
        while True:
            try:
                await self.deliver_due()
            except Exception as exc:  # the database may be away: readiness reports it; try again
                _log.warning("outbox pass failed", extra={"error": type(exc).__name__})
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._interval)
