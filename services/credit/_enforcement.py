"""Enforcement use cases: apply (with the ladder), lift, list, active restrictions, regulator reports.
Side effects on the blacklist and retention go through the transactional outbox."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from livetrust.blacklist.v1 import blacklist_pb2
from livetrust.clock import Clock
from livetrust.errors import FailedPrecondition, FieldViolation, NotFound, PreconditionViolation, require
from livetrust.retention.v1 import retention_pb2
from livetrust.runtime import (
    Database,
    OutboxRelay,
    Role,
    append_audit,
    enqueue,
    require_caller,
    serialize_writes,
    verify_audit,
)
from livetrust.validation import check_identifier, check_text, decode_page_token, encode_page_token, page_size

from . import _storage as store
from ._ladder import (
    BLACKLIST_MEASURES,
    HOLD_FROM,
    PROVINCIAL_MEASURES,
    Ladder,
    MeasureType,
    PastMeasure,
    Restrictions,
    escalate,
    report_documents,
    restrictions,
)
from ._scoring import ScoreResult
from ._service import CreditService

__all__ = ["PLACE_LEGAL_HOLD", "SUBMIT_BLACKLIST_ENTRY", "EnforcementService", "MeasureView", "Report"]

#: The blacklist's limits on an entry's evidence (services/blacklist/_service.py), which every measure
#: that may end up on the blacklist must meet.
_MAX_EVIDENCE_REFS = 50
_MAX_EVIDENCE_REF_LENGTH = 512

#: Outbox destinations.
SUBMIT_BLACKLIST_ENTRY = "blacklist.SubmitEntry"
PLACE_LEGAL_HOLD = "retention.PlaceLegalHold"


@dataclass(frozen=True, slots=True)
class MeasureView:
    row: store.MeasureRow
    status: str  # ACTIVE, LIFTED, EXPIRED


@dataclass(frozen=True, slots=True)
class Report:
    jsonl: str
    csv: str
    count: int
    audit_intact: bool

    @property
    def jsonl_sha256(self) -> str:
        return hashlib.sha256(self.jsonl.encode()).hexdigest()

    @property
    def csv_sha256(self) -> str:
        return hashlib.sha256(self.csv.encode()).hexdigest()


def _status(row: store.MeasureRow, now: datetime) -> str:
    if row.lifted_at is not None:
        return "LIFTED"
    if row.ends_at is not None and now >= row.ends_at:
        return "EXPIRED"
    return "ACTIVE"


class EnforcementService:
    def __init__(
        self, *, db: Database, clock: Clock, ladder: Ladder, credit: CreditService, relay: OutboxRelay | None = None
    ) -> None:
        self._db = db
        self._clock = clock
        self._ladder = ladder
        self._credit = credit
        self._relay = relay

    async def apply_measure(
        self,
        *,
        platform_id: str,
        account_id: str,
        room_id: str,
        measure: MeasureType | None,
        reason: str,
        rule_id: str,
        evidence_refs: Sequence[str],
        duration_days: int,
        subject_digest: str,
        request_id: str,
    ) -> MeasureView:
        caller = require_caller(Role.PLATFORM, Role.REVIEWER, Role.ADMIN, platform_id=platform_id)
        violations: list[FieldViolation] = []
        check_identifier(violations, "platform_id", platform_id)
        check_identifier(violations, "account_id", account_id)
        check_identifier(violations, "room_id", room_id, required=False)
        check_identifier(violations, "request_id", request_id, required=False)
        if measure is None:
            violations.append(FieldViolation("measure", "one of the enforcement measures", "REQUIRED"))
        check_text(violations, "reason", reason, max_length=2000)
        check_identifier(violations, "rule_id", rule_id)
        if not evidence_refs:
            violations.append(FieldViolation("evidence_refs", "a measure needs its evidence", "REQUIRED"))
        # The blacklist's own limits: a ban it would refuse must be refused here, or its outbox delivery
        # fails forever and the person is never listed.
        if len(evidence_refs) > _MAX_EVIDENCE_REFS:
            violations.append(FieldViolation("evidence_refs", f"at most {_MAX_EVIDENCE_REFS}", "TOO_MANY"))
        for i, ref in enumerate(evidence_refs):
            check_text(violations, f"evidence_refs[{i}]", ref, max_length=_MAX_EVIDENCE_REF_LENGTH)
        if not 0 <= duration_days <= 3650:
            violations.append(FieldViolation("duration_days", "0 to 3650", "OUT_OF_RANGE"))
        needs_digest = measure in BLACKLIST_MEASURES
        if needs_digest and (
            len(subject_digest) != 64
            or subject_digest != subject_digest.lower()
            or any(c not in "0123456789abcdef" for c in subject_digest)
        ):
            violations.append(
                FieldViolation(
                    "subject_digest", "64 lowercase hex characters for bans and blacklisting", "DIGEST_FORMAT"
                )
            )
        require(violations)
        assert measure is not None
        now = self._clock.now()

        def apply(session: Session) -> MeasureView:
            # The ladder escalates on the account's earlier measures: measures for one account are
            # applied one at a time, so each sees the ones before it (PostgreSQL; SQLite writers are
            # serial already).
            serialize_writes(session, f"credit:measures:{platform_id}:{account_id}")
            if request_id:
                earlier = session.scalars(
                    select(store.MeasureRow).where(
                        store.MeasureRow.platform_id == platform_id, store.MeasureRow.request_id == request_id
                    )
                ).first()
                if earlier is not None:
                    return MeasureView(earlier, _status(earlier, now))
            history = [
                PastMeasure(r.measure_id, MeasureType[r.measure], r.starts_at)
                for r in session.scalars(
                    select(store.MeasureRow).where(
                        store.MeasureRow.platform_id == platform_id,
                        store.MeasureRow.account_id == account_id,
                        # A measure voided by an upheld appeal is no earlier violation.
                        store.MeasureRow.lifted_on_appeal.is_not(True),
                    )
                )
            ]
            applied, escalation = escalate(measure, history, now=now, ladder=self._ladder)
            days = duration_days or self._ladder.default_duration_days.get(applied, 0)
            row = store.MeasureRow(
                measure_id=str(uuid.uuid4()),
                platform_id=platform_id,
                account_id=account_id,
                room_id=room_id,
                requested=measure.name,
                measure=applied.name,
                escalation=escalation,
                reason=reason.strip(),
                rule_id=rule_id,
                evidence_refs=list(evidence_refs),
                duration_days=days,
                starts_at=now,
                ends_at=now + timedelta(days=days) if days else None,
                subject_digest=subject_digest if needs_digest else "",
                appeal_route=self._ladder.appeal_route,
                request_id=request_id or None,
                lift_reason="",
            )
            session.add(row)
            if applied in BLACKLIST_MEASURES or measure in BLACKLIST_MEASURES:
                entry = blacklist_pb2.SubmitEntryRequest(
                    platform_id=platform_id,
                    subject_digests=[subject_digest],
                    category=blacklist_pb2.CATEGORY_SERIOUS_VIOLATION,
                    reason=reason.strip(),
                    legal_basis=f"{rule_id}; enforcement measure {applied.name} ({row.measure_id})",
                    evidence_refs=list(evidence_refs),
                )
                # The listed person is told the listing period: the measure's own, or else the registry's
                # default period. Never permanent from here: a listing ends when its period ends.
                if row.ends_at is not None:
                    entry.listed_until.FromDatetime(row.ends_at)
                enqueue(
                    session,
                    store.OUTBOX,
                    destination=SUBMIT_BLACKLIST_ENTRY,
                    dedup_key=f"bl:{row.measure_id}",
                    payload=entry.SerializeToString(),
                    now=now,
                )
            if applied.value >= HOLD_FROM.value:
                hold = retention_pb2.PlaceLegalHoldRequest(
                    platform_id=platform_id,
                    case_id=f"enforcement:{row.measure_id}",
                    reason=f"{applied.name}: {reason.strip()}"[:1000],
                )
                if room_id:
                    hold.room_id = room_id
                else:
                    hold.account_id = account_id
                enqueue(
                    session,
                    store.OUTBOX,
                    destination=PLACE_LEGAL_HOLD,
                    dedup_key=f"hold:{row.measure_id}",
                    payload=hold.SerializeToString(),
                    now=now,
                )
            append_audit(
                session,
                store.AUDIT,
                at=now,
                actor=caller.label,
                action="MEASURE_APPLIED",
                subject=row.measure_id,
                payload={
                    "measure": applied.name,
                    "requested": measure.name,
                    "account": account_id,
                    "rule": rule_id,
                    "escalation": escalation,
                    "days": days,
                },
            )
            session.flush()
            return MeasureView(row, _status(row, now))

        try:
            view = await self._db.run(apply)
        except IntegrityError:  # the same request_id raced in
            view = await self._db.run(apply)
        if self._relay is not None:
            self._relay.wake()
        return view

    async def lift_measure(
        self, *, platform_id: str, measure_id: str, reason: str, appeal_upheld: bool = False
    ) -> MeasureView:
        """Lift an active measure. ``appeal_upheld``: the measure was wrong, so the ladder forgets it
        ("an upheld appeal refunds"); a measure lifted for any other reason still counts as a repeat."""
        caller = require_caller(Role.PLATFORM, Role.REVIEWER, Role.ADMIN, platform_id=platform_id)
        violations: list[FieldViolation] = []
        check_identifier(violations, "platform_id", platform_id)
        check_identifier(violations, "measure_id", measure_id)
        check_text(violations, "reason", reason, max_length=2000)
        require(violations)
        now = self._clock.now()

        def lift(session: Session) -> MeasureView:
            row = session.get(store.MeasureRow, measure_id, with_for_update=True)
            if row is None or row.platform_id != platform_id:
                raise NotFound("no such measure", reason="MEASURE_NOT_FOUND")
            status = _status(row, now)
            if status != "ACTIVE":
                raise FailedPrecondition(
                    f"the measure is {status}",
                    reason="MEASURE_NOT_ACTIVE",
                    violations=[PreconditionViolation("STATUS", measure_id, status)],
                )
            row.lifted_at, row.lift_reason, row.lifted_on_appeal = now, reason.strip(), appeal_upheld
            append_audit(
                session,
                store.AUDIT,
                at=now,
                actor=caller.label,
                action="MEASURE_LIFTED",
                subject=measure_id,
                payload={"reason": reason.strip(), "appeal_upheld": appeal_upheld},
            )
            return MeasureView(row, "LIFTED")

        return await self._db.run(lift)

    async def list_measures(
        self,
        *,
        platform_id: str,
        account_id: str,
        period_start: datetime | None,
        period_end: datetime | None,
        page_size_requested: int,
        page_token: str,
    ) -> tuple[list[MeasureView], str]:
        require_caller(Role.PLATFORM, Role.REVIEWER, Role.ADMIN, platform_id=platform_id)
        violations: list[FieldViolation] = []
        check_identifier(violations, "platform_id", platform_id)
        check_identifier(violations, "account_id", account_id, required=False)
        if not account_id and (period_start is None or period_end is None):
            violations.append(FieldViolation("account_id", "name an account or a whole period", "REQUIRED"))
        if period_start and period_end and period_end <= period_start:
            violations.append(FieldViolation("period_end", "must be after period_start", "OUT_OF_RANGE"))
        size = page_size(violations, "page_size", page_size_requested)
        require(violations)
        offset = decode_page_token(page_token)
        now = self._clock.now()
        m = store.MeasureRow

        def read(session: Session) -> list[MeasureView]:
            query = select(m).where(m.platform_id == platform_id)
            if account_id:
                query = query.where(m.account_id == account_id)
            if period_start is not None:
                query = query.where(m.starts_at >= period_start)
            if period_end is not None:
                query = query.where(m.starts_at < period_end)
            rows = session.scalars(query.order_by(m.starts_at, m.measure_id).offset(offset).limit(size + 1)).all()
            return [MeasureView(r, _status(r, now)) for r in rows]

        views = await self._db.run(read)
        return views[:size], encode_page_token(offset + size) if len(views) > size else ""

    async def active_restrictions(
        self, *, platform_id: str, account_id: str
    ) -> tuple[Restrictions, list[MeasureView], ScoreResult]:
        require_caller(Role.PLATFORM, Role.REVIEWER, Role.ADMIN, Role.SERVICE, platform_id=platform_id)
        violations: list[FieldViolation] = []
        check_identifier(violations, "platform_id", platform_id)
        check_identifier(violations, "account_id", account_id)
        require(violations)
        now = self._clock.now()
        m = store.MeasureRow
        rows = await self._db.run(
            lambda s: s.scalars(
                select(m).where(m.platform_id == platform_id, m.account_id == account_id, m.lifted_at.is_(None))
            ).all()
        )
        active = [MeasureView(r, "ACTIVE") for r in rows if _status(r, now) == "ACTIVE"]
        result = await self._credit.current_result(platform_id=platform_id, account_id=account_id)
        merged = restrictions(
            (MeasureType[v.row.measure] for v in active),
            band_go_live=result.entitlements.go_live,
            band_promotion=result.entitlements.promotion_traffic,
            band=result.band,
        )
        return merged, active, result

    async def export_report(
        self, *, platform_id: str, period_start: datetime | None, period_end: datetime | None, provincial: bool | None
    ) -> Report:
        require_caller(Role.PLATFORM, Role.REVIEWER, Role.ADMIN, platform_id=platform_id)
        violations: list[FieldViolation] = []
        check_identifier(violations, "platform_id", platform_id)
        if period_start is None:
            violations.append(FieldViolation("period_start", "is required", "REQUIRED"))
        if period_end is None:
            violations.append(FieldViolation("period_end", "is required", "REQUIRED"))
        elif period_start is not None and period_end <= period_start:
            violations.append(FieldViolation("period_end", "must be after period_start", "OUT_OF_RANGE"))
        if provincial is None:
            violations.append(FieldViolation("level", "COUNTY or PROVINCIAL", "REQUIRED"))
        require(violations)
        now = self._clock.now()
        m = store.MeasureRow

        def read(session: Session) -> Report:
            rows = session.scalars(
                select(m).where(m.platform_id == platform_id, m.starts_at >= period_start, m.starts_at < period_end)
            ).all()
            if provincial:
                rows = [r for r in rows if MeasureType[r.measure] in PROVINCIAL_MEASURES]
            records = [
                {
                    "measure_id": r.measure_id,
                    "platform_id": r.platform_id,
                    "account_id": r.account_id,
                    "room_id": r.room_id,
                    "measure": r.measure,
                    "requested": r.requested,
                    "escalation": r.escalation,
                    "rule_id": r.rule_id,
                    "reason": r.reason,
                    "evidence_refs": list(r.evidence_refs),
                    "starts_at": r.starts_at.isoformat(),
                    "ends_at": r.ends_at.isoformat() if r.ends_at else None,
                    "duration_days": r.duration_days,
                    "status": _status(r, now),
                    "lifted_at": r.lifted_at.isoformat() if r.lifted_at else None,
                    "lifted_on_appeal": r.lifted_on_appeal,
                    "lift_reason": r.lift_reason,
                    "appeal_route": r.appeal_route,
                }
                for r in rows
            ]
            jsonl, csv_text = report_documents(records)
            return Report(jsonl, csv_text, len(records), verify_audit(session, store.AUDIT).intact)

        return await self._db.run(read)
