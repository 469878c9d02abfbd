"""Risk identification over gRPC: assessments, HIGH signals as idempotent credit events, sessions."""

from __future__ import annotations

import grpc
import pytest

from livetrust.credit.v1 import credit_pb2, risk_pb2, risk_pb2_grpc
from tests.credit.test_credit_service import credit, me  # noqa: F401  (fixture)

LURE = "想要更便宜的加我微信 wx123456，私下转账给你打八折"


def segment(text: str, segment_id: str = "", session: str = "live-1") -> risk_pb2.AssessSegmentRequest:
    return risk_pb2.AssessSegmentRequest(
        platform_id="plat-a",
        account_id="acct-1",
        room_id="room-1",
        session_id=session,
        transcript=text,
        segment_id=segment_id,
    )


async def test_assess_segment_and_high_signals_become_credit_events_once(credit) -> None:  # noqa: F811
    stub, config, _, _ = credit
    risk = risk_pb2_grpc.RiskServiceStub(stub.channel)
    quiet = await risk.AssessSegment(segment("今天这款衬衫38码有货，平台客服随时在线"), metadata=me(config))
    assert quiet.risk_level == risk_pb2.RISK_LEVEL_LOW and not quiet.signals
    hit = await risk.AssessSegment(segment(LURE, "seg-1"), metadata=me(config))
    assert hit.risk_level == risk_pb2.RISK_LEVEL_HIGH and hit.viewer_prompt
    lure = next(s for s in hit.signals if s.type == risk_pb2.SIGNAL_TYPE_OFF_PLATFORM_LURE)
    assert LURE[lure.start : lure.end] == lure.matched_text
    await risk.AssessSegment(segment(LURE, "seg-1"), metadata=me(config))  # resent
    score = await stub.GetCreditScore(
        credit_pb2.GetCreditScoreRequest(platform_id="plat-a", account_id="acct-1"), metadata=me(config)
    )
    high = sum(s.severity == risk_pb2.RISK_LEVEL_HIGH for s in hit.signals)
    assert score.event_count == high >= 1
    with pytest.raises(grpc.aio.AioRpcError) as empty:
        await risk.AssessSegment(segment(""), metadata=me(config))
    assert empty.value.code() is grpc.StatusCode.INVALID_ARGUMENT


async def test_stream_assess_escalates_an_ignored_warning(credit) -> None:  # noqa: F811
    stub, config, _, _ = credit
    risk = risk_pb2_grpc.RiskServiceStub(stub.channel)

    async def requests():
        for i in range(3):
            yield risk_pb2.StreamAssessRequest(segment=segment(LURE, f"s-{i}", "live-2"))

    measures = [r.session_measure async for r in risk.StreamAssess(requests(), metadata=me(config))]
    # A HIGH lure is restricted at once; repeating it while the warning stands suspends the broadcast.
    assert measures == sorted(measures) and measures[0] >= risk_pb2.RISK_MEASURE_OPERATOR_WARNING
    assert measures[-1] == risk_pb2.RISK_MEASURE_SUSPEND_BROADCAST
