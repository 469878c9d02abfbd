"""gRPC adapter of risk identification: protobuf in, domain call, protobuf out. No rules here."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc

from ._risk import Assessment, Measure, SessionState
from ._risk_service import RiskService, SegmentInput
from .v1 import risk_pb2 as pb
from .v1 import risk_pb2_grpc

__all__ = ["RiskServicer"]


def _input(request: pb.AssessSegmentRequest) -> SegmentInput:
    product = None
    if request.HasField("product"):
        p = request.product
        product = (p.title, p.claimed_original_price, p.live_price, tuple(p.price_history))
    return SegmentInput(
        platform_id=request.platform_id,
        account_id=request.account_id,
        room_id=request.room_id,
        session_id=request.session_id,
        transcript=request.transcript,
        comments=tuple(request.comments),
        product=product,
        segment_id=request.segment_id,
    )


def _measure(value: Measure) -> int:
    return pb.RiskMeasure.Value(f"RISK_MEASURE_{value.name}")


def _assessment(a: Assessment) -> pb.AssessSegmentResponse:
    return pb.AssessSegmentResponse(
        risk_level=pb.RiskLevel.Value(f"RISK_LEVEL_{a.risk_level.name}"),
        signals=[
            pb.Signal(
                type=pb.SignalType.Value(f"SIGNAL_TYPE_{s.type.name}"),
                severity=pb.RiskLevel.Value(f"RISK_LEVEL_{s.severity.name}"),
                rule_id=s.rule_id,
                matched_text=s.matched_text,
                source=s.source,
                start=s.start,
                end=s.end,
            )
            for s in a.signals
        ],
        measure=_measure(a.measure),
        viewer_prompt=a.viewer_prompt,
        minor_reminder=a.minor_reminder,
        rules_version=a.rules_version,
    )


class RiskServicer(risk_pb2_grpc.RiskServiceServicer):
    def __init__(self, service: RiskService) -> None:
        self._service = service

    async def AssessSegment(
        self, request: pb.AssessSegmentRequest, context: grpc.aio.ServicerContext
    ) -> pb.AssessSegmentResponse:
        return _assessment(await self._service.assess(_input(request)))

    async def StreamAssess(
        self, request_iterator: AsyncIterator[pb.StreamAssessRequest], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.StreamAssessResponse]:
        state: SessionState | None = None  # the session lives as long as the stream
        async for request in request_iterator:
            assessment, state, measure = await self._service.assess_in_session(
                _input(request.segment), state, warning_acknowledged=request.warning_acknowledged
            )
            yield pb.StreamAssessResponse(
                assessment=_assessment(assessment),
                session_measure=_measure(measure),  # type: ignore[arg-type]
            )
