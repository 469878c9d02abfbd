"""The blacklist's use cases. Keyword-only methods; the servicer translates protobuf to these and back.

Who may do what is decided here from the gateway-signed caller (``require_caller``): platforms
report and lift their own entries, reviewers approve, reject and resolve appeals, every
authenticated caller may look up. Private fields are shown to the source platform and reviewers only.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import logging
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from opentelemetry import metrics
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from livetrust.clock import Clock
from livetrust.errors import (
    AlreadyExists,
    Conflict,
    FailedPrecondition,
    FieldViolation,
    NotFound,
    PermissionDenied,
    PreconditionViolation,
    require,
)
from livetrust.runtime import Caller, Database, Role, append_audit, require_caller, verify_audit
from livetrust.validation import check_identifier, check_text, decode_page_token, encode_page_token, page_size

from . import _storage as store
from ._filter import FALSE_POSITIVE_RATE, build_filter
from ._index import ListedIndex, digest_key, digest_keys, prefix_key_range
from ._rules import (
    LISTED_STATUSES,
    OPEN_STATUSES,
    BlacklistPolicy,
    Category,
    EntryStatus,
    appeal_deadline,
    check_digests,
    check_prefix,
    is_listed,
    listing_end,
    require_status,
)

__all__ = ["BlacklistService", "ChangeView", "EntryView", "FilterView", "ListedIndexFollower", "LookupView"]

_log = logging.getLogger("livetrust.blacklist")
_lookups = metrics.get_meter("livetrust").create_counter(
    "livetrust.blacklist.lookups", description="Digests looked up, by whether they were listed"
)
# Attribute sets of the lookups counter, built once (Lookup is the hot path).
_LISTED = {"listed": True}
_NOT_LISTED = {"listed": False}
_MAX_TEXT = 2000
_MAX_REFS = 50
#: StreamFilter sends the filter in pieces of at most this size (smaller if the message limit is).
FILTER_CHUNK_BYTES = 1 << 20
# Room left in a message for everything but the filter bytes (other fields, protobuf and gRPC framing).
_MESSAGE_OVERHEAD = 1024
_STREAM_FILTER = "livetrust.blacklist.v1.BlacklistService/StreamFilter"


@dataclass(frozen=True, slots=True)
class EntryView:
    entry_id: str
    subject_digests: tuple[str, ...]
    category: Category
    reason: str
    legal_basis: str
    platform_id: str
    evidence_refs: tuple[str, ...]
    listed_from: datetime | None
    listed_until: datetime | None
    status: EntryStatus
    version: int
    appeal_deadline: datetime | None
    appeal_route: str
    notes: tuple[dict[str, Any], ...]
    created_at: datetime
    updated_at: datetime
    redacted: bool


@dataclass(frozen=True, slots=True)
class LookupView:
    subject_digest: str
    listed: bool
    entry_id: str = ""
    category: Category | None = None
    listed_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class ChangeView:
    version: int
    kind: str
    entry_id: str
    subject_digests: tuple[str, ...]
    at: datetime


@dataclass(frozen=True, slots=True)
class FilterView:
    data: bytes
    version: int
    sha256: str
    item_count: int
    false_positive_rate: float


def _sees_private(caller: Caller | None, platform_id: str) -> bool:
    return caller is not None and (caller.role in (Role.REVIEWER, Role.ADMIN) or caller.platform_id == platform_id)


class ListedIndexFollower:
    """The in-memory index of listed digests, kept in step with the change log (never reloaded whole
    after start-up). Not ready until the first load: health holds the replica out meanwhile."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.index = ListedIndex()
        self.version = 0
        self.ready = False
        self._lock = asyncio.Lock()
        self._changed = asyncio.Condition()

    async def load(self) -> None:
        def read(session: Session) -> tuple[int, Any]:
            return store.latest_version(session), store.listed_keys(session)

        version, keys = await self._db.read(read)
        index = ListedIndex()
        await asyncio.to_thread(functools.partial(index.load, keys, take=True))
        async with self._lock:
            self.index, self.version, self.ready = index, version, True
        _log.info("listed index loaded", extra={"keys": len(keys), "version": version})

    async def catch_up(self) -> int:
        """Apply changes committed since the last call; returns the version reached."""
        async with self._lock:
            while True:
                changes = await self._db.read(lambda s: store.changes_since(s, self.version, 5000))
                for change in changes:
                    keys = digest_keys(change.subject_digests)
                    (self.index.add if change.kind == "LISTED" else self.index.discard)(keys.tolist())
                    self.version = change.version
                if len(changes) < 5000:
                    break
        if changes:
            async with self._changed:
                self._changed.notify_all()
        return self.version

    async def wait_for_change(self, seconds: float) -> None:
        """Return when this replica applies a change, or after ``seconds`` (changes by other replicas
        are only seen by polling)."""
        async with self._changed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), seconds)

    async def follow(self, interval: float) -> None:
        """Background task: load once, then follow the change log (other replicas write too)."""
        while not self.ready:
            try:
                await self.load()
            except Exception as exc:  # the database may be down or not migrated yet: readiness says so
                _log.warning("listed index not loaded yet; retrying", extra={"error": type(exc).__name__})
                await asyncio.sleep(1.0)
        while True:
            try:
                await self.catch_up()
            except Exception:
                _log.exception("change log follow failed; retrying")
            await asyncio.sleep(interval)


class BlacklistService:
    def __init__(
        self,
        *,
        db: Database,
        follower: ListedIndexFollower,
        clock: Clock,
        policy: BlacklistPolicy,
        max_message_bytes: int = 4 * 1024 * 1024,
    ) -> None:
        if max_message_bytes <= _MESSAGE_OVERHEAD:
            raise ValueError(f"max_message_bytes must be above {_MESSAGE_OVERHEAD}")
        self._db = db
        self._follower = follower
        self._clock = clock
        self._policy = policy
        self._filter: FilterView | None = None
        self._filter_lock = asyncio.Lock()
        self._max_message_bytes = max_message_bytes
        self.filter_chunk_bytes = min(FILTER_CHUNK_BYTES, max_message_bytes - _MESSAGE_OVERHEAD)

    # --- views --------------------------------------------------------------------------------

    def _view(self, session: Session, row: store.EntryRow, caller: Caller | None) -> EntryView:
        digests = tuple(
            session.scalars(
                select(store.SubjectRow.subject_digest)
                .where(store.SubjectRow.entry_id == row.id)
                .order_by(store.SubjectRow.subject_digest)
            )
        )
        status = EntryStatus(row.status)
        if status in LISTED_STATUSES and not is_listed(status, row.listed_until, self._clock.now()):
            status = EntryStatus.EXPIRED  # past its period: shown as it behaves, before the job marks it
        private = _sees_private(caller, row.platform_id)
        return EntryView(
            entry_id=row.id,
            subject_digests=digests,
            category=Category(row.category),
            reason=row.reason if private else "",
            legal_basis=row.legal_basis,
            platform_id=row.platform_id,
            evidence_refs=tuple(row.evidence_refs) if private else (),
            listed_from=row.listed_from,
            listed_until=row.listed_until,
            status=status,
            version=row.version,
            appeal_deadline=row.appeal_deadline,
            appeal_route=self._policy.appeal_route,
            notes=tuple(row.notes) if private else (),
            created_at=row.created_at,
            updated_at=row.updated_at,
            redacted=not private,
        )

    # --- writes -------------------------------------------------------------------------------

    async def submit_entry(
        self,
        *,
        platform_id: str,
        subject_digests: Sequence[str],
        category: Category | None,
        reason: str,
        legal_basis: str,
        evidence_refs: Sequence[str],
        listed_until: datetime | None,
        permanent: bool,
        request_id: str,
    ) -> EntryView:
        # SERVICE: credit's enforcement ladder reporting a ban for the platform named in its token.
        caller = require_caller(Role.PLATFORM, Role.ADMIN, Role.SERVICE, platform_id=platform_id)
        if caller.role is Role.SERVICE and caller.platform_id != platform_id:
            raise PermissionDenied("a service acts for the platform it names", reason="OTHER_PLATFORM")
        now = self._clock.now()
        violations: list[FieldViolation] = []
        check_identifier(violations, "platform_id", platform_id)
        check_digests(violations, "subject_digests", subject_digests, limit=20)
        if category is None:
            violations.append(
                FieldViolation("category", "must be SERIOUS_VIOLATION or CRIME_OR_PUBLIC_ORDER", "REQUIRED")
            )
        check_text(violations, "reason", reason, max_length=_MAX_TEXT)
        check_text(violations, "legal_basis", legal_basis, max_length=_MAX_TEXT)
        if len(evidence_refs) > _MAX_REFS:
            violations.append(FieldViolation("evidence_refs", f"at most {_MAX_REFS}", "TOO_MANY"))
        for i, ref in enumerate(evidence_refs):
            check_text(violations, f"evidence_refs[{i}]", ref, max_length=512)
        if listed_until is not None and listed_until <= now:
            violations.append(FieldViolation("listed_until", "must be in the future", "IN_PAST"))
        check_identifier(violations, "request_id", request_id, required=False)
        require(violations)
        assert category is not None
        digests = list(dict.fromkeys(subject_digests))

        def save(session: Session) -> EntryView:
            if request_id:
                earlier = session.scalars(
                    select(store.EntryRow).where(
                        store.EntryRow.platform_id == platform_id, store.EntryRow.request_id == request_id
                    )
                ).first()
                if earlier is not None:
                    return self._view(session, earlier, caller)
            existing = store.open_entry_for(session, platform_id=platform_id, digests=digests)
            if existing is not None:
                raise AlreadyExists(
                    f"this platform already has an open entry for the subject: {existing}",
                    reason="OPEN_ENTRY_EXISTS",
                    metadata={"entry_id": existing},
                )
            row = store.EntryRow(
                id=store.new_id(),
                platform_id=platform_id,
                request_id=request_id or None,
                category=category.value,
                status=EntryStatus.PENDING_REVIEW.value,
                reason=reason.strip(),
                legal_basis=legal_basis.strip(),
                evidence_refs=[r.strip() for r in evidence_refs],
                notes=[],
                permanent=permanent,
                requested_until=None if permanent else listed_until,
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            session.add_all(store.subject_rows(row.id, platform_id, digests))
            append_audit(
                session,
                store.AUDIT,
                at=now,
                actor=caller.label,
                action="SUBMITTED",
                subject=row.id,
                payload={"status": row.status, "category": row.category, "digests": len(digests)},
            )
            session.flush()
            return self._view(session, row, caller)

        try:
            return await self._db.run(save)
        except IntegrityError:
            # A concurrent submission for the same subject won the race (partial unique index).
            existing = await self._db.read(
                lambda s: (
                    store.open_entry_for(s, platform_id=platform_id, digests=digests)
                    or (
                        s.scalars(select(store.EntryRow.id).where(store.EntryRow.request_id == request_id)).first()
                        if request_id
                        else None
                    )
                )
            )
            raise AlreadyExists(
                f"this platform already has an open entry for the subject: {existing}",
                reason="OPEN_ENTRY_EXISTS",
                metadata={"entry_id": existing or ""},
            ) from None

    async def _transition(
        self,
        *,
        entry_id: str,
        caller: Caller,
        allowed: Sequence[EntryStatus],
        action: str,
        audit_action: str,
        to_status: EntryStatus,
        note_kind: str,
        note: str,
        expected_version: int = 0,
        check: Any = None,
    ) -> EntryView:
        """One state change: version-checked, audited, and written to the change log whenever the
        set of listed digests changes (only an ACTIVE entry lists its digests)."""
        now = self._clock.now()
        listing_changed: list[bool] = []

        def change(session: Session) -> EntryView:
            row = session.get(store.EntryRow, entry_id)
            if row is None:
                raise NotFound("no such entry", reason="ENTRY_NOT_FOUND")
            if expected_version and row.version != expected_version:
                raise Conflict(
                    f"entry is at version {row.version}, not {expected_version}",
                    metadata={"entry_id": entry_id, "version": str(row.version)},
                )
            status = EntryStatus(row.status)
            if status in LISTED_STATUSES and not is_listed(status, row.listed_until, now):
                status = EntryStatus.EXPIRED
            require_status(entry_id, status, allowed, action)
            if check is not None:
                check(row, now)
            subjects = session.scalars(select(store.SubjectRow).where(store.SubjectRow.entry_id == entry_id)).all()
            # Every change to the entry row happens before the next query, so that it is written in
            # one UPDATE and its version moves by exactly one.
            before, new_version = row.status, row.version + 1
            row.status = to_status.value
            row.updated_at = now
            note_record = {"kind": note_kind, "author": caller.label, "text": note, "at": now.isoformat()}
            row.notes = [*row.notes, note_record]
            if to_status is EntryStatus.ACTIVE and row.listed_from is None:
                row.listed_from = now
                row.listed_until = None if row.permanent else (row.requested_until or listing_end(now, self._policy))
                row.appeal_deadline = appeal_deadline(now, self._policy)
            for subject in subjects:
                subject.is_open = to_status in OPEN_STATUSES
            listing = to_status in LISTED_STATUSES
            if any(s.is_listed != listing for s in subjects):
                for subject in subjects:
                    subject.is_listed = listing
                listing_changed.append(True)
                store.append_change(
                    session,
                    kind="LISTED" if listing else "UNLISTED",
                    entry_id=entry_id,
                    digests=[s.subject_digest for s in subjects],
                    at=now,
                )
            append_audit(
                session,
                store.AUDIT,
                at=now,
                actor=caller.label,
                action=audit_action,
                subject=entry_id,
                payload={"from": before, "to": row.status, "version": new_version},
            )
            session.flush()
            return self._view(session, row, caller)

        try:
            view = await self._db.run(change)
        except StaleDataError:
            raise Conflict("the entry changed meanwhile; read it again", metadata={"entry_id": entry_id}) from None
        if listing_changed:
            await self._follower.catch_up()  # this replica answers lookups with the change at once
        return view

    def _check_entry_id(self, entry_id: str, extra: list[FieldViolation] | None = None) -> None:
        violations = list(extra or [])
        check_identifier(violations, "entry_id", entry_id)
        require(violations)

    async def review_entry(self, *, entry_id: str, approve: bool | None, note: str, expected_version: int) -> EntryView:
        caller = require_caller(Role.REVIEWER)
        violations: list[FieldViolation] = []
        if approve is None:
            violations.append(FieldViolation("decision", "must be APPROVE or REJECT", "REQUIRED"))
        check_text(violations, "note", note, max_length=_MAX_TEXT, required=False)
        self._check_entry_id(entry_id, violations)
        return await self._transition(
            entry_id=entry_id,
            caller=caller,
            allowed=(EntryStatus.PENDING_REVIEW,),
            action="review",
            audit_action="APPROVED" if approve else "REJECTED",
            to_status=EntryStatus.ACTIVE if approve else EntryStatus.REJECTED,
            note_kind="REVIEW",
            note=note,
            expected_version=expected_version,
        )

    async def file_appeal(self, *, entry_id: str, statement: str, evidence_refs: Sequence[str]) -> EntryView:
        caller = require_caller(Role.PLATFORM, Role.REVIEWER, Role.ADMIN)
        violations: list[FieldViolation] = []
        check_text(violations, "statement", statement, max_length=_MAX_TEXT)
        for i, ref in enumerate(evidence_refs):
            check_text(violations, f"evidence_refs[{i}]", ref, max_length=512)
        self._check_entry_id(entry_id, violations)

        def within_window(row: store.EntryRow, now: datetime) -> None:
            if row.appeal_deadline is not None and now >= row.appeal_deadline:
                raise FailedPrecondition(
                    "the appeal window has closed",
                    reason="APPEAL_WINDOW_CLOSED",
                    violations=[
                        PreconditionViolation("DEADLINE", entry_id, f"closed at {row.appeal_deadline.isoformat()}")
                    ],
                )

        text = statement + ("\nevidence: " + ", ".join(evidence_refs) if evidence_refs else "")
        return await self._transition(
            entry_id=entry_id,
            caller=caller,
            allowed=(EntryStatus.ACTIVE,),
            action="appeal",
            audit_action="APPEAL_FILED",
            to_status=EntryStatus.APPEALED,
            note_kind="APPEAL",
            note=text,
            check=within_window,
        )

    async def resolve_appeal(
        self, *, entry_id: str, uphold: bool | None, note: str, expected_version: int
    ) -> EntryView:
        caller = require_caller(Role.REVIEWER)
        violations: list[FieldViolation] = []
        if uphold is None:
            violations.append(FieldViolation("decision", "must be UPHOLD or DISMISS", "REQUIRED"))
        check_text(violations, "note", note, max_length=_MAX_TEXT, required=False)
        self._check_entry_id(entry_id, violations)
        return await self._transition(
            entry_id=entry_id,
            caller=caller,
            allowed=(EntryStatus.APPEALED,),
            action="resolve the appeal of",
            audit_action="APPEAL_UPHELD" if uphold else "APPEAL_DISMISSED",
            to_status=EntryStatus.LIFTED if uphold else EntryStatus.ACTIVE,
            note_kind="APPEAL_RESOLUTION",
            note=note,
            expected_version=expected_version,
        )

    async def lift_entry(self, *, entry_id: str, reason: str) -> EntryView:
        caller = require_caller(Role.PLATFORM, Role.REVIEWER, Role.ADMIN)
        violations: list[FieldViolation] = []
        check_text(violations, "reason", reason, max_length=_MAX_TEXT)
        self._check_entry_id(entry_id, violations)

        def owner_or_reviewer(row: store.EntryRow, now: datetime) -> None:
            require_caller(Role.PLATFORM, Role.REVIEWER, Role.ADMIN, platform_id=row.platform_id)

        return await self._transition(
            entry_id=entry_id,
            caller=caller,
            allowed=(EntryStatus.ACTIVE, EntryStatus.APPEALED, EntryStatus.PENDING_REVIEW),
            action="lift",
            audit_action="LIFTED",
            to_status=EntryStatus.LIFTED,
            note_kind="LIFT",
            note=reason,
            check=owner_or_reviewer,
        )

    async def expire_due(self) -> int:
        """Mark listings (active or under appeal) past their period EXPIRED (lookups ignore them already) and
        log the change."""
        now = self._clock.now()

        def expire(session: Session) -> list[str]:
            # Locked, skipping rows another transaction is changing (a lift, an appeal): that change wins, and
            # a row it leaves ACTIVE and due is taken by the next run. Unlocked, the sweep would wait on the
            # row and then fail the whole batch on its changed version.
            rows = session.scalars(
                select(store.EntryRow)
                .where(
                    store.EntryRow.status.in_([status.value for status in LISTED_STATUSES]),
                    store.EntryRow.listed_until <= now,
                )
                .limit(500)
                .with_for_update(skip_locked=True)
            ).all()
            for row in rows:
                new_version, row_status = row.version + 1, row.status
                row.status = EntryStatus.EXPIRED.value
                row.updated_at = now
                subjects = session.scalars(select(store.SubjectRow).where(store.SubjectRow.entry_id == row.id)).all()
                for subject in subjects:
                    subject.is_open = subject.is_listed = False
                store.append_change(
                    session, kind="UNLISTED", entry_id=row.id, digests=[s.subject_digest for s in subjects], at=now
                )
                append_audit(
                    session,
                    store.AUDIT,
                    at=now,
                    actor="system:expiry",
                    action="EXPIRED",
                    subject=row.id,
                    payload={"from": row_status, "to": "EXPIRED", "version": new_version},
                )
            return [r.id for r in rows]

        expired = await self._db.run(expire)
        if expired:
            await self._follower.catch_up()
        return len(expired)

    # --- reads --------------------------------------------------------------------------------

    async def get_entry(self, *, entry_id: str) -> EntryView:
        caller = require_caller()
        self._check_entry_id(entry_id)

        def read(session: Session) -> EntryView:
            row = session.get(store.EntryRow, entry_id)
            if row is None:
                raise NotFound("no such entry", reason="ENTRY_NOT_FOUND")
            return self._view(session, row, caller)

        return await self._db.read(read)

    async def list_entries(
        self,
        *,
        status: EntryStatus | None,
        category: Category | None,
        source_platform_id: str,
        subject_digest: str,
        page_size_requested: int,
        page_token: str,
    ) -> tuple[list[EntryView], str]:
        caller = require_caller()
        violations: list[FieldViolation] = []
        check_identifier(violations, "source_platform_id", source_platform_id, required=False)
        if subject_digest:
            check_digests(violations, "subject_digest", [subject_digest])
        size = page_size(violations, "page_size", page_size_requested)
        require(violations)
        offset = decode_page_token(page_token)

        def read(session: Session) -> list[EntryView]:
            query = select(store.EntryRow)
            if status is not None:
                query = query.where(store.EntryRow.status == status.value)
            if category is not None:
                query = query.where(store.EntryRow.category == category.value)
            if source_platform_id:
                query = query.where(store.EntryRow.platform_id == source_platform_id)
            if subject_digest:
                query = query.where(
                    store.EntryRow.id.in_(
                        select(store.SubjectRow.entry_id).where(store.SubjectRow.subject_digest == subject_digest)
                    )
                )
            rows = session.scalars(
                query.order_by(store.EntryRow.created_at.desc(), store.EntryRow.id).offset(offset).limit(size + 1)
            ).all()
            return [self._view(session, row, caller) for row in rows]

        views = await self._db.read(read)
        return views[:size], encode_page_token(offset + size) if len(views) > size else ""

    async def lookup(self, *, subject_digests: Sequence[str]) -> list[LookupView]:
        """One view per digest, in order. Only digests the in-memory index holds cost a database read
        (a hit may be a 64-bit collision, an expired period or a change not followed yet)."""
        require_caller()
        violations: list[FieldViolation] = []
        check_digests(violations, "subject_digests", subject_digests)
        require(violations)
        index = self._follower.index
        if len(subject_digests) == 1:  # the sign-up path: skip numpy's per-call overhead
            if not index.contains(digest_key(subject_digests[0])):
                _lookups.add(1, _NOT_LISTED)
                return [LookupView(subject_digests[0], False)]
            candidates = list(subject_digests)
        else:
            hits = index.contains_many(digest_keys(subject_digests))
            candidates = sorted({d for d, hit in zip(subject_digests, hits, strict=True) if hit})
        found: dict[str, LookupView] = {}
        if candidates:
            now = self._clock.now()
            rows = await self._db.read(lambda s: store.listed_matches(s, digests=candidates, now=now))
            for digest, entry_id, category, listed_until in rows:
                current = found.get(digest)
                # Several listings of one person: report the one that lasts longest.
                if current is None or (
                    current.listed_until is not None and (listed_until is None or listed_until > current.listed_until)
                ):
                    found[digest] = LookupView(digest, True, entry_id, Category(category), listed_until)
        if found:
            _lookups.add(len(found), _LISTED)
        if len(subject_digests) > len(found):
            _lookups.add(len(subject_digests) - len(found), _NOT_LISTED)
        return [found.get(d) or LookupView(d, False) for d in subject_digests]

    async def lookup_by_prefix(self, *, prefixes: Sequence[str]) -> list[LookupView]:
        require_caller()
        violations: list[FieldViolation] = []
        if not prefixes:
            violations.append(FieldViolation("prefixes", "at least one prefix is required", "REQUIRED"))
        elif len(prefixes) > 100:
            violations.append(FieldViolation("prefixes", "at most 100 per call", "TOO_MANY"))
        for i, prefix in enumerate(prefixes[:101]):
            check_prefix(violations, f"prefixes[{i}]", prefix)
        require(violations)
        now = self._clock.now()

        def read(session: Session) -> list[LookupView]:
            out: dict[tuple[str, str], LookupView] = {}
            for prefix in dict.fromkeys(prefixes):
                low, high = prefix_key_range(prefix)
                for digest, entry_id, category, until in store.listed_in_key_range(
                    session, low=low, high=high, now=now
                ):
                    out[(digest, entry_id)] = LookupView(digest, True, entry_id, Category(category), until)
            return list(out.values())

        return await self._db.read(read)

    async def list_changes(self, *, since_version: int, page_size_requested: int) -> tuple[list[ChangeView], int]:
        require_caller()
        violations: list[FieldViolation] = []
        if since_version < 0:
            violations.append(FieldViolation("since_version", "must not be negative", "OUT_OF_RANGE"))
        size = page_size(violations, "page_size", page_size_requested)
        require(violations)

        def read(session: Session) -> tuple[list[ChangeView], int]:
            rows = store.changes_since(session, since_version, size)
            views = [ChangeView(r.version, r.kind, r.entry_id, tuple(r.subject_digests), r.at) for r in rows]
            if views:
                return views, views[-1].version
            # Nothing newer: since_version, or the log's own end if that is lower (the log was reset or restored
            # from a backup), so that a follower can tell it must start over.
            return views, min(since_version, store.latest_version(session))

        return await self._db.read(read)

    async def watch_changes(self, *, since_version: int, poll_seconds: float = 0.5) -> AsyncIterator[ChangeView]:
        """Every change after ``since_version``, then new ones as they commit, until cancelled."""
        require_caller()
        if since_version < 0:
            require([FieldViolation("since_version", "must not be negative", "OUT_OF_RANGE")])
        version = since_version
        while True:
            changes, _ = await self.list_changes(since_version=version, page_size_requested=500)
            for change in changes:
                yield change
                version = change.version
            if len(changes) < 500:
                await self._follower.wait_for_change(poll_seconds)

    async def get_filter(self) -> FilterView:
        """The current filter in one piece; FAILED_PRECONDITION when it cannot fit one message."""
        require_caller()
        view = await self._current_filter()
        size = len(view.data)
        if size + _MESSAGE_OVERHEAD > self._max_message_bytes:
            raise FailedPrecondition(
                f"the filter ({size:,} bytes, {view.item_count:,} digests) is larger than one message may be "
                f"({self._max_message_bytes:,} bytes): download it with StreamFilter",
                reason="FILTER_TOO_LARGE",
                metadata={
                    "size_bytes": str(size),
                    "max_message_bytes": str(self._max_message_bytes),
                    "use_rpc": _STREAM_FILTER,
                },
                violations=[PreconditionViolation("SIZE", "filter", f"use {_STREAM_FILTER}, which sends it in chunks")],
            )
        return view

    async def stream_filter(self) -> FilterView:
        """The current filter at any size; the caller sends it in ``filter_chunk_bytes`` pieces."""
        require_caller()
        return await self._current_filter()

    async def _current_filter(self) -> FilterView:
        """The filter of the latest change version, built once per version and shared by every caller."""
        version = await self._db.read(store.latest_version)
        if self._filter is not None and self._filter.version == version:
            return self._filter
        async with self._filter_lock:
            if self._filter is not None and self._filter.version == version:
                return self._filter

            def build(session: Session) -> FilterView:
                # Read and built in one pass on the database thread: the digests never sit in one list
                # (10 million of them would take over a gigabyte).
                version = store.latest_version(session)
                expected = store.count_listed(session)
                fed = 0

                def digests() -> Iterator[str]:
                    nonlocal fed
                    for chunk in store.listed_digest_chunks(session):
                        fed += len(chunk)
                        yield from chunk

                # Sized for at least the rows counted; a listing committed between the count and the read
                # only nudges the false-positive rate.
                data = build_filter(digests(), expected_items=max(expected, 1000))
                return FilterView(data, version, hashlib.sha256(data).hexdigest(), fed, FALSE_POSITIVE_RATE)

            self._filter = await self._db.read(build)
            return self._filter

    async def verify_audit_log(self) -> Any:
        require_caller(Role.REVIEWER, Role.ADMIN)
        return await self._db.read(lambda s: verify_audit(s, store.AUDIT))
