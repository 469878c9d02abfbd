"""The credit service's use cases: recording events into incremental aggregates, explainable scores,
entitlements and public status, overturns, models and re-scoring, room tiers (with the outbox that
tells retention about key rooms). Keyword-only methods; the servicer translates."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from opentelemetry import metrics
from sqlalchemy import and_, func, or_, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from livetrust.clock import Clock
from livetrust.errors import FieldViolation, InvalidArgument, NotFound, require
from livetrust.runtime import Database, OutboxRelay, Role, enqueue, require_caller
from livetrust.validation import check_identifier, check_text, decode_page_token, encode_page_token, page_size

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
    complaint_weight,
    contributions,
    replay_detailed,
    score,
)
from ._tiering import RoomMetrics, Tier, TierPolicy, tier_for

__all__ = ["SET_ROOM_TIER", "CreditService", "EventInput", "EventResultView", "RoomView", "ScoreView"]

_log = logging.getLogger("livetrust.credit")
_recorded = metrics.get_meter("livetrust").create_counter(
    "livetrust.credit.events", description="Credit events received, by outcome"
)
#: Outbox destination: retention's SetRoomTier.
SET_ROOM_TIER = "retention.SetRoomTier"
MAX_BATCH = 1000
_FUTURE_TOLERANCE = timedelta(minutes=5)


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
    return [
        {"key": c.key, "amount": c.amount, "at": c.at.isoformat(), "half_life_days": c.half_life_days} for c in items
    ]


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

    # --- the model ----------------------------------------------------------------------------

    def _active_card(self, session: Session) -> Scorecard:
        row = session.scalars(select(store.ModelRow).where(store.ModelRow.active.is_(True))).first()
        card = Scorecard.from_dict(row.document) if row is not None else Scorecard.default()
        self._card = card
        return card

    # --- events -------------------------------------------------------------------------------

    def _validate(self, item: EventInput, now: datetime) -> list[FieldViolation]:
        violations = list(item.violations)
        check_identifier(violations, "event_id", item.event_id)
        check_identifier(violations, "platform_id", item.platform_id)
        check_identifier(violations, "account_id", item.account_id)
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
        card = self._active_card(session)
        keys = [(item.platform_id, item.event_id) for _, item in accepted]
        existing = set(
            session.execute(
                select(store.EventRow.platform_id, store.EventRow.event_id).where(
                    tuple_(store.EventRow.platform_id, store.EventRow.event_id).in_(keys)
                )
            ).all()
        )
        outcomes: dict[int, str] = {}
        by_account: dict[tuple[str, str], list[EventInput]] = {}
        for i, item in accepted:
            if (item.platform_id, item.event_id) in existing:
                outcomes[i] = "DUPLICATE"
                continue
            outcomes[i] = "NEW"
            by_account.setdefault((item.platform_id, item.account_id), []).append(item)
        # Accounts are locked in one global order, so concurrent batches sharing accounts cannot deadlock.
        for (platform_id, account_id), items in sorted(by_account.items()):
            self._apply_to_account(session, card, platform_id, account_id, items, now)
        return outcomes

    def _account(
        self, session: Session, platform_id: str, account_id: str, card: Scorecard, now: datetime
    ) -> store.AccountRow:
        row = session.scalars(
            select(store.AccountRow)
            .where(store.AccountRow.platform_id == platform_id, store.AccountRow.account_id == account_id)
            .with_for_update()
        ).first()
        if row is None:
            empty = Aggregates.from_dict({})
            result = score(empty, card, as_of=now)
            row = store.AccountRow(
                platform_id=platform_id,
                account_id=account_id,
                aggregates=empty.to_dict(),
                event_count=0,
                model_version=card.version,
                score=result.score,
                band=result.band,
                label=result.label,
                inputs_hash=result.inputs_hash,
                computed_at=now,
            )
            session.add(row)
            session.flush()
        return row

    def _event_contributions(
        self, session: Session, card: Scorecard, platform_id: str, account_id: str, event: Event
    ) -> list[Contribution]:
        """One event's effect, with the bookkeeping :func:`replay_detailed` does over a whole history:
        reporter weights against the cap, and the first standing outcome of each complaint."""
        body = event.body
        if isinstance(body, Complaint):
            weight_row = session.get(store.ReporterWeightRow, (platform_id, account_id, body.reporter_id))
            so_far = weight_row.weight if weight_row else 0.0
            made = list(contributions(event, card=card, reporter_weight_so_far=so_far))
            if weight_row is None:
                session.add(
                    store.ReporterWeightRow(
                        platform_id=platform_id,
                        account_id=account_id,
                        reporter_id=body.reporter_id,
                        weight=complaint_weight(made),
                    )
                )
            else:
                weight_row.weight = so_far + complaint_weight(made)
            return made
        if isinstance(body, PlatformOutcome):
            ref = session.get(store.EventRow, (platform_id, body.complaint_event_id))
            if ref is None or ref.kind != "complaint" or ref.overturned_at is not None or ref.account_id != account_id:
                return list(contributions(event, card=card))  # only its own severity points count
            standing = ref.body.get("_standing")
            counted = complaint_weight(_contributions_from(ref.contributions))
            made = list(
                contributions(
                    event,
                    card=card,
                    referenced=_event_from_row(ref),
                    referenced_was_upheld=standing == Outcome.UPHELD.value,
                    referenced_weight=0.0 if standing == Outcome.DISMISSED.value else counted,
                )
            )
            if standing is None:
                ref.body = {**ref.body, "_standing": body.outcome.value}
            return made
        return list(contributions(event, card=card))

    def _apply_to_account(
        self,
        session: Session,
        card: Scorecard,
        platform_id: str,
        account_id: str,
        items: list[EventInput],
        now: datetime,
    ) -> None:
        account = self._account(session, platform_id, account_id, card, now)
        aggregates = Aggregates.from_dict(account.aggregates)
        old_band = account.band
        for item in sorted(items, key=lambda e: e.occurred_at or now):
            assert item.occurred_at is not None
            event = Event(item.event_id, item.occurred_at, item.body)
            made = self._event_contributions(session, card, platform_id, account_id, event)
            aggregates = aggregates.apply(made)
            session.add(
                store.EventRow(
                    platform_id=platform_id,
                    event_id=item.event_id,
                    account_id=account_id,
                    kind=_kind(item.body),
                    occurred_at=item.occurred_at,
                    recorded_at=now,
                    body=_body_to_json(item.body),
                    contributions=_contribution_dicts(made),
                    model_version=card.version,
                    overturn_reason="",
                )
            )
        account.event_count += len(items)
        self._store_score(account, aggregates, card, now)
        if account.band != old_band:
            self._retier_account_rooms(session, platform_id, account_id, account.band, now)

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

        return await self._db.run(read)

    async def current_result(self, *, platform_id: str, account_id: str) -> ScoreResult:
        """The account's score now, for other use cases of this service (no caller check here)."""
        now = self._clock.now()

        def read(session: Session) -> ScoreResult:
            card = self._card or self._active_card(session)
            row = session.get(store.AccountRow, (platform_id, account_id))
            return score(Aggregates.from_dict(row.aggregates if row else {}), card, as_of=now)

        return await self._db.run(read)

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

        return await self._db.run(read)

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
        import json

        try:
            card = Scorecard.from_dict(json.loads(model_json))
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

        aggregates, count = await self._db.run(rebuild)
        return ScoreView(score(aggregates, card, as_of=now), now, count)

    async def publish_model(self, *, model_json: str) -> store.RescoreJobRow:
        require_caller(Role.ADMIN)
        card = self.parse_model(model_json)
        now = self._clock.now()

        def publish(session: Session) -> store.RescoreJobRow:
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
        job = await self._db.run(lambda s: s.get(store.RescoreJobRow, job_id))
        if job is None:
            raise NotFound("no such job", reason="JOB_NOT_FOUND")
        return job

    async def run_rescore_jobs(self, *, batch: int = 500) -> int:
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
        model = session.get(store.ModelRow, job.model_version)
        assert model is not None
        card = Scorecard.from_dict(model.document)
        now = self._clock.now()
        after = (job.cursor_platform, job.cursor_account)
        accounts = session.scalars(
            select(store.AccountRow)
            .where(
                or_(
                    store.AccountRow.platform_id > after[0],
                    and_(store.AccountRow.platform_id == after[0], store.AccountRow.account_id > after[1]),
                )
            )
            .order_by(store.AccountRow.platform_id, store.AccountRow.account_id)
            .limit(batch)
        ).all()
        for account in accounts:
            aggregates = _rebuild(session, card, account.platform_id, account.account_id, store_state=True)
            old_band = account.band
            self._store_score(account, aggregates, card, now)
            if account.band != old_band:
                self._retier_account_rooms(session, account.platform_id, account.account_id, account.band, now)
        job.processed += len(accounts)
        if accounts:
            job.cursor_platform, job.cursor_account = accounts[-1].platform_id, accounts[-1].account_id
        if len(accounts) < batch:
            job.status, job.finished_at = "DONE", now
            job.total = max(job.total, job.processed)
        _log.info("rescore progress", extra={"job_id": job.job_id, "processed": job.processed, "total": job.total})
        return len(accounts)

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
        rooms = session.scalars(
            select(store.RoomRow).where(
                store.RoomRow.platform_id == platform_id, store.RoomRow.account_id == account_id
            )
        ).all()
        for room in rooms:
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
        room = await self._db.run(lambda s: s.get(store.RoomRow, (platform_id, room_id)))
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
        rows = await self._db.run(
            lambda s: s.scalars(
                select(store.RoomRow)
                .where(store.RoomRow.platform_id == platform_id, store.RoomRow.tier == Tier.KEY.value)
                .order_by(store.RoomRow.room_id)
                .offset(offset)
                .limit(size + 1)
            ).all()
        )
        return [_room_view(r) for r in rows[:size]], encode_page_token(offset + size) if len(rows) > size else ""


def _metrics(room: store.RoomRow) -> RoomMetrics:
    return RoomMetrics(room.followers, room.views, room.gmv, tuple(room.product_categories), room.window_days)


def _room_view(room: store.RoomRow) -> RoomView:
    return RoomView(room.platform_id, room.room_id, room.account_id, Tier(room.tier), tuple(room.reasons), room.since)


def _kind(body: Any) -> str:
    return {
        "Review": "review",
        "Complaint": "complaint",
        "PlatformOutcome": "platform_outcome",
        "RegulatorNotice": "regulator_notice",
    }[type(body).__name__]


def _event_from_row(row: store.EventRow) -> Event:
    from . import _scoring as scoring

    data = {k: v for k, v in row.body.items() if not k.startswith("_")}
    if row.kind == "review":
        body: Any = scoring.Review(**data)
    elif row.kind == "complaint":
        body = scoring.Complaint(scoring.ComplaintCategory(data["category"]), data["reporter_id"], data["verified"])
    elif row.kind == "platform_outcome":
        body = scoring.PlatformOutcome(
            data["complaint_event_id"], scoring.Outcome(data["outcome"]), scoring.Severity(data["severity"])
        )
    else:
        body = scoring.RegulatorNotice(scoring.Severity(data["severity"]), data["authority"])
    return Event(row.event_id, row.occurred_at, body)


def _rebuild(
    session: Session, card: Scorecard, platform_id: str, account_id: str, *, store_state: bool = False
) -> Aggregates:
    """An account's aggregates recomputed from its standing events under ``card`` (simulation,
    re-scoring, overturns). With ``store_state`` the events' contributions, the complaints' standing
    outcomes and the reporter weights are rewritten to match, so later increments stay consistent."""
    rows = session.scalars(
        select(store.EventRow)
        .where(
            store.EventRow.platform_id == platform_id,
            store.EventRow.account_id == account_id,
            store.EventRow.overturned_at.is_(None),
        )
        .order_by(store.EventRow.recorded_at, store.EventRow.occurred_at, store.EventRow.event_id)
    ).all()
    rebuilt = replay_detailed((_event_from_row(r) for r in rows), card=card)
    if store_state:
        for row in rows:
            body = {k: v for k, v in row.body.items() if k != "_standing"}
            if row.event_id in rebuilt.standing:
                body["_standing"] = rebuilt.standing[row.event_id].value
            row.body = body
            row.contributions = _contribution_dicts(rebuilt.contributions.get(row.event_id, ()))
            row.model_version = card.version
        existing = {
            r.reporter_id: r
            for r in session.scalars(
                select(store.ReporterWeightRow).where(
                    store.ReporterWeightRow.platform_id == platform_id, store.ReporterWeightRow.account_id == account_id
                )
            )
        }
        for reporter_id, row in existing.items():
            row.weight = rebuilt.reporter_weights.get(reporter_id, 0.0)
    return rebuilt.aggregates
