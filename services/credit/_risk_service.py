"""Risk use cases: assess a segment (and a running session), and turn HIGH signals into credit events
for the account, idempotently."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from livetrust.clock import Clock
from livetrust.errors import FieldViolation, InvalidArgument, require
from livetrust.runtime import Role, require_caller
from livetrust.validation import check_identifier

from ._risk import Assessment, Product, RiskEngine, RiskLevel, Segment, SessionState, SignalType, escalate
from ._scoring import Complaint, ComplaintCategory
from ._service import CreditService, EventInput

__all__ = ["RiskService", "SegmentInput"]

_MAX_TEXT = 200_000
_MAX_COMMENTS = 500
_CATEGORY = {
    SignalType.OFF_PLATFORM_LURE: ComplaintCategory.OFF_PLATFORM_TRANSACTION,
    SignalType.ABSOLUTE_CLAIM: ComplaintCategory.FALSE_ADVERTISING,
    SignalType.PRICE_FRAUD: ComplaintCategory.PRICE_FRAUD,
    SignalType.MINOR_UNSUITABLE: ComplaintCategory.MINOR_PROTECTION,
}


@dataclass(frozen=True, slots=True)
class SegmentInput:
    platform_id: str
    account_id: str
    room_id: str
    session_id: str
    transcript: str
    comments: tuple[str, ...]
    product: tuple[str, float, float, tuple[float, ...]] | None
    """(title, claimed original price, live price, price history); prices of 0 mean "not given"."""
    segment_id: str


class RiskService:
    def __init__(self, *, engine: RiskEngine, credit: CreditService, clock: Clock) -> None:
        self._engine = engine
        self._credit = credit
        self._clock = clock

    def _segment(self, item: SegmentInput) -> Segment:
        violations: list[FieldViolation] = []
        for name in ("platform_id", "account_id", "room_id", "session_id"):
            check_identifier(violations, name, getattr(item, name))
        check_identifier(violations, "segment_id", item.segment_id, required=False)
        if len(item.transcript) > _MAX_TEXT:
            violations.append(FieldViolation("transcript", f"at most {_MAX_TEXT} characters", "TOO_LONG"))
        if len(item.comments) > _MAX_COMMENTS or sum(map(len, item.comments)) > _MAX_TEXT:
            violations.append(
                FieldViolation("comments", f"at most {_MAX_COMMENTS} comments, {_MAX_TEXT} characters", "TOO_LONG")
            )
        if not item.transcript.strip() and not item.comments and item.product is None:
            violations.append(FieldViolation("transcript", "nothing to assess", "REQUIRED"))
        require(violations)
        product = None
        if item.product is not None:
            title, claimed, live, history = item.product
            try:
                product = Product(title, claimed or None, live or None, history)
            except InvalidArgument as exc:
                raise InvalidArgument(
                    [FieldViolation(f"product.{v.field}", v.description, v.reason) for v in exc.violations]
                ) from None
        return Segment(item.transcript, item.comments, product)

    async def assess(self, item: SegmentInput) -> Assessment:
        require_caller(Role.PLATFORM, Role.REVIEWER, Role.ADMIN, platform_id=item.platform_id)
        segment = self._segment(item)
        assessment = self._engine.assess(segment)
        if assessment.risk_level is RiskLevel.HIGH:
            await self._record_high(item, assessment)
        return assessment

    async def assess_in_session(
        self, item: SegmentInput, state: SessionState | None, *, warning_acknowledged: bool
    ) -> tuple[Assessment, SessionState, object]:
        assessment = await self.assess(item)
        next_state, measure = escalate(state, assessment, warning_acknowledged=warning_acknowledged)
        return assessment, next_state, measure

    async def _record_high(self, item: SegmentInput, assessment: Assessment) -> None:
        """One verified complaint from the model per HIGH signal; a resent segment counts once."""
        segment_key = item.segment_id or _content_key(item)
        now = self._clock.now()
        events: Sequence[EventInput] = [
            EventInput(
                event_id=f"risk:{item.session_id}:{segment_key}:{signal.rule_id}:{signal.source}:{signal.start}"[:128],
                platform_id=item.platform_id,
                account_id=item.account_id,
                occurred_at=now,
                body=Complaint(_CATEGORY[signal.type], f"risk-model:{signal.rule_id}"[:128], True),
            )
            for signal in assessment.signals
            if signal.severity is RiskLevel.HIGH
        ]
        if events:
            await self._credit.record_events(events=events)


def _content_key(item: SegmentInput) -> str:
    digest = hashlib.sha256()
    for part in (item.transcript, *item.comments, repr(item.product)):
        digest.update(part.encode())
        digest.update(b"\x00")
    return digest.hexdigest()[:24]
