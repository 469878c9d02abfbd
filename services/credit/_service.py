"""The credit service's use cases: recording events into incremental aggregates, explainable scores,
entitlements and public status, overturns, models and re-scoring, room tiers (with the outbox that
tells retention about key rooms). Keyword-only methods; the servicer translates."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from opentelemetry import metrics
from sqlalchemy import JSON, Insert, Table, Text, Update, and_, bindparam, cast, column, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from livetrust.clock import Clock
from livetrust.errors import FieldViolation, InvalidArgument, NotFound, require
from livetrust.runtime import Database, OutboxRelay, Role, UtcDateTime, enqueue, require_caller, serialize_writes
from livetrust.validation import (
    MAX_IDENTIFIER,
    check_identifier,
    check_text,
    decode_page_token,
    encode_page_token,
    page_size,
)

from . import _storage as store
from ._scoring import (
    Aggregates,
    Complaint,
    Contribution,
    Event,
    Outcome,
    PlatformOutcome,
    Scorecard,
    ScoreResult,
    ScoreSummary,
    complaint_weight,
    contributions,
    replay_detailed,
    score,
    score_summary,
)
from ._tiering import RoomMetrics, Tier, TierPolicy, tier_for

__all__ = ["RESCORE_BATCH", "SET_ROOM_TIER", "CreditService", "EventInput", "EventResultView", "RoomView", "ScoreView"]

_log = logging.getLogger("livetrust.credit")
_recorded = metrics.get_meter("livetrust").create_counter(
    "livetrust.credit.events", description="Credit events received, by outcome"
)
#: Outbox destination: retention's SetRoomTier.
SET_ROOM_TIER = "retention.SetRoomTier"
MAX_BATCH = 1000
#: Accounts a re-scoring job rewrites per transaction (and per progress step).
RESCORE_BATCH = 1000
_FUTURE_TOLERANCE = timedelta(minutes=5)
#: The longest model_json accepted: the default scorecard is about 3 KiB, so this leaves ample room.
_MAX_MODEL_JSON_LENGTH = 64 * 1024
_K = TypeVar("_K")


@dataclass(frozen=True, slots=True)
class EventInput:
    """One event as received; ``body`` None means the kind was missing or unknown."""

    event_id: str
    platform_id: str
    account_id: str
    occurred_at: datetime | None
    body: Any
    violations: tuple[FieldViolation, ...] = ()
    """Problems found while translating it (bad enum values, ...)."""


@dataclass(frozen=True, slots=True)
class EventResultView:
    event_id: str
    outcome: str  # NEW, DUPLICATE, REJECTED
    violations: tuple[FieldViolation, ...] = ()


@dataclass(frozen=True, slots=True)
class ScoreView:
    result: ScoreResult
    computed_at: datetime
    event_count: int


@dataclass(frozen=True, slots=True)
class RoomView:
    platform_id: str
    room_id: str
    account_id: str
    tier: Tier
    reasons: tuple[str, ...]
    since: datetime


def _contribution_dicts(items: Sequence[Contribution]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    at, iso = None, ""
    for c in items:
        if c.at is not at:  # an event's contributions mostly share one instant: format it once
            at, iso = c.at, c.at.isoformat()
        out.append({"key": c.key, "amount": c.amount, "at": iso, "half_life_days": c.half_life_days})
    return out


def _contributions_json(items: Sequence[Contribution]) -> _Json:
    """``json.dumps(_contribution_dicts(items))``, the same text, written directly (an event's contributions
    are most of what a batch encodes); through the encoder when a number is not a float."""
    out: list[str] = []
    at, iso = None, ""
    for c in items:
        amount, half_life = c.amount, c.half_life_days
        if amount.__class__ is not float or not (half_life is None or half_life.__class__ is float):
            return _Json(json.dumps(_contribution_dicts(items)))
        if c.at is not at:
            at, iso = c.at, _json_string(c.at.isoformat())
        days = "null" if half_life is None else float.__repr__(half_life)
        key = _json_string(c.key)
        out.append(f'{{"key": {key}, "amount": {float.__repr__(amount)}, "at": {iso}, "half_life_days": {days}}}')
    return _Json("[" + ", ".join(out) + "]")


class _Json:
    """A JSON column's value already encoded: :func:`_insert_rows` and :func:`_update_rows` store the text
    as it is (encoding it again would make it a JSON string)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


_json_string = json.encoder.encode_basestring_ascii  # a string as json.dumps writes it (ensure_ascii)


def _contributions_from(items: Sequence[dict[str, Any]]) -> list[Contribution]:
    return [Contribution(i["key"], i["amount"], datetime.fromisoformat(i["at"]), i["half_life_days"]) for i in items]


def _body_to_json(body: Any) -> dict[str, Any]:
    data = {k: getattr(body, k) for k in body.__dataclass_fields__}
    return {k: (v.value if hasattr(v, "value") else v) for k, v in data.items()}


class CreditService:
    def __init__(
        self, *, db: Database, clock: Clock, tier_policy: TierPolicy, relay: OutboxRelay | None = None
    ) -> None:
        self._db = db
        self._clock = clock
        self._tier_policy = tier_policy
        self._relay = relay
        self._card: Scorecard | None = None
        self._models: dict[str, Scorecard] = {}

    # --- the model ----------------------------------------------------------------------------

    def _active_card(self, session: Session) -> Scorecard:
        row = session.scalars(select(store.ModelRow).where(store.ModelRow.active.is_(True))).first()
        card = Scorecard.from_dict(row.document) if row is not None else Scorecard.default()
        self._card = card
        return card

    # --- events -------------------------------------------------------------------------------

    def _validate(self, item: EventInput, now: datetime) -> list[FieldViolation]:
        violations = list(item.violations)
        for field, value in (
            ("event_id", item.event_id),
            ("platform_id", item.platform_id),
            ("account_id", item.account_id),
        ):
            if not _plain_identifier(value):
                check_identifier(violations, field, value)
        if item.occurred_at is None:
            violations.append(FieldViolation("occurred_at", "is required", "REQUIRED"))
        elif item.occurred_at > now + _FUTURE_TOLERANCE:
            violations.append(FieldViolation("occurred_at", "must not be in the future", "IN_FUTURE"))
        if item.body is None and not item.violations:
            violations.append(
                FieldViolation("kind", "one of review, complaint, platform_outcome, regulator_notice", "REQUIRED")
            )
        return violations

    async def record_events(self, *, events: Sequence[EventInput]) -> list[EventResultView]:
        if not events:
            raise InvalidArgument([FieldViolation("events", "at least one event is required", "REQUIRED")])
        if len(events) > MAX_BATCH:
            raise InvalidArgument([FieldViolation("events", f"at most {MAX_BATCH} per call", "TOO_MANY")])
        now = self._clock.now()
        results: list[EventResultView | None] = [None] * len(events)
        accepted: list[tuple[int, EventInput]] = []
        seen: set[tuple[str, str]] = set()
        for i, item in enumerate(events):
            violations = self._validate(item, now)
            if violations:
                prefixed = tuple(FieldViolation(f"events[{i}].{v.field}", v.description, v.reason) for v in violations)
                results[i] = EventResultView(item.event_id, "REJECTED", prefixed)
            elif (item.platform_id, item.event_id) in seen:  # twice in one batch
                results[i] = EventResultView(item.event_id, "DUPLICATE")
            else:
                seen.add((item.platform_id, item.event_id))
                accepted.append((i, item))
        if accepted:
            for attempt in range(3):
                try:
                    outcomes = await self._db.run(lambda s: self._record(s, accepted, now))
                    break
                except IntegrityError:
                    # A concurrent copy of some event committed first: the next pass sees it as a duplicate.
                    if attempt == 2:
                        raise
            for i, outcome in outcomes.items():
                results[i] = EventResultView(events[i].event_id, outcome)
            if self._relay is not None:
                self._relay.wake()
        final = [r for r in results if r is not None]
        for r in final:
            _recorded.add(1, {"outcome": r.outcome})
        return final

    def _record(self, session: Session, accepted: list[tuple[int, EventInput]], now: datetime) -> dict[int, str]:
        """Set-based: a few statements per batch whatever its size. Existing events and the touched
        accounts are read in bulk, contributions and scores computed in memory (each account scored
        once, no ORM objects), and events, aggregates and reporter weights written in bulk."""
        card = self._active_card(session)
        postgres = self._db.dialect == "postgresql"
        existing = _existing_events(session, [(item.platform_id, item.event_id) for _, item in accepted])
        outcomes = {i: "DUPLICATE" for i, item in accepted if (item.platform_id, item.event_id) in existing}
        fresh = [(i, item) for i, item in accepted if i not in outcomes]
        if not fresh:
            return outcomes
        # Each event's row, and what it adds unless the accounts' bookkeeping decides (complaints and
        # outcomes: the ledger, read under the locks), made before waiting for the accounts' locks.
        prepared = {i: _prepare(item, card, now) for i, item in fresh}
        keys = sorted({(e.platform_id, e.account_id) for _, e in fresh})
        accounts = self._lock_accounts(session, card, keys, now, create=False)
        if postgres:
            # A copy of some event committed while this transaction waited for its accounts' locks.
            late = _existing_events(session, [(item.platform_id, item.event_id) for _, item in fresh])
            if late:
                outcomes.update({i: "DUPLICATE" for i, item in fresh if (item.platform_id, item.event_id) in late})
                fresh = [(i, item) for i, item in fresh if i not in outcomes]
        outcomes.update({i: "NEW" for i, _ in fresh})
        by_account: dict[tuple[str, str], list[tuple[int, EventInput]]] = {}
        for i, item in fresh:
            by_account.setdefault((item.platform_id, item.account_id), []).append((i, item))
        ledger = _Ledger.load(session, [item for _, item in fresh])
        event_rows: list[dict[str, Any]] = []
        account_rows: list[dict[str, Any]] = []
        new_account_rows: list[dict[str, Any]] = []  # SQLite: accounts without a row yet
        changed: list[tuple[str, str, str]] = []
        # The same order as the locks: accounts sorted, each account's events by when they happened.
        for (platform_id, account_id), items in sorted(by_account.items()):
            made_all: list[Contribution] = []
            for i, _ in sorted(items, key=lambda e: e[1].occurred_at or now):
                event, body, made, row = prepared[i]
                if made is None:
                    made = ledger.contributions(card, platform_id, account_id, event, body)
                    row["contributions"] = _contributions_json(made)
                made_all.extend(made)
                event_rows.append(row)
            state = accounts[(platform_id, account_id)]
            aggregates = Aggregates.from_dict(state.aggregates).apply(made_all)
            result = score_summary(aggregates, card, as_of=now)
            (account_rows if state.stored else new_account_rows).append(
                _account_values(platform_id, account_id, aggregates, result, now, state.event_count + len(items))
            )
            if result.band != state.band:
                changed.append((platform_id, account_id, result.band))
        # Events go in plainly, not ON CONFLICT DO NOTHING: a copy that still slipped in (the same
        # event id under another account, committed meanwhile) raises IntegrityError, and the retry
        # sees it as a duplicate instead of counting its contributions twice.
        _insert_rows(session, store.EventRow.__table__, event_rows)
        _insert_rows(session, store.AccountRow.__table__, new_account_rows)
        _update_accounts(session, account_rows)
        ledger.write(session)
        self._retier_accounts(session, changed, now)
        return outcomes

    def _lock_accounts(
        self,
        session: Session,
        card: Scorecard,
        keys: Sequence[tuple[str, str]],
        now: datetime,
        *,
        create: bool = True,
    ) -> dict[tuple[str, str], _AccountState]:
        """The accounts' aggregate rows, created when missing and, on PostgreSQL, locked.

        Missing rows are inserted first and then every row is locked, each step in ``keys`` order (sorted):
        concurrent batches sharing accounts wait for each other instead of deadlocking, and a copy of an
        account row inserted concurrently counts once (ON CONFLICT DO NOTHING waits for it to commit).
        On SQLite, without ``create`` a missing row is left for the caller to insert (``stored`` False)."""
        if self._db.dialect != "postgresql":
            # SQLite: this transaction holds the database's write lock from its start (BEGIN IMMEDIATE),
            # so the rows are read once and the missing ones known without reading them back.
            states = {
                (p, a): _AccountState(agg, count, band) for p, a, agg, count, band in _select_accounts(session, keys)
            }
            missing = [k for k in keys if k not in states]
            if missing:
                rows, state = _new_accounts(card, missing if create else [], now)
                if create:
                    _insert_rows(session, store.AccountRow.__table__, rows)
                else:
                    state.stored = False
                states.update(dict.fromkeys(missing, state))  # never changed: one state serves them all
            return states
        rows, _ = _new_accounts(card, [("", "")], now)
        _insert_missing_accounts(session, keys, rows[0])
        return {
            (p, a): _AccountState(agg, count, band)
            for p, a, agg, count, band in _select_accounts(session, keys, lock=True)
        }

    def _account(
        self, session: Session, platform_id: str, account_id: str, card: Scorecard, now: datetime
    ) -> store.AccountRow:
        """One account as an ORM row, locked (overturns); created when missing."""
        self._lock_accounts(session, card, [(platform_id, account_id)], now)
        row = session.get(store.AccountRow, (platform_id, account_id))
        assert row is not None
        return row

    def _store_score(
        self, account: store.AccountRow, aggregates: Aggregates, card: Scorecard, now: datetime
    ) -> ScoreResult:
        result = score(aggregates, card, as_of=now)
        account.aggregates = aggregates.to_dict()
        account.model_version = card.version
        account.score, account.band, account.label = result.score, result.band, result.label
        account.inputs_hash, account.computed_at = result.inputs_hash, now
        return result

    # --- reads --------------------------------------------------------------------------------

    async def get_score(self, *, platform_id: str, account_id: str) -> ScoreView:
        """Computed from the stored aggregates at this instant: the same cost for 10 or 10^6 events."""
        require_caller(Role.PLATFORM, Role.REVIEWER, Role.ADMIN, platform_id=platform_id)
        violations: list[FieldViolation] = []
        check_identifier(violations, "platform_id", platform_id)
        check_identifier(violations, "account_id", account_id)
        require(violations)
        now = self._clock.now()

        def read(session: Session) -> ScoreView:
            card = self._card or self._active_card(session)
            row = session.get(store.AccountRow, (platform_id, account_id))
            aggregates = Aggregates.from_dict(row.aggregates if row else {})
            return ScoreView(score(aggregates, card, as_of=now), now, row.event_count if row else 0)

        return await self._db.read(read)

    async def current_result(self, *, platform_id: str, account_id: str) -> ScoreResult:
        """The account's score now, for other use cases of this service (no caller check here)."""
        now = self._clock.now()

        def read(session: Session) -> ScoreResult:
            card = self._card or self._active_card(session)
            row = session.get(store.AccountRow, (platform_id, account_id))
            return score(Aggregates.from_dict(row.aggregates if row else {}), card, as_of=now)

        return await self._db.read(read)

    async def get_public_status(self, *, platform_id: str, account_id: str) -> ScoreView:
        violations: list[FieldViolation] = []
        check_identifier(violations, "platform_id", platform_id)
        check_identifier(violations, "account_id", account_id)
        require(violations)
        now = self._clock.now()

        def read(session: Session) -> ScoreView:
            row = session.get(store.AccountRow, (platform_id, account_id))
            if row is None:
                raise NotFound("no credit record for this account", reason="ACCOUNT_NOT_FOUND")
            card = self._card or self._active_card(session)
            return ScoreView(score(Aggregates.from_dict(row.aggregates), card, as_of=now), now, row.event_count)

        return await self._db.read(read)

    # --- overturn -----------------------------------------------------------------------------

    async def overturn_event(self, *, platform_id: str, event_id: str, reason: str) -> tuple[bool, ScoreView]:
        require_caller(Role.PLATFORM, Role.REVIEWER, Role.ADMIN, platform_id=platform_id)
        violations: list[FieldViolation] = []
        check_identifier(violations, "platform_id", platform_id)
        check_identifier(violations, "event_id", event_id)
        check_text(violations, "reason", reason, max_length=1000)
        require(violations)
        now = self._clock.now()

        def overturn(session: Session) -> tuple[bool, ScoreView]:
            row = session.get(store.EventRow, (platform_id, event_id))
            if row is None:
                raise NotFound("no such event", reason="EVENT_NOT_FOUND")
            card = self._active_card(session)
            account = self._account(session, platform_id, row.account_id, card, now)
            # Read the event again under the account's lock, which every writer of it holds: a concurrent
            # overturn that committed meanwhile must be seen, or its effect would be removed twice.
            session.refresh(row)
            if row.overturned_at is not None:
                return False, ScoreView(
                    score(Aggregates.from_dict(account.aggregates), card, as_of=now), now, account.event_count
                )
            row.overturned_at, row.overturn_reason = now, reason.strip()
            if row.model_version != card.version or row.kind == "complaint":
                # Scored under another model, or other events depended on it (its outcomes, its
                # reporter's cap): rebuild the account from its history rather than subtract.
                aggregates = _rebuild(session, card, platform_id, row.account_id, store_state=True)
            else:
                aggregates = Aggregates.from_dict(account.aggregates).apply(
                    _contributions_from(row.contributions), sign=-1
                )
            old_band = account.band
            result = self._store_score(account, aggregates, card, now)
            if account.band != old_band:
                self._retier_account_rooms(session, platform_id, row.account_id, account.band, now)
            return True, ScoreView(result, now, account.event_count)

        done = await self._db.run(overturn)
        if self._relay is not None:
            self._relay.wake()
        return done

    # --- models -------------------------------------------------------------------------------

    def parse_model(self, model_json: str, field: str = "model_json") -> Scorecard:
        # A scorecard is a few KiB; a bound keeps parsing cheap whatever a caller sends.
        if len(model_json) > _MAX_MODEL_JSON_LENGTH:
            raise InvalidArgument([FieldViolation(field, f"at most {_MAX_MODEL_JSON_LENGTH} characters", "TOO_LONG")])
        try:
            card = Scorecard.from_dict(json.loads(model_json))
        except RecursionError:
            # Deep nesting (e.g. "[" * 100000) exhausts the parser's stack: a bad document, not a fault.
            raise InvalidArgument([FieldViolation(field, "nested too deeply", "MODEL_FORMAT")]) from None
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidArgument([FieldViolation(field, f"not a scorecard document: {exc}", "MODEL_FORMAT")]) from None
        problems = card.validate()
        if problems:
            raise InvalidArgument([FieldViolation(f"{field}.{v.field}", v.description, v.reason) for v in problems])
        return card

    async def simulate(self, *, model_json: str, platform_id: str, account_id: str) -> ScoreView:
        require_caller(Role.PLATFORM, Role.REVIEWER, Role.ADMIN, platform_id=platform_id)
        card = self.parse_model(model_json)
        violations: list[FieldViolation] = []
        check_identifier(violations, "platform_id", platform_id)
        check_identifier(violations, "account_id", account_id)
        require(violations)
        now = self._clock.now()

        def rebuild(session: Session) -> tuple[Aggregates, int]:
            account = session.get(store.AccountRow, (platform_id, account_id))
            return _rebuild(session, card, platform_id, account_id), account.event_count if account else 0

        aggregates, count = await self._db.read(rebuild)
        return ScoreView(score(aggregates, card, as_of=now), now, count)

    async def publish_model(self, *, model_json: str) -> store.RescoreJobRow:
        require_caller(Role.ADMIN)
        card = self.parse_model(model_json)
        now = self._clock.now()

        def publish(session: Session) -> store.RescoreJobRow:
            # One publication at a time: two that overlap would each deactivate only the models they
            # saw and leave both new ones active (PostgreSQL; SQLite writers are serial already).
            serialize_writes(session, "credit:models")
            if session.get(store.ModelRow, card.version) is not None:
                raise InvalidArgument(
                    [FieldViolation("model_json.version", "this version was published before", "VERSION_EXISTS")]
                )
            session.execute(update(store.ModelRow).values(active=False))
            session.add(store.ModelRow(version=card.version, document=card.to_dict(), published_at=now, active=True))
            total = session.scalar(select(func.count()).select_from(store.AccountRow)) or 0
            job = store.RescoreJobRow(
                job_id=str(uuid.uuid4()),
                model_version=card.version,
                status="RUNNING",
                processed=0,
                total=total,
                cursor_platform="",
                cursor_account="",
                started_at=now,
            )
            session.add(job)
            session.flush()
            return job

        job = await self._db.run(publish)
        self._card = card
        return job

    async def get_job(self, *, job_id: str) -> store.RescoreJobRow:
        require_caller(Role.ADMIN, Role.REVIEWER)
        job = await self._db.read(lambda s: s.get(store.RescoreJobRow, job_id))
        if job is None:
            raise NotFound("no such job", reason="JOB_NOT_FOUND")
        return job

    async def run_rescore_jobs(self, *, batch: int = RESCORE_BATCH) -> int:
        """Advance every RUNNING job by batches until done; each batch commits with its cursor, so a
        restarted service resumes where it stopped. Returns accounts re-scored."""
        done = 0
        while True:
            step = await self._db.run(lambda s: self._rescore_batch(s, batch))
            if step is None:
                return done
            done += step

    def _rescore_batch(self, session: Session, batch: int) -> int | None:
        job = session.scalars(
            select(store.RescoreJobRow)
            .where(store.RescoreJobRow.status == "RUNNING")
            .order_by(store.RescoreJobRow.started_at)
        ).first()
        if job is None:
            return None
        card = self._model(session, job.model_version)
        now = self._clock.now()
        accounts = _next_accounts(
            session, job.cursor_platform, job.cursor_account, batch, lock=self._db.dialect == "postgresql"
        )
        by_platform: dict[str, list[tuple[str, str]]] = {}
        for platform_id, account_id, band in accounts:
            by_platform.setdefault(platform_id, []).append((account_id, band))
        rows: list[dict[str, Any]] = []
        changed: list[tuple[str, str, str]] = []
        for platform_id, group in by_platform.items():
            rebuilt = _rebuild_accounts(session, card, platform_id, [a for a, _ in group], store_state=True)
            for account_id, old_band in group:
                aggregates = rebuilt[account_id]
                result = score_summary(aggregates, card, as_of=now)
                rows.append(_account_values(platform_id, account_id, aggregates, result, now))
                if result.band != old_band:
                    changed.append((platform_id, account_id, result.band))
        _update_accounts(session, rows)
        self._retier_accounts(session, changed, now)
        job.processed += len(accounts)
        if accounts:
            job.cursor_platform, job.cursor_account = accounts[-1][0], accounts[-1][1]
        if len(accounts) < batch:
            job.status, job.finished_at = "DONE", now
            job.total = max(job.total, job.processed)
        _log.info("rescore progress", extra={"job_id": job.job_id, "processed": job.processed, "total": job.total})
        return len(accounts)

    def _model(self, session: Session, version: str) -> Scorecard:
        """A published model by version (parsed once: a re-scoring job reads it every batch)."""
        card = self._models.get(version)
        if card is None:
            model = session.get(store.ModelRow, version)
            assert model is not None
            card = self._models[version] = Scorecard.from_dict(model.document)
        return card

    # --- rooms --------------------------------------------------------------------------------

    def _set_tier(self, session: Session, room: store.RoomRow, decision: Any, now: datetime) -> None:
        entering_or_leaving_key = (room.tier == Tier.KEY.value) != (decision.tier is Tier.KEY)
        if room.tier != decision.tier.value:
            room.since = now
        room.tier, room.reasons = decision.tier.value, list(decision.reasons)
        if entering_or_leaving_key:
            from livetrust.retention.v1 import retention_pb2

            request = retention_pb2.SetRoomTierRequest(
                platform_id=room.platform_id,
                room_id=room.room_id,
                tier=retention_pb2.ROOM_TIER_KEY if decision.tier is Tier.KEY else retention_pb2.ROOM_TIER_STANDARD,
            )
            request.changed_at.FromDatetime(now)
            enqueue(
                session,
                store.OUTBOX,
                destination=SET_ROOM_TIER,
                dedup_key=f"tier:{room.platform_id}:{room.room_id}:{decision.tier.value}:{now.isoformat()}",
                payload=request.SerializeToString(),
                now=now,
            )

    def _retier_account_rooms(
        self, session: Session, platform_id: str, account_id: str, band: str, now: datetime
    ) -> None:
        self._retier_accounts(session, [(platform_id, account_id, band)], now)

    def _retier_accounts(self, session: Session, changed: Sequence[tuple[str, str, str]], now: datetime) -> None:
        """The rooms of accounts whose band changed, ``(platform, account, new band)``, re-tiered (one
        read of their rooms per platform)."""
        bands = {(p, a): band for p, a, band in changed}
        for platform_id, account_ids in _by_platform(bands).items():
            # Locked, so a room whose metrics are being recorded is read as that call commits it (the
            # tier must follow the stored metrics; PostgreSQL, SQLite writers are serial already).
            rooms = session.scalars(
                select(store.RoomRow)
                .where(store.RoomRow.platform_id == platform_id, store.RoomRow.account_id.in_(sorted(account_ids)))
                .order_by(store.RoomRow.account_id, store.RoomRow.room_id)
                .with_for_update()
            ).all()
            for room in rooms:
                band = bands[(platform_id, room.account_id)]
                self._set_tier(session, room, tier_for(_metrics(room), band, self._tier_policy), now)

    async def record_room_metrics(
        self,
        *,
        platform_id: str,
        room_id: str,
        account_id: str,
        followers: int,
        views: int,
        gmv: float,
        product_categories: Sequence[str],
        window_days: int,
    ) -> RoomView:
        require_caller(Role.PLATFORM, Role.ADMIN, platform_id=platform_id)
        violations: list[FieldViolation] = []
        check_identifier(violations, "platform_id", platform_id)
        check_identifier(violations, "room_id", room_id)
        check_identifier(violations, "account_id", account_id)
        for name, value in (("followers", followers), ("views", views), ("gmv", gmv)):
            if value < 0 or value != value:  # NaN compares unequal to itself
                violations.append(FieldViolation(name, "must be a non-negative number", "OUT_OF_RANGE"))
        if not 1 <= window_days <= 366:
            violations.append(FieldViolation("window_days", "1 to 366 days", "OUT_OF_RANGE"))
        for i, category in enumerate(product_categories):
            check_identifier(violations, f"product_categories[{i}]", category)
        require(violations)
        now = self._clock.now()

        def save(session: Session) -> RoomView:
            # The row lock below cannot cover a room recorded for the first time: concurrent first
            # recordings would both insert it (PostgreSQL; SQLite writers are serial already).
            serialize_writes(session, f"credit:room:{platform_id}:{room_id}")
            room = session.get(store.RoomRow, (platform_id, room_id), with_for_update=True)
            if room is None:
                room = store.RoomRow(
                    platform_id=platform_id, room_id=room_id, tier=Tier.STANDARD.value, reasons=[], since=now
                )
                session.add(room)
            room.account_id, room.followers, room.views, room.gmv = account_id, followers, views, gmv
            room.product_categories, room.window_days, room.updated_at = list(product_categories), window_days, now
            account = session.get(store.AccountRow, (platform_id, account_id))
            self._set_tier(
                session, room, tier_for(_metrics(room), account.band if account else None, self._tier_policy), now
            )
            session.flush()
            return _room_view(room)

        view = await self._db.run(save)
        if self._relay is not None:
            self._relay.wake()
        return view

    async def get_room_tier(self, *, platform_id: str, room_id: str) -> RoomView:
        require_caller(Role.PLATFORM, Role.REVIEWER, Role.ADMIN, platform_id=platform_id)
        room = await self._db.read(lambda s: s.get(store.RoomRow, (platform_id, room_id)))
        if room is None:
            raise NotFound("no metrics recorded for this room", reason="ROOM_NOT_FOUND")
        return _room_view(room)

    async def list_key_rooms(
        self, *, platform_id: str, page_size_requested: int, page_token: str
    ) -> tuple[list[RoomView], str]:
        require_caller(Role.PLATFORM, Role.REVIEWER, Role.ADMIN, platform_id=platform_id)
        violations: list[FieldViolation] = []
        check_identifier(violations, "platform_id", platform_id)
        size = page_size(violations, "page_size", page_size_requested)
        require(violations)
        offset = decode_page_token(page_token)
        rows = await self._db.read(
            lambda s: s.scalars(
                select(store.RoomRow)
                .where(store.RoomRow.platform_id == platform_id, store.RoomRow.tier == Tier.KEY.value)
                .order_by(store.RoomRow.room_id)
                .offset(offset)
                .limit(size + 1)
            ).all()
        )
        return [_room_view(r) for r in rows[:size]], encode_page_token(offset + size) if len(rows) > size else ""


@dataclass(slots=True)
class _AccountState:
    """What a batch of events needs of an account's stored row."""

    aggregates: dict[str, Any]
    event_count: int
    band: str
    stored: bool = True
    """False for an account whose row the batch inserts (SQLite: see :meth:`CreditService._lock_accounts`)."""


@dataclass(slots=True)
class _Complaint:
    """A complaint a platform outcome may refer to: stored, or recorded earlier in the same batch."""

    event_id: str
    account_id: str
    kind: str
    occurred_at: datetime
    body: dict[str, Any]
    """Its stored body; a first standing outcome is written into it (``_standing``)."""
    weight: float
    """What it counted (:func:`complaint_weight` of its contributions)."""
    overturned: bool


class _Ledger:
    """The bookkeeping a batch of events needs beyond the accounts' aggregates, read in bulk and written
    back in bulk: reporters' weights so far (the cap), and the complaints that platform outcomes refer to
    (their standing). It is what :func:`replay_detailed` keeps over a whole history, kept per event."""

    def __init__(self, weights: dict[tuple[str, str, str], float], stored: dict[tuple[str, str], _Complaint]) -> None:
        self._weights = weights
        self._inserted: set[tuple[str, str, str]] = set()
        self._updated: set[tuple[str, str, str]] = set()
        self._stored = stored
        self._batch: dict[tuple[str, str], _Complaint] = {}
        self._standing: set[tuple[str, str]] = set()

    @classmethod
    def load(cls, session: Session, items: Sequence[EventInput]) -> _Ledger:
        reporters: set[tuple[str, str, str]] = set()
        refs: set[tuple[str, str]] = set()
        for item in items:
            if isinstance(item.body, Complaint):
                reporters.add((item.platform_id, item.account_id, item.body.reporter_id))
            elif isinstance(item.body, PlatformOutcome):
                refs.add((item.platform_id, item.body.complaint_event_id))
        weights: dict[tuple[str, str, str], float] = {}
        w = store.ReporterWeightRow
        for platform_id, pairs in _by_platform((p, (a, r)) for p, a, r in reporters).items():
            query = select(w.account_id, w.reporter_id, w.weight).where(
                w.platform_id == platform_id,
                w.account_id.in_(sorted({a for a, _ in pairs})),
                w.reporter_id.in_(sorted({r for _, r in pairs})),
            )
            for account_id, reporter_id, weight in session.execute(query):
                if (platform_id, account_id, reporter_id) in reporters:
                    weights[(platform_id, account_id, reporter_id)] = weight
        stored: dict[tuple[str, str], _Complaint] = {}
        e = store.EventRow
        columns = (
            e.platform_id,
            e.event_id,
            e.account_id,
            e.kind,
            e.occurred_at,
            e.body,
            e.contributions,
            e.overturned_at,
        )
        if not refs:
            queries = []
        elif _postgres(session):
            _, k, on = _keyed(e.__table__, ("platform_id", "event_id"), sorted(refs))
            queries = [select(*columns).join_from(k, e, and_(*on))]
        else:
            queries = [
                select(*columns).where(e.platform_id == platform_id, e.event_id.in_(sorted(ids)))
                for platform_id, ids in _by_platform(refs).items()
            ]
        for query in queries:
            for platform_id, event_id, account_id, kind, occurred_at, body, made, overturned_at in session.execute(
                query
            ):
                stored[(platform_id, event_id)] = _Complaint(
                    event_id,
                    account_id,
                    kind,
                    occurred_at,
                    dict(body),
                    complaint_weight(_contributions_from(made)),
                    overturned_at is not None,
                )
        return cls(weights, stored)

    def contributions(
        self, card: Scorecard, platform_id: str, account_id: str, event: Event, body_json: dict[str, Any]
    ) -> list[Contribution]:
        """One event's effect; ``body_json`` is the body it is stored with (a later outcome in the same
        batch may give it a standing)."""
        body = event.body
        if isinstance(body, Complaint):
            key = (platform_id, account_id, body.reporter_id)
            so_far = self._weights.get(key)
            made = list(contributions(event, card=card, reporter_weight_so_far=so_far or 0.0))
            counted = complaint_weight(made)
            if so_far is None:
                self._inserted.add(key)
            elif key not in self._inserted:
                self._updated.add(key)
            self._weights[key] = (so_far or 0.0) + counted
            self._batch[(platform_id, event.event_id)] = _Complaint(
                event.event_id, account_id, "complaint", event.occurred_at, body_json, counted, False
            )
            return made
        if isinstance(body, PlatformOutcome):
            ref_key = (platform_id, body.complaint_event_id)
            ref = self._batch.get(ref_key) or self._stored.get(ref_key)
            if ref is None or ref.kind != "complaint" or ref.overturned or ref.account_id != account_id:
                return list(contributions(event, card=card))  # only its own severity points count
            standing = ref.body.get("_standing")
            made = list(
                contributions(
                    event,
                    card=card,
                    referenced=_event_from(ref.event_id, ref.kind, ref.occurred_at, ref.body),
                    referenced_was_upheld=standing == Outcome.UPHELD.value,
                    referenced_weight=0.0 if standing == Outcome.DISMISSED.value else ref.weight,
                )
            )
            if standing is None:
                ref.body["_standing"] = body.outcome.value  # in place: a complaint of this batch is not written yet
                if ref_key in self._stored:
                    self._standing.add(ref_key)
            return made
        return list(contributions(event, card=card))

    def write(self, session: Session) -> None:
        def weights(keys: Iterable[tuple[str, str, str]]) -> list[dict[str, Any]]:
            return [
                {"platform_id": p, "account_id": a, "reporter_id": r, "weight": self._weights[(p, a, r)]}
                for p, a, r in sorted(keys)
            ]

        if self._inserted:
            _insert_rows(session, store.ReporterWeightRow.__table__, weights(self._inserted))
        if self._updated:
            _update_rows(session, store.ReporterWeightRow.__table__, weights(self._updated))
        if self._standing:
            _update_rows(
                session,
                store.EventRow.__table__,
                [
                    {"platform_id": p, "event_id": i, "body": self._stored[(p, i)].body}
                    for p, i in sorted(self._standing)
                ],
            )


def _prepare(
    item: EventInput, card: Scorecard, now: datetime
) -> tuple[Event, dict[str, Any], list[Contribution] | None, dict[str, Any]]:
    """An accepted event as the domain sees it, its stored body, its contributions when they do not depend
    on the account's bookkeeping (None for complaints and platform outcomes: :class:`_Ledger` decides),
    and its row (without contributions when None)."""
    assert item.occurred_at is not None
    event = Event(item.event_id, item.occurred_at, item.body)
    body = _body_to_json(item.body)
    made = None if isinstance(item.body, Complaint | PlatformOutcome) else list(contributions(event, card=card))
    row = {
        "platform_id": item.platform_id,
        "event_id": item.event_id,
        "account_id": item.account_id,
        "kind": _kind(item.body),
        "occurred_at": item.occurred_at,
        "recorded_at": now,
        "body": body,
        "contributions": None if made is None else _contributions_json(made),
        "model_version": card.version,
        "overturned_at": None,
        "overturn_reason": "",
    }
    return event, body, made, row


def _plain_identifier(value: str) -> bool:
    """True for an ASCII id that :func:`check_identifier` accepts, cheaply (a batch checks three per
    event): 1 to 128 printable characters without spaces. Anything else goes through the full check."""
    return 0 < len(value) <= MAX_IDENTIFIER and value.isascii() and value.isprintable() and " " not in value


def _by_platform(keys: Iterable[tuple[str, _K]]) -> dict[str, list[_K]]:
    """Keys grouped by platform, platforms in order: one indexed ``platform_id = ? AND x IN (...)`` each."""
    grouped: dict[str, list[_K]] = {}
    for platform_id, key in keys:
        grouped.setdefault(platform_id, []).append(key)
    return dict(sorted(grouped.items()))


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _keyed(
    table: Table, names: Sequence[str], rows: Sequence[Sequence[Any]] | Sequence[Mapping[str, Any]]
) -> tuple[dict[str, Any], Any, list[Any]]:
    """PostgreSQL: ``rows`` (tuples in ``names`` order, or mappings of exactly ``names``) as a relation ``k``
    (``json_to_recordset`` of one JSON parameter, with the types of ``table``'s columns ``names``): its value
    of each column, the relation, and the join condition on them.

    A join leaves the planner estimates from the column statistics rather than from the constants, so it
    looks rows up by primary key even when a platform is missing from stale statistics (with constants it
    may then pick a platform-only index and filter every row of the platform, once per row). One JSON
    document is also far cheaper to send than a parameter per value or an array per column."""
    if rows and isinstance(rows[0], Mapping):
        document = [dict(row) for row in rows]  # type: ignore[call-overload]
    else:
        document = [dict(zip(names, row, strict=True)) for row in rows]
    first = document[0] if document else {}
    # Values encoded already (_Json) go in as text, and are cast back to their column's type below.
    encoded = {name for name in names if isinstance(first.get(name), _Json)}
    for name in names:
        column_type = table.c[name].type
        if name in encoded:
            for item in document:
                item[name] = item[name].text
        elif isinstance(column_type, UtcDateTime):  # stored as UtcDateTime stores them: naive UTC
            last: Any = _NOTHING
            iso = None
            for item in document:
                value = item[name]
                if value is not last:  # a batch stamps most rows with the same instant
                    last = value
                    iso = None if value is None else column_type.process_bind_param(value, None).isoformat()
                item[name] = iso
    relation = (
        func.json_to_recordset(cast(bindparam("k_rows", json.dumps(document), type_=Text), JSON))
        .table_valued(*(column(name, Text if name in encoded else table.c[name].type) for name in names))
        .render_derived(name="k", with_types=True)
    )
    values = {
        name: cast(relation.c[name], table.c[name].type) if name in encoded else relation.c[name] for name in names
    }
    return values, relation, [table.c[name] == values[name] for name in names]


def _existing_events(session: Session, keys: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
    if _postgres(session):
        e = store.EventRow.__table__
        _, k, on = _keyed(e, ("platform_id", "event_id"), sorted(set(keys)))
        query = select(e.c.platform_id, e.c.event_id).join_from(k, e, and_(*on))
        return {(p, i) for p, i in session.connection().execute(query)}
    found: set[tuple[str, str]] = set()
    for platform_id, ids in _by_platform(keys).items():
        rows = _sqlite_select(session, "events", ("event_id",), "event_id", platform_id, sorted(set(ids)))
        found.update((platform_id, event_id) for (event_id,) in rows)
    return found


def _select_accounts(
    session: Session, keys: Sequence[tuple[str, str]], *, lock: bool = False
) -> list[tuple[str, str, dict[str, Any], int, str]]:
    """(platform, account, aggregates, event count, band) of these accounts, in key order; ``lock`` takes
    their row locks in that order (PostgreSQL: SELECT ... FOR UPDATE)."""
    if _postgres(session):
        a = store.AccountRow.__table__
        _, k, on = _keyed(a, ("platform_id", "account_id"), sorted(set(keys)))
        columns = (a.c.platform_id, a.c.account_id, a.c.aggregates, a.c.event_count, a.c.band)
        query = select(*columns).join_from(k, a, and_(*on)).order_by(a.c.platform_id, a.c.account_id)
        result = session.connection().execute(query.with_for_update(of=a) if lock else query)
        return [tuple(row) for row in result]  # type: ignore[misc]
    out: list[tuple[str, str, dict[str, Any], int, str]] = []
    names = ("account_id", "aggregates", "event_count", "band")
    for platform_id, ids in _by_platform(keys).items():
        rows = _sqlite_select(session, "accounts", names, "account_id", platform_id, sorted(set(ids)))
        # The JSON column as SQLAlchemy's SQLite JSON type reads it (NULL stays None).
        out.extend((platform_id, i, None if g is None else json.loads(g), n, b) for i, g, n, b in rows)
    return out


def _sqlite_select(
    session: Session, table: str, columns: Sequence[str], key: str, platform_id: str, ids: Sequence[str]
) -> list[tuple[Any, ...]]:
    """SQLite: ``columns`` of ``table``'s rows of one platform whose ``key`` is in ``ids``, in ``key`` order,
    as the driver returns them (no type processing): one indexed ``platform_id = ? AND key IN (...)``
    without the per-value statement machinery of an expanding IN (most of such a read otherwise)."""
    sql = (
        f"SELECT {', '.join(columns)} FROM {table} WHERE platform_id = ? AND {key} IN ({', '.join('?' * len(ids))}) "
        f"ORDER BY {key}"
    )
    return [tuple(row) for row in session.connection().exec_driver_sql(sql, (platform_id, *ids))]


def _insert_missing_accounts(session: Session, keys: Sequence[tuple[str, str]], values: Mapping[str, Any]) -> None:
    """PostgreSQL: a row of these accounts for each that has none, all alike but for the key (``values``):
    one INSERT ... SELECT from the keys (see _keyed) ... ON CONFLICT DO NOTHING, in key order. A row that
    exists is left alone; one a concurrent transaction is inserting is waited for, then left alone."""
    a = store.AccountRow.__table__
    key, k, _ = _keyed(a, ("platform_id", "account_id"), sorted(set(keys)))
    names = list(values)

    def value(name: str) -> Any:
        if name in key:
            return key[name]
        given = values[name]
        if isinstance(given, _Json):
            return cast(bindparam(f"c_{name}", given.text, type_=Text), a.c[name].type)
        return bindparam(f"c_{name}", given, type_=a.c[name].type)

    query = select(*(value(name) for name in names)).select_from(k)
    session.execute(postgresql.insert(a).from_select(names, query).on_conflict_do_nothing())


def _new_accounts(
    card: Scorecard, keys: Sequence[tuple[str, str]], now: datetime
) -> tuple[list[dict[str, Any]], _AccountState]:
    """The rows of accounts without events (scored once: they are all alike), and their state."""
    empty = Aggregates()
    result = score_summary(empty, card, as_of=now)
    rows = [_account_values(p, a, empty, result, now, 0) for p, a in keys]
    return rows, _AccountState(empty.to_dict(), 0, result.band)


def _next_accounts(
    session: Session, after_platform: str, after_account: str, limit: int, *, lock: bool
) -> list[tuple[str, str, str]]:
    """Up to ``limit`` (platform, account, band) after the cursor, in key order: two index range scans
    (the rest of the cursor's platform, then the platforms after it) rather than one OR that scans."""
    a = store.AccountRow
    columns = (a.platform_id, a.account_id, a.band)
    queries = [
        select(*columns)
        .where(a.platform_id == after_platform, a.account_id > after_account)
        .order_by(a.platform_id, a.account_id),
        select(*columns).where(a.platform_id > after_platform).order_by(a.platform_id, a.account_id),
    ]
    out: list[tuple[str, str, str]] = []
    for query in queries:
        if len(out) >= limit:
            break
        query = query.limit(limit - len(out))
        out.extend(session.execute(query.with_for_update() if lock else query))
    return out


def _account_values(
    platform_id: str,
    account_id: str,
    aggregates: Aggregates,
    result: ScoreSummary,
    now: datetime,
    event_count: int | None = None,
) -> dict[str, Any]:
    """An account row's columns after scoring (``event_count`` left out when None: unchanged)."""
    values: dict[str, Any] = {
        "platform_id": platform_id,
        "account_id": account_id,
        "aggregates": _Json(aggregates.to_json()),
        "model_version": result.model_version,
        "score": result.score,
        "band": result.band,
        "label": result.label,
        "inputs_hash": result.inputs_hash,
        "computed_at": now,
    }
    if event_count is not None:
        values["event_count"] = event_count
    return values


def _update_accounts(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    _update_rows(session, store.AccountRow.__table__, rows)


def _update_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """UPDATE by primary key, one executemany; every row gives the same columns (its key included)."""
    if not rows:
        return
    keys = [c.name for c in table.primary_key.columns]
    columns = [c for c in rows[0] if c not in keys]
    if _postgres(session):
        # One statement joining the rows as arrays: see _keyed.
        values, _, on = _keyed(table, keys + columns, rows)
        session.execute(update(table).values({c: values[c] for c in columns}).where(*on[: len(keys)]))
        return

    def statement() -> Update:
        return (
            update(table)
            .where(*(table.c[k] == bindparam(f"k_{k}") for k in keys))
            .values({c: bindparam(f"v_{c}", type_=table.c[c].type) for c in columns})
        )

    sources = {**{f"k_{k}": k for k in keys}, **{f"v_{c}": c for c in columns}}
    _executemany(session, ("update", table, tuple(columns)), statement, rows, sources)


def _insert_rows(
    session: Session, table: Table, rows: Sequence[Mapping[str, Any]], *, ignore_conflicts: bool = False
) -> None:
    """INSERT rows (every row gives the same columns), in their order; with ``ignore_conflicts`` a row
    whose key exists (or is being inserted by a concurrent transaction, which it waits for) is skipped.
    PostgreSQL: one INSERT ... SELECT from the rows as a JSON document (see _keyed); SQLite: executemany."""
    if not rows:
        return
    names = list(rows[0])
    if _postgres(session):
        values, k, _ = _keyed(table, names, rows)
        statement = postgresql.insert(table).from_select(names, select(*(values[n] for n in names)).select_from(k))
        session.execute(statement.on_conflict_do_nothing() if ignore_conflicts else statement)
        return

    def statement() -> Insert:
        return sqlite.insert(table).on_conflict_do_nothing() if ignore_conflicts else insert(table)

    _executemany(session, ("insert", table, tuple(names), ignore_conflicts), statement, rows)


def _executemany(
    session: Session,
    key: tuple[Any, ...],
    statement: Callable[[], Insert | Update],
    rows: Sequence[Mapping[str, Any]],
    sources: Mapping[str, str] | None = None,
) -> None:
    """``statement()`` for every row in one DB-API ``executemany``: the SQL SQLAlchemy compiles for this
    dialect (casts included; compiled once per ``key``, which names the statement and the row keys),
    each value through its column type's own bind processor, and none of the per-row statement machinery
    of ``Session.execute`` (most of a batch's time otherwise). ``sources`` names the row key of each bound
    parameter whose name differs from it."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    sources = sources or {}
    cached = _COMPILED.get((dialect.name, *key))
    if cached is None:
        compiled = statement().compile(dialect=dialect, column_keys=None if sources else list(rows[0]))
        names = list(compiled.positiontup or compiled.binds)
        binds = tuple((name, compiled.binds[name].type.dialect_impl(dialect)) for name in names)
        cached = _COMPILED[(dialect.name, *key)] = (compiled.string, binds, compiled.positiontup is not None)
    sql, binds, positional = cached
    first = rows[0]
    plan = []
    for name, type_ in binds:
        source = sources.get(name, name)
        process = _last_value_memo(type_, dialect)  # per call: its memo is this batch's
        plan.append((name, source, _encoded_as_is(process) if isinstance(first.get(source), _Json) else process))
    missing = [key for _, key, _ in plan if key not in rows[0]]
    if missing:
        raise ValueError(f"no values for {missing} in {sql}")
    if positional:
        params: list[Any] = [tuple([row[k] if p is None else p(row[k]) for _, k, p in plan]) for row in rows]
    else:
        params = [{n: row[k] if p is None else p(row[k]) for n, k, p in plan} for row in rows]
    connection.exec_driver_sql(sql, params)


def _encoded_as_is(process: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
    """A JSON column's bind processing for values encoded already (:class:`_Json`): their text as it is."""

    def run(value: Any) -> Any:
        if value.__class__ is _Json:
            return value.text
        return value if process is None else process(value)

    return run


def _last_value_memo(type_: Any, dialect: Any) -> Callable[[Any], Any] | None:
    """The type's bind processor, answering again without work for the very object it saw last (a batch
    stamps every row with the same ``now``)."""
    process = type_.bind_processor(dialect)
    if process is None:
        return None
    last: list[Any] = [_NOTHING, None]

    def memo(value: Any) -> Any:
        if value is not last[0]:
            last[0], last[1] = value, process(value)
        return last[1]

    return memo


_NOTHING = object()
#: What _executemany compiled: (dialect, *its key) -> (SQL, (bind name, type) in order, positional).
_COMPILED: dict[tuple[Any, ...], tuple[str, tuple[tuple[str, Any], ...], bool]] = {}


def _metrics(room: store.RoomRow) -> RoomMetrics:
    return RoomMetrics(room.followers, room.views, room.gmv, tuple(room.product_categories), room.window_days)


def _room_view(room: store.RoomRow) -> RoomView:
    return RoomView(room.platform_id, room.room_id, room.account_id, Tier(room.tier), tuple(room.reasons), room.since)


def _kind(body: Any) -> str:
    return _KINDS[type(body).__name__]


_KINDS = {
    "Review": "review",
    "Complaint": "complaint",
    "PlatformOutcome": "platform_outcome",
    "RegulatorNotice": "regulator_notice",
}


def _event_from(event_id: str, kind: str, occurred_at: datetime, stored_body: dict[str, Any]) -> Event:
    """The domain event of a stored row (``_``-prefixed bookkeeping keys of its body left out)."""
    from . import _scoring as scoring

    data = {k: v for k, v in stored_body.items() if not k.startswith("_")}
    if kind == "review":
        body: Any = scoring.Review(**data)
    elif kind == "complaint":
        body = scoring.Complaint(scoring.ComplaintCategory(data["category"]), data["reporter_id"], data["verified"])
    elif kind == "platform_outcome":
        body = scoring.PlatformOutcome(
            data["complaint_event_id"], scoring.Outcome(data["outcome"]), scoring.Severity(data["severity"])
        )
    else:
        body = scoring.RegulatorNotice(scoring.Severity(data["severity"]), data["authority"])
    return Event(event_id, occurred_at, body)


def _rebuild(
    session: Session, card: Scorecard, platform_id: str, account_id: str, *, store_state: bool = False
) -> Aggregates:
    """One account's aggregates recomputed from its standing events (simulation, overturns)."""
    return _rebuild_accounts(session, card, platform_id, [account_id], store_state=store_state)[account_id]


def _rebuild_accounts(
    session: Session, card: Scorecard, platform_id: str, account_ids: Sequence[str], *, store_state: bool = False
) -> dict[str, Aggregates]:
    """Accounts' aggregates recomputed from their standing events under ``card`` (simulation, re-scoring,
    overturns), in one read of their events: ``account_ids`` are best a contiguous run of the platform's
    accounts (a re-scoring batch), as they are read by key range. With ``store_state`` the events'
    contributions, the complaints' standing outcomes and the reporter weights are rewritten to match
    (executemany), so later increments stay consistent."""
    e = store.EventRow
    wanted = set(account_ids)
    low, high = min(wanted), max(wanted)
    in_range = e.account_id == low if low == high else e.account_id.between(low, high)
    query = (
        select(e.account_id, e.event_id, e.kind, e.occurred_at, e.body)
        .where(e.platform_id == platform_id, in_range, e.overturned_at.is_(None))
        .order_by(e.account_id, e.recorded_at, e.occurred_at, e.event_id)
    )
    histories: dict[str, list[tuple[str, str, datetime, dict[str, Any]]]] = {a: [] for a in account_ids}
    for account_id, event_id, kind, at, body in session.execute(query):
        if account_id in wanted:
            histories[account_id].append((event_id, kind, at, body))
    out: dict[str, Aggregates] = {}
    made_rows: list[dict[str, Any]] = []
    body_rows: list[dict[str, Any]] = []
    weights: dict[str, Mapping[str, float]] = {}
    for account_id, rows in histories.items():
        rebuilt = replay_detailed((_event_from(i, k, at, b) for i, k, at, b in rows), card=card)
        out[account_id] = rebuilt.aggregates
        if not store_state:
            continue
        weights[account_id] = rebuilt.reporter_weights
        for event_id, _, _, stored_body in rows:
            body = {k: v for k, v in stored_body.items() if k != "_standing"}
            if event_id in rebuilt.standing:
                body["_standing"] = rebuilt.standing[event_id].value
            if body != stored_body:
                body_rows.append({"platform_id": platform_id, "event_id": event_id, "body": body})
            made = _contribution_dicts(rebuilt.contributions.get(event_id, ()))
            made_rows.append(
                {
                    "platform_id": platform_id,
                    "event_id": event_id,
                    "contributions": made,
                    "model_version": card.version,
                }
            )
    if store_state:
        _update_rows(session, e.__table__, made_rows)
        _update_rows(session, e.__table__, body_rows)
        w = store.ReporterWeightRow
        query = select(w.account_id, w.reporter_id, w.weight).where(
            w.platform_id == platform_id, w.account_id == low if low == high else w.account_id.between(low, high)
        )
        weight_rows = [
            {"platform_id": platform_id, "account_id": a, "reporter_id": r, "weight": new}
            for a, r, old in session.execute(query)
            if a in wanted and (new := weights[a].get(r, 0.0)) != old
        ]
        _update_rows(session, w.__table__, weight_rows)
    return out
