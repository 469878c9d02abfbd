"""The retention service's use cases: policies, artifacts and their retain_until, room tiers, holds,
and the purge. Keyword-only methods; the servicer translates protobuf to these and back.

The purge's safety: an artifact is deleted only inside a transaction that holds its row lock and has
just re-checked, with :func:`is_purgeable`, that no hold covers it and its time has come; that same
transaction marks it PURGED and writes its tombstone. Placing a hold takes the same row lock, so no hold
can slip in between the check and the delete. The purge works in batches: one transaction claims a batch
(RETAINED -> PURGING), a second one locks, re-checks, deletes and marks the whole batch.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from opentelemetry import metrics
from sqlalchemy import (
    Integer,
    Row,
    Select,
    and_,
    bindparam,
    case,
    func,
    insert,
    literal,
    or_,
    select,
    tuple_,
    type_coerce,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from livetrust.clock import Clock
from livetrust.errors import AlreadyExists, FieldViolation, NotFound, require
from livetrust.runtime import Database, Role, UtcDateTime, append_audit, require_caller, serialize_writes
from livetrust.validation import check_identifier, check_not_future, check_text, decode_cursor, encode_cursor, page_size

from . import _storage as store
from ._policy import (
    ContentClass,
    Hold,
    Mode,
    Policy,
    PolicyChange,
    RetentionDecision,
    RetentionFacts,
    change_policy,
    decide,
    default_policy,
    is_purgeable,
    lock_policy,
)
from ._storage_adapters import AdapterRegistry, StorageAdapter, StorageError, uri_digest

__all__ = ["DEFAULT_PURGE_BATCH", "ArtifactView", "PurgeCandidate", "PurgeReport", "RetentionService", "Scope"]

_log = logging.getLogger("livetrust.retention")
_purged = metrics.get_meter("livetrust").create_counter("livetrust.retention.purged", description="Artifacts purged")
_purge_failures = metrics.get_meter("livetrust").create_counter(
    "livetrust.retention.purge_failures", description="Artifacts the purge could not delete"
)
RETAINED, PURGING, PURGED = "RETAINED", "PURGING", "PURGED"
DEFAULT_PURGE_BATCH = 500
"""Artifacts claimed, re-checked, deleted and marked per purge transaction: big enough to amortise the
transactions, small enough that the row locks (SQLite: the write lock) are held only briefly."""


@dataclass(frozen=True, slots=True)
class Scope:
    """What a hold covers: one of room, session, account, or an explicit artifact list."""

    kind: str  # ROOM, SESSION, ACCOUNT, ARTIFACTS
    value: str = ""
    artifact_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ArtifactView:
    artifact_id: str
    decision: RetentionDecision
    state: str
    policy_version: int
    active_hold_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PurgeReport:
    purged: int = 0
    bytes_freed: int = 0
    skipped: int = 0
    failed: int = 0


PurgeCandidate = tuple[str, str, int, int, int]
"""One line of a purge plan, all of it read from the purge index: (id, content_class, size_bytes, and
retain_until as whole seconds since the epoch and nanoseconds, the two fields of a protobuf Timestamp).
A plain tuple: a plan streams millions of lines, and a datetime or a named tuple per line cost more than
reading the line did."""

_EPOCH = datetime(1970, 1, 1)
_EPOCH_UTC = _EPOCH.replace(tzinfo=UTC)
_SECOND = timedelta(seconds=1)


def _lock_scopes(session: Session, platform_id: str, *, shared: bool = False) -> None:
    """Registering an artifact reads the holds and the room tier of its scope; placing or releasing a hold
    and changing a tier read the artifacts in theirs. On PostgreSQL two such transactions see neither's
    rows, so an artifact registered while a hold was placed could escape it: registrations take this
    platform's lock shared (they run side by side), the rarer scope changes take it exclusively."""
    serialize_writes(session, f"retention:scopes:{platform_id}", shared=shared)


def _candidates(rows: Sequence[Sequence[Any]]) -> list[PurgeCandidate]:
    """Plan lines from (id, content_class, size_bytes, retain_until) as the driver returns them: ``retain_until``
    is naive UTC, a datetime (PostgreSQL) or SQLite's text ``YYYY-MM-DD HH:MM:SS.ffffff``."""
    if rows and isinstance(rows[0][3], str):
        parse = datetime.fromisoformat
        return [(i, c, s, ((t := parse(text)) - _EPOCH) // _SECOND, t.microsecond * 1000) for i, c, s, text in rows]
    return [(i, c, s, (t - _EPOCH) // _SECOND, t.microsecond * 1000) for i, c, s, t in rows]


def _retain_until(line: PurgeCandidate) -> datetime:
    return _EPOCH_UTC + timedelta(seconds=line[3], microseconds=line[4] // 1000)


def _plan_statements() -> tuple[Select[Any], Select[Any], Select[Any]]:
    """The purge plan's first page, its next pages (after the keyset ``after_until``, ``after_id``) and its
    totals, built once: a plan of a million artifacts is a thousand pages, each of them one execution of a
    statement SQLAlchemy has already compiled and keyed. Every column read is in ix_artifacts_purge: pages
    and totals never touch the table. What is due is what :meth:`RetentionService._claim` claims."""
    a = store.ArtifactRow.__table__.c
    due = (
        a.platform_id == bindparam("platform_id"),
        a.state == RETAINED,
        a.active_holds == 0,
        a.retain_until <= bindparam("as_of", type_=UtcDateTime),
    )
    # retain_until as the driver returns it (see _candidates).
    lines = select(a.id, a.content_class, a.size_bytes, type_coerce(a.retain_until, NullType())).where(*due)
    # A row-value comparison, which both databases seek to in the index (an OR of the two cases is not used
    # as a lower bound by SQLite, which then rescans every earlier page).
    after = tuple_(a.retain_until, a.id) > tuple_(bindparam("after_until", type_=UtcDateTime), bindparam("after_id"))
    limit = bindparam("limit", type_=Integer)
    return (
        lines.order_by(a.retain_until, a.id).limit(limit),
        lines.where(after).order_by(a.retain_until, a.id).limit(limit),
        select(func.count(), func.coalesce(func.sum(a.size_bytes), 0)).where(*due),
    )


_PLAN_FIRST_PAGE, _PLAN_NEXT_PAGE, _PLAN_TOTALS = _plan_statements()


@dataclass(slots=True)
class _BatchOutcome:
    purged: int = 0
    bytes_freed: int = 0
    skipped: int = 0
    failed: int = 0
    seen: int = 0

    def add(self, other: _BatchOutcome, seen: int) -> None:
        self.purged += other.purged
        self.bytes_freed += other.bytes_freed
        self.skipped += other.skipped
        self.failed += other.failed
        self.seen += seen


def _policy_of(row: store.PolicyRow | None, platform_id: str, content_class: ContentClass) -> Policy:
    if row is None:
        return default_policy(platform_id, content_class)
    return Policy(
        platform_id=row.platform_id,
        content_class=ContentClass(row.content_class),
        base_days=row.base_days,
        key_room_extension_days=row.key_room_extension_days,
        mode=Mode(row.mode),
        version=row.version,
        locked=row.locked,
    )


def _artifact_policy(row: store.ArtifactRow | Row[Any]) -> Policy:
    """The policy as it was when the artifact was registered (what its retention answers to)."""
    return Policy(
        platform_id=row.platform_id,
        content_class=ContentClass(row.content_class),
        base_days=row.base_days,
        key_room_extension_days=row.extension_days,
        mode=Mode(row.policy_mode),
        version=row.policy_version,
    )


def _holds_of(session: Session, artifact_id: str) -> tuple[Hold, ...]:
    rows = session.execute(
        select(store.HoldRow.id, store.HoldRow.kind, store.HoldRow.placed_at, store.HoldRow.released_at)
        .join(store.HoldCoverageRow, store.HoldCoverageRow.hold_id == store.HoldRow.id)
        .where(store.HoldCoverageRow.artifact_id == artifact_id)
    ).all()
    return tuple(Hold(r.id, r.kind, r.placed_at, r.released_at) for r in rows)


def _facts(session: Session, row: store.ArtifactRow) -> RetentionFacts:
    return RetentionFacts(
        ended_at=row.ended_at,
        policy=_artifact_policy(row),
        key_room=row.key_room,
        promised_until=row.promised_until,
        holds=_holds_of(session, row.id),
    )


def _check_platform(violations: list[FieldViolation], platform_id: str) -> None:
    check_identifier(violations, "platform_id", platform_id)


class RetentionService:
    def __init__(
        self, *, db: Database, clock: Clock, adapters: AdapterRegistry, purge_batch: int = DEFAULT_PURGE_BATCH
    ) -> None:
        if purge_batch < 1:
            raise ValueError("purge_batch must be at least 1")
        self._db = db
        self._clock = clock
        self._adapters = adapters
        self._purge_batch = purge_batch

    # --- policies -----------------------------------------------------------------------------

    def _content_class(self, violations: list[FieldViolation], value: ContentClass | None) -> None:
        if value is None:
            violations.append(FieldViolation("content_class", "one of the content classes", "REQUIRED"))

    async def upsert_policy(
        self,
        *,
        platform_id: str,
        content_class: ContentClass | None,
        base_days: int,
        key_room_extension_days: int,
        mode: Mode | None,
        reason: str,
    ) -> tuple[Policy, datetime]:
        caller = require_caller(Role.PLATFORM, Role.ADMIN, platform_id=platform_id)
        violations: list[FieldViolation] = []
        _check_platform(violations, platform_id)
        self._content_class(violations, content_class)
        check_text(violations, "reason", reason, max_length=1000, required=False)
        require(violations)
        assert content_class is not None
        now = self._clock.now()

        def save(session: Session) -> tuple[Policy, datetime]:
            row = session.get(store.PolicyRow, (platform_id, content_class.value), with_for_update=True)
            current = _policy_of(row, platform_id, content_class)
            proposed = change_policy(
                current,
                PolicyChange(base_days, key_room_extension_days, mode, reason.strip()),
                actor_is_admin=caller.role is Role.ADMIN,
            )
            if row is None:
                row = store.PolicyRow(platform_id=platform_id, content_class=content_class.value)
                session.add(row)
            row.base_days, row.key_room_extension_days = proposed.base_days, proposed.key_room_extension_days
            row.mode, row.locked, row.version = proposed.mode.value, proposed.locked, proposed.version
            row.updated_at, row.updated_by, row.reason = now, caller.label, reason.strip()
            append_audit(
                session,
                store.AUDIT,
                at=now,
                actor=caller.label,
                action="POLICY_CHANGED",
                subject=f"{platform_id}/{content_class.value}",
                payload={
                    "from": {
                        "base_days": current.base_days,
                        "extension": current.key_room_extension_days,
                        "mode": current.mode.value,
                        "version": current.version,
                    },
                    "to": {
                        "base_days": proposed.base_days,
                        "extension": proposed.key_room_extension_days,
                        "mode": proposed.mode.value,
                        "version": proposed.version,
                    },
                    "reason": reason.strip(),
                },
            )
            return proposed, now

        return await self._db.run(save)

    async def lock(self, *, platform_id: str, content_class: ContentClass | None) -> tuple[Policy, datetime]:
        caller = require_caller(Role.PLATFORM, Role.ADMIN, platform_id=platform_id)
        violations: list[FieldViolation] = []
        _check_platform(violations, platform_id)
        self._content_class(violations, content_class)
        require(violations)
        assert content_class is not None
        now = self._clock.now()

        def save(session: Session) -> tuple[Policy, datetime]:
            row = session.get(store.PolicyRow, (platform_id, content_class.value), with_for_update=True)
            current = _policy_of(row, platform_id, content_class)
            locked = lock_policy(current)
            if locked == current:
                return current, row.updated_at if row else now
            if row is None:
                row = store.PolicyRow(
                    platform_id=platform_id,
                    content_class=content_class.value,
                    base_days=current.base_days,
                    key_room_extension_days=current.key_room_extension_days,
                    reason="",
                )
                session.add(row)
            row.mode, row.locked, row.version = locked.mode.value, True, locked.version
            row.updated_at, row.updated_by = now, caller.label
            append_audit(
                session,
                store.AUDIT,
                at=now,
                actor=caller.label,
                action="POLICY_LOCKED",
                subject=f"{platform_id}/{content_class.value}",
                payload={"version": locked.version},
            )
            return locked, now

        return await self._db.run(save)

    async def list_policies(self, *, platform_id: str) -> list[tuple[Policy, datetime | None]]:
        require_caller(Role.PLATFORM, Role.REVIEWER, Role.ADMIN, platform_id=platform_id)
        violations: list[FieldViolation] = []
        _check_platform(violations, platform_id)
        require(violations)

        def read(session: Session) -> list[tuple[Policy, datetime | None]]:
            rows = {
                r.content_class: r
                for r in session.scalars(select(store.PolicyRow).where(store.PolicyRow.platform_id == platform_id))
            }
            return [
                (_policy_of(rows.get(c.value), platform_id, c), rows[c.value].updated_at if c.value in rows else None)
                for c in ContentClass
            ]

        return await self._db.read(read)

    # --- artifacts ----------------------------------------------------------------------------

    async def register_artifact(
        self,
        *,
        platform_id: str,
        room_id: str,
        session_id: str,
        account_id: str,
        content_class: ContentClass | None,
        storage_uri: str,
        size_bytes: int,
        ended_at: datetime | None,
    ) -> tuple[str, datetime, bool]:
        require_caller(Role.PLATFORM, Role.SERVICE, Role.ADMIN, platform_id=platform_id)
        now = self._clock.now()
        violations: list[FieldViolation] = []
        _check_platform(violations, platform_id)
        check_identifier(violations, "room_id", room_id)
        check_identifier(violations, "session_id", session_id)
        check_identifier(violations, "account_id", account_id)
        self._content_class(violations, content_class)
        check_text(violations, "storage_uri", storage_uri, max_length=1024)
        if storage_uri.strip() and not _accepted(self._adapters, storage_uri):
            violations.append(FieldViolation("storage_uri", "a file:// or s3:// URI", "UNSUPPORTED_SCHEME"))
        if size_bytes < 0:
            violations.append(FieldViolation("size_bytes", "must not be negative", "OUT_OF_RANGE"))
        if ended_at is None:
            violations.append(FieldViolation("ended_at", "is required", "REQUIRED"))
        check_not_future(violations, "ended_at", ended_at, now=now, tolerance=timedelta(seconds=60))
        require(violations)
        assert content_class is not None and ended_at is not None

        def save(session: Session) -> tuple[str, datetime, bool]:
            _lock_scopes(session, platform_id, shared=True)
            existing = session.scalars(
                select(store.ArtifactRow).where(store.ArtifactRow.storage_uri == storage_uri)
            ).first()
            if existing is not None:
                if existing.platform_id != platform_id:
                    raise AlreadyExists("this storage URI is registered by another platform", reason="URI_TAKEN")
                return existing.id, existing.retain_until, False
            policy = _policy_of(
                session.get(store.PolicyRow, (platform_id, content_class.value)), platform_id, content_class
            )
            room = session.get(store.RoomRow, (platform_id, room_id))
            key_room = bool(room and room.key_room)
            decision = decide(RetentionFacts(ended_at=ended_at, policy=policy, key_room=key_room))
            row = store.ArtifactRow(
                id=str(uuid.uuid4()),
                platform_id=platform_id,
                room_id=room_id,
                session_id=session_id,
                account_id=account_id,
                content_class=content_class.value,
                storage_uri=storage_uri,
                size_bytes=size_bytes,
                ended_at=ended_at,
                registered_at=now,
                policy_version=policy.version,
                policy_mode=policy.mode.value,
                base_days=policy.base_days,
                extension_days=policy.key_room_extension_days,
                key_room=key_room,
                retain_until=decision.retain_until,
                promised_until=decision.retain_until if policy.mode is Mode.COMPLIANCE else None,
                active_holds=0,
                state=RETAINED,
            )
            session.add(row)
            session.flush()
            # Holds cover artifacts registered later in their scope too.
            active = session.scalars(
                select(store.HoldRow.id).where(
                    store.HoldRow.platform_id == platform_id,
                    store.HoldRow.released_at.is_(None),
                    or_(
                        and_(store.HoldRow.scope_type == "ROOM", store.HoldRow.scope_value == room_id),
                        and_(store.HoldRow.scope_type == "SESSION", store.HoldRow.scope_value == session_id),
                        and_(store.HoldRow.scope_type == "ACCOUNT", store.HoldRow.scope_value == account_id),
                    ),
                )
            ).all()
            for hold_id in active:
                session.add(store.HoldCoverageRow(hold_id=hold_id, artifact_id=row.id))
            row.active_holds = len(active)
            return row.id, row.retain_until, True

        try:
            return await self._db.run(save)
        except IntegrityError:  # the same URI registered concurrently: the first one wins
            return await self._db.run(save)

    async def get_retention(self, *, platform_id: str, artifact_id: str) -> ArtifactView:
        require_caller(Role.PLATFORM, Role.REVIEWER, Role.ADMIN, platform_id=platform_id)
        violations: list[FieldViolation] = []
        _check_platform(violations, platform_id)
        check_identifier(violations, "artifact_id", artifact_id)
        require(violations)

        def read(session: Session) -> ArtifactView:
            row = session.get(store.ArtifactRow, artifact_id)
            if row is None or row.platform_id != platform_id:
                raise NotFound("no such artifact", reason="ARTIFACT_NOT_FOUND")
            facts = _facts(session, row)
            decision = decide(facts)
            if row.retain_until > decision.retain_until:  # the stored value never shrinks silently
                decision = RetentionDecision(
                    row.retain_until, None if decision.purgeable_at is None else row.retain_until, decision.reasons
                )
            state = row.state
            if state == RETAINED and is_purgeable(facts, now=self._clock.now()):
                state = "PURGEABLE"
            return ArtifactView(
                row.id, decision, state, row.policy_version, tuple(h.hold_id for h in facts.holds if h.active)
            )

        return await self._db.read(read)

    # --- tiers --------------------------------------------------------------------------------

    async def set_room_tier(
        self, *, platform_id: str, room_id: str, key: bool | None, changed_at: datetime | None, request_id: str
    ) -> int:
        require_caller(Role.SERVICE, Role.ADMIN)
        violations: list[FieldViolation] = []
        _check_platform(violations, platform_id)
        check_identifier(violations, "room_id", room_id)
        check_identifier(violations, "request_id", request_id, required=False)
        if key is None:
            violations.append(FieldViolation("tier", "KEY, STANDARD or WATCH", "REQUIRED"))
        require(violations)
        assert key is not None
        when = changed_at or self._clock.now()

        def apply(session: Session) -> int:
            _lock_scopes(session, platform_id)
            room = session.get(store.RoomRow, (platform_id, room_id), with_for_update=True)
            if room is not None and room.changed_at > when:
                return 0  # a later change already arrived (deliveries may be retried out of order)
            was_key = bool(room and room.key_room)
            if room is None:
                room = store.RoomRow(platform_id=platform_id, room_id=room_id, key_room=key, changed_at=when)
                session.add(room)
            room.key_room, room.changed_at = key, when
            if key == was_key:
                return 0
            a = store.ArtifactRow
            dialect = self._db.dialect
            scope = (a.platform_id == platform_id, a.room_id == room_id, a.state != PURGED)
            if key:
                # Entering KEY: one set-based statement extends every artifact of the room.
                extended = store.plus_days(a.retain_until, a.extension_days, dialect)
                result = session.execute(
                    update(a)
                    .where(*scope, a.key_room.is_(False))
                    .values(
                        key_room=True,
                        retain_until=extended,
                        promised_until=case((a.policy_mode == Mode.COMPLIANCE.value, extended), else_=a.promised_until),
                    )
                    .execution_options(synchronize_session=False)
                )
                return result.rowcount or 0
            # Leaving KEY: GOVERNANCE artifacts return to their base period; what a COMPLIANCE policy
            # promised stays promised.
            shortened = (
                session.execute(
                    update(a)
                    .where(*scope, a.key_room.is_(True), a.policy_mode == Mode.GOVERNANCE.value)
                    .values(key_room=False, retain_until=store.plus_days(a.retain_until, -a.extension_days, dialect))
                    .execution_options(synchronize_session=False)
                ).rowcount
                or 0
            )
            kept = (
                session.execute(
                    update(a)
                    .where(*scope, a.key_room.is_(True))
                    .values(key_room=False)
                    .execution_options(synchronize_session=False)
                ).rowcount
                or 0
            )
            return shortened + kept

        return await self._db.run(apply)

    # --- holds --------------------------------------------------------------------------------

    async def place_hold(
        self, *, kind: str, platform_id: str, case_ref: str, reason: str, scope: Scope | None, request_id: str
    ) -> tuple[str, int]:
        # SERVICE: credit's enforcement ladder holding evidence for the platform named in its token.
        caller = require_caller(Role.PLATFORM, Role.REVIEWER, Role.ADMIN, Role.SERVICE, platform_id=platform_id)
        field = "case_id" if kind == "LEGAL" else "event_ref"
        violations: list[FieldViolation] = []
        _check_platform(violations, platform_id)
        check_text(violations, field, case_ref, max_length=200)
        check_text(violations, "reason", reason, max_length=1000)
        check_identifier(violations, "request_id", request_id, required=False)
        if scope is None:
            violations.append(
                FieldViolation("scope", "one of room_id, session_id, account_id, artifact_ids", "REQUIRED")
            )
        elif scope.kind == "ARTIFACTS":
            if not scope.artifact_ids or len(scope.artifact_ids) > 1000:
                violations.append(FieldViolation("artifact_ids", "1 to 1,000 ids", "OUT_OF_RANGE"))
            for i, artifact_id in enumerate(scope.artifact_ids):
                check_identifier(violations, f"artifact_ids.ids[{i}]", artifact_id)
        else:
            check_identifier(violations, scope.kind.lower() + "_id", scope.value)
        require(violations)
        assert scope is not None
        now = self._clock.now()

        def place(session: Session) -> tuple[str, int]:
            _lock_scopes(session, platform_id)
            if request_id:
                earlier = session.scalars(
                    select(store.HoldRow).where(
                        store.HoldRow.platform_id == platform_id, store.HoldRow.request_id == request_id
                    )
                ).first()
                if earlier is not None:
                    covered = (
                        session.scalar(
                            select(func.count())
                            .select_from(store.HoldCoverageRow)
                            .where(store.HoldCoverageRow.hold_id == earlier.id)
                        )
                        or 0
                    )
                    return earlier.id, covered
            hold = store.HoldRow(
                id=str(uuid.uuid4()),
                platform_id=platform_id,
                kind=kind,
                case_ref=case_ref.strip(),
                reason=reason.strip(),
                scope_type=scope.kind,
                scope_value=scope.value,
                request_id=request_id or None,
                placed_at=now,
                release_reason="",
            )
            session.add(hold)
            session.flush()
            a = store.ArtifactRow
            where = [a.platform_id == platform_id, a.state != PURGED]
            if scope.kind == "ARTIFACTS":
                found = set(session.scalars(select(a.id).where(*where, a.id.in_(scope.artifact_ids))))
                missing = [i for i in scope.artifact_ids if i not in found]
                if missing:
                    raise NotFound(
                        f"{len(missing)} artifact(s) not found or already purged",
                        reason="ARTIFACT_NOT_FOUND",
                        metadata={"first_missing": missing[0]},
                    )
                where.append(a.id.in_(scope.artifact_ids))
            else:
                column = {"ROOM": a.room_id, "SESSION": a.session_id, "ACCOUNT": a.account_id}[scope.kind]
                where.append(column == scope.value)
            # Set-based: cover and count in two statements, whatever the scope's size. The UPDATE takes
            # the row locks the purge takes before it deletes anything.
            session.execute(
                insert(store.HoldCoverageRow).from_select(
                    ["hold_id", "artifact_id"], select(literal(hold.id), a.id).where(*where)
                )
            )
            covered = (
                session.execute(
                    update(a)
                    .where(*where)
                    .values(active_holds=a.active_holds + 1)
                    .execution_options(synchronize_session=False)
                ).rowcount
                or 0
            )
            append_audit(
                session,
                store.AUDIT,
                at=now,
                actor=caller.label,
                action=f"{kind}_HOLD_PLACED",
                subject=hold.id,
                payload={"case": case_ref.strip(), "scope": scope.kind, "covered": covered},
            )
            return hold.id, covered

        try:
            return await self._db.run(place)
        except IntegrityError:  # the same request_id raced in
            return await self._db.run(place)

    async def release_holds(self, *, platform_id: str, hold_id: str, case_id: str, reason: str) -> list[str]:
        caller = require_caller(Role.PLATFORM, Role.REVIEWER, Role.ADMIN, platform_id=platform_id)
        violations: list[FieldViolation] = []
        _check_platform(violations, platform_id)
        if not hold_id and not case_id:
            violations.append(FieldViolation("target", "hold_id or case_id is required", "REQUIRED"))
        check_text(violations, "reason", reason, max_length=1000)
        require(violations)
        now = self._clock.now()

        def release(session: Session) -> list[str]:
            _lock_scopes(session, platform_id)
            query = select(store.HoldRow).where(
                store.HoldRow.platform_id == platform_id, store.HoldRow.released_at.is_(None)
            )
            query = (
                query.where(store.HoldRow.id == hold_id) if hold_id else query.where(store.HoldRow.case_ref == case_id)
            )
            holds = session.scalars(query.with_for_update()).all()
            if not holds:
                raise NotFound("no active hold matches", reason="HOLD_NOT_FOUND")
            for hold in holds:
                hold.released_at, hold.release_reason = now, reason.strip()
                covered = select(store.HoldCoverageRow.artifact_id).where(store.HoldCoverageRow.hold_id == hold.id)
                a = store.ArtifactRow
                session.execute(
                    update(a)
                    .where(a.id.in_(covered))
                    .values(active_holds=a.active_holds - 1)
                    .execution_options(synchronize_session=False)
                )
                if hold.kind == "EVENT":
                    # The event is over: each covered artifact must now be kept a full period again.
                    for row in session.scalars(select(a).where(a.id.in_(covered), a.state != PURGED)):
                        decision = decide(_facts(session, row))
                        row.retain_until = max(row.retain_until, decision.retain_until)
                        if row.policy_mode == Mode.COMPLIANCE.value:
                            row.promised_until = row.retain_until
                append_audit(
                    session,
                    store.AUDIT,
                    at=now,
                    actor=caller.label,
                    action=f"{hold.kind}_HOLD_RELEASED",
                    subject=hold.id,
                    payload={"reason": reason.strip()},
                )
            return [h.id for h in holds]

        return await self._db.run(release)

    # --- purge --------------------------------------------------------------------------------

    async def plan_purge(
        self, *, platform_id: str, as_of: datetime | None, page_size_requested: int, page_token: str
    ) -> tuple[list[PurgeCandidate], str, int, int]:
        require_caller(Role.PLATFORM, Role.ADMIN, platform_id=platform_id)
        violations: list[FieldViolation] = []
        _check_platform(violations, platform_id)
        size = page_size(violations, "page_size", page_size_requested)
        require(violations)
        cursor = decode_cursor(page_token)
        params: dict[str, Any] = {"platform_id": platform_id, "as_of": as_of or self._clock.now(), "limit": size + 1}
        if cursor is not None:
            params["after_until"], params["after_id"] = cursor

        def read(session: Session) -> tuple[list[PurgeCandidate], str, int, int]:
            connection = session.connection()
            # The page straight from the DB-API cursor: no Row, no datetime per line (see _candidates).
            result = connection.execute(_PLAN_FIRST_PAGE if cursor is None else _PLAN_NEXT_PAGE, params)
            try:
                rows = _candidates(result.cursor.fetchall())
            finally:
                result.close()
            total, total_bytes = 0, 0
            if cursor is None:  # the plan's totals come with its first page (a full count each page is O(N^2))
                total, total_bytes = connection.execute(_PLAN_TOTALS, params).one()
            token = encode_cursor(_retain_until(rows[size - 1]), rows[size - 1][0]) if len(rows) > size else ""
            return rows[:size], token, int(total), int(total_bytes)

        return await self._db.read(read)

    def _claim(self, session: Session, platform_id: str | None, now: datetime, size: int) -> list[str]:
        """RETAINED -> PURGING for up to ``size`` due artifacts, oldest first, in one statement after one
        locking read. The claim is only an intent: :meth:`_purge_claimed` decides, re-checking everything."""
        a = store.ArtifactRow
        scope = [a.platform_id == platform_id] if platform_id else []
        due = [*scope, a.state == RETAINED, a.active_holds == 0, a.retain_until <= now]
        # SKIP LOCKED (PostgreSQL; SQLite serialises writers anyway): rows a hold or another purge is
        # writing right now are left to the next batch, and the purge never waits in a lock cycle.
        ids = list(
            session.scalars(
                select(a.id).where(*due).order_by(a.retain_until, a.id).limit(size).with_for_update(skip_locked=True)
            )
        )
        if ids:
            session.execute(
                update(a).where(a.id.in_(ids), *due).values(state=PURGING).execution_options(synchronize_session=False)
            )
        return ids

    def _leftovers(self, session: Session, platform_id: str | None, after: str, size: int) -> list[str]:
        """Artifacts a crashed (or concurrent) run left PURGING, in id order after ``after``."""
        a = store.ArtifactRow
        scope = [a.platform_id == platform_id] if platform_id else []
        query = select(a.id).where(*scope, a.state == PURGING, a.id > after).order_by(a.id).limit(size)
        return list(session.scalars(query))

    def _purge_claimed(self, session: Session, ids: list[str], now: datetime) -> _BatchOutcome:
        """Lock the claimed rows, re-check each with :func:`is_purgeable` (its holds and retain_until read
        in this transaction), delete the content of those still due, and mark them PURGED with one
        tombstone each, all before this transaction commits.

        The deletes happen while the row locks are held (on SQLite: the database write lock), so a hold or
        a longer retain_until written after the claim either committed before the locks were taken, and
        the re-check sees it, or waits until the artifact is PURGED. A crash before the commit leaves the
        rows PURGING: the next run re-checks them, deletes again (a no-op for what is gone) and writes the
        tombstones, so nothing is deleted twice and no deletion goes unrecorded."""
        a, c, h = store.ArtifactRow, store.HoldCoverageRow, store.HoldRow
        outcome = _BatchOutcome()
        rows = session.execute(
            select(
                a.id,
                a.platform_id,
                a.content_class,
                a.storage_uri,
                a.size_bytes,
                a.ended_at,
                a.policy_version,
                a.policy_mode,
                a.base_days,
                a.extension_days,
                a.key_room,
                a.promised_until,
                a.retain_until,
                a.active_holds,
            )
            .where(a.id.in_(ids), a.state == PURGING)
            .order_by(a.id)
            .with_for_update(skip_locked=True)
        ).all()
        outcome.skipped = len(ids) - len(rows)  # purged meanwhile by another run, or locked by a writer now
        holds: dict[str, list[Hold]] = {}
        if rows:
            for artifact_id, hold_id, kind, placed_at, released_at in session.execute(
                select(c.artifact_id, h.id, h.kind, h.placed_at, h.released_at)
                .join(h, h.id == c.hold_id)
                .where(c.artifact_id.in_([r.id for r in rows]))
            ):
                holds.setdefault(artifact_id, []).append(Hold(hold_id, kind, placed_at, released_at))
        due: list[Row[Any]] = []
        purged: list[Row[Any]] = []
        retained: list[str] = []
        errors: list[tuple[str, StorageError]] = []
        for row in rows:
            facts = RetentionFacts(
                ended_at=row.ended_at,
                policy=_artifact_policy(row),
                key_room=row.key_room,
                promised_until=row.promised_until,
                holds=tuple(holds.get(row.id, ())),
            )
            if row.active_holds == 0 and row.retain_until <= now and is_purgeable(facts, now=now):
                due.append(row)
                continue
            try:
                if self._adapters.for_uri(row.storage_uri).exists(row.storage_uri):
                    retained.append(row.id)  # a hold arrived, or the period was extended, since the claim
                else:  # deleted by a run that crashed before recording it, while it was due: record it now
                    purged.append(row)
            except StorageError as exc:
                errors.append((row.id, exc))
        # Idempotent: a resumed run may delete what is already gone.
        for row, error in zip(due, self._delete([r.storage_uri for r in due]), strict=True):
            if error is None:
                purged.append(row)
            else:
                errors.append((row.id, error))
        for artifact_id, exc in errors:  # these stay PURGING: the next run tries again
            _log.warning("purge could not delete", extra={"artifact_id": artifact_id, "retryable": exc.retryable})
        outcome.failed = len(errors)
        if retained:
            outcome.skipped += len(retained)
            session.execute(
                update(a)
                .where(a.id.in_(retained), a.state == PURGING)
                .values(state=RETAINED)
                .execution_options(synchronize_session=False)
            )
        if purged:
            session.execute(
                update(a)
                .where(a.id.in_([r.id for r in purged]), a.state == PURGING)
                .values(state=PURGED)
                .execution_options(synchronize_session=False)
            )
            session.execute(
                insert(store.TombstoneRow),
                [
                    {
                        "artifact_id": r.id,
                        "platform_id": r.platform_id,
                        "content_class": r.content_class,
                        "purged_at": now,
                        "policy": f"{r.content_class}/{r.policy_mode}",
                        "policy_version": r.policy_version,
                        "storage_uri_sha256": uri_digest(r.storage_uri),
                        "size_bytes": r.size_bytes,
                    }
                    for r in purged
                ],
            )
            outcome.purged, outcome.bytes_freed = len(purged), sum(r.size_bytes for r in purged)
        return outcome

    def _delete(self, uris: list[str]) -> list[StorageError | None]:
        """Delete each of ``uris`` through its adapter; per URI, None or the error. An adapter with a
        ``delete_many`` (the filesystem's) gets all of its URIs in one call."""
        results: list[StorageError | None] = [None] * len(uris)
        groups: dict[int, tuple[StorageAdapter, list[int]]] = {}
        for i, uri in enumerate(uris):
            try:
                adapter = self._adapters.for_uri(uri)
            except StorageError as exc:
                results[i] = exc
                continue
            groups.setdefault(id(adapter), (adapter, []))[1].append(i)
        for adapter, indexes in groups.values():
            many = getattr(adapter, "delete_many", None)
            if many is not None:
                for i, error in zip(indexes, many([uris[i] for i in indexes]), strict=True):
                    results[i] = error
                continue
            for i in indexes:
                try:
                    adapter.delete(uris[i])
                except StorageError as exc:
                    results[i] = exc
        return results

    async def execute_purge(self, *, platform_id: str, limit: int) -> PurgeReport:
        require_caller(Role.PLATFORM, Role.ADMIN, Role.SERVICE, platform_id=platform_id)
        violations: list[FieldViolation] = []
        _check_platform(violations, platform_id)
        if limit < 0:
            violations.append(FieldViolation("limit", "must not be negative", "OUT_OF_RANGE"))
        require(violations)
        return await self.purge(platform_id=platform_id, limit=limit or 1000)

    async def purge(self, *, platform_id: str | None, limit: int) -> PurgeReport:
        """Purge up to ``limit`` artifacts, batch by batch: first resume what a crashed run left PURGING,
        then claim due artifacts (one transaction) and purge them (a second one, see
        :meth:`_purge_claimed`). Safe to run twice at once and to kill at any point."""
        now = self._clock.now()
        total = _BatchOutcome()
        after = ""
        while total.seen < limit:  # leftovers of a crashed run, each once
            size = min(self._purge_batch, limit - total.seen)
            ids = await self._db.run(lambda s, n=size, k=after: self._leftovers(s, platform_id, k, n))
            if ids:
                total.add(await self._db.run(lambda s, i=ids: self._purge_claimed(s, i, now)), len(ids))
                after = ids[-1]
            if len(ids) < size:
                break
        while total.seen < limit:
            size = min(self._purge_batch, limit - total.seen)
            ids = await self._db.run(lambda s, n=size: self._claim(s, platform_id, now, n))
            if ids:
                total.add(await self._db.run(lambda s, i=ids: self._purge_claimed(s, i, now)), len(ids))
            if len(ids) < size:
                break
        _purged.add(total.purged)
        if total.failed:
            _purge_failures.add(total.failed)
        return PurgeReport(total.purged, total.bytes_freed, total.skipped, total.failed)

    async def list_tombstones(
        self, *, platform_id: str, page_size_requested: int, page_token: str
    ) -> tuple[list[store.TombstoneRow], str]:
        require_caller(Role.PLATFORM, Role.REVIEWER, Role.ADMIN, platform_id=platform_id)
        violations: list[FieldViolation] = []
        _check_platform(violations, platform_id)
        size = page_size(violations, "page_size", page_size_requested)
        require(violations)
        cursor = decode_cursor(page_token)
        t = store.TombstoneRow

        def read(session: Session) -> tuple[list[store.TombstoneRow], str]:
            query = select(t).where(t.platform_id == platform_id)
            if cursor is not None:
                query = query.where(
                    or_(t.purged_at > cursor[0], and_(t.purged_at == cursor[0], t.artifact_id > cursor[1]))
                )
            rows = session.scalars(query.order_by(t.purged_at, t.artifact_id).limit(size + 1)).all()
            token = encode_cursor(rows[size - 1].purged_at, rows[size - 1].artifact_id) if len(rows) > size else ""
            return list(rows[:size]), token

        return await self._db.read(read)


def _accepted(adapters: AdapterRegistry, uri: str) -> bool:
    try:
        adapters.for_uri(uri)
    except StorageError:
        return False
    return True
