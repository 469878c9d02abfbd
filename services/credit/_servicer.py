"""gRPC adapter of the credit service: protobuf in, domain call, protobuf out. No rules here."""

from __future__ import annotations

import grpc

from livetrust.common.v1 import common_pb2
from livetrust.errors import FieldViolation
from livetrust.runtime import enum_from_proto, enum_to_proto, from_timestamp, set_timestamp

from . import _scoring as scoring
from ._scoring import ScoreResult
from ._service import CreditService, EventInput, RoomView, ScoreView
from ._storage import RescoreJobRow
from .v1 import credit_pb2 as pb
from .v1 import credit_pb2_grpc

__all__ = ["CreditServicer"]


def _body(event: pb.CreditEvent) -> tuple[object | None, list[FieldViolation]]:
    """The domain body of an event and any problems with its enums and ranges."""
    kind = event.WhichOneof("kind")
    problems: list[FieldViolation] = []
    if kind == "review":
        r = event.review
        if not 1 <= r.stars <= 5:
            return None, [FieldViolation("review.stars", "1 to 5", "OUT_OF_RANGE")]
        return scoring.Review(r.stars, r.verified_buyer), problems
    if kind == "complaint":
        c = event.complaint
        category = enum_from_proto(c.category, pb.ComplaintCategory, scoring.ComplaintCategory)
        if category is None:
            problems.append(FieldViolation("complaint.category", "a known complaint category", "REQUIRED"))
        if not c.reporter_id or len(c.reporter_id) > 128:
            problems.append(FieldViolation("complaint.reporter_id", "1 to 128 characters", "REQUIRED"))
        return scoring.Complaint(category or scoring.ComplaintCategory.OTHER, c.reporter_id, c.verified), problems
    if kind == "platform_outcome":
        o = event.platform_outcome
        outcome = enum_from_proto(o.outcome, pb.Outcome, scoring.Outcome)
        severity = enum_from_proto(o.severity, pb.Severity, scoring.Severity)
        if not o.complaint_event_id:
            problems.append(FieldViolation("platform_outcome.complaint_event_id", "is required", "REQUIRED"))
        if outcome is None:
            problems.append(FieldViolation("platform_outcome.outcome", "UPHELD or DISMISSED", "REQUIRED"))
        if severity is None:
            problems.append(FieldViolation("platform_outcome.severity", "MINOR, SERIOUS or SEVERE", "REQUIRED"))
        body = scoring.PlatformOutcome(
            o.complaint_event_id, outcome or scoring.Outcome.DISMISSED, severity or scoring.Severity.MINOR
        )
        return body, problems
    if kind == "regulator_notice":
        n = event.regulator_notice
        severity = enum_from_proto(n.severity, pb.Severity, scoring.Severity)
        if severity is None:
            problems.append(FieldViolation("regulator_notice.severity", "MINOR, SERIOUS or SEVERE", "REQUIRED"))
        if not n.authority.strip() or len(n.authority) > 200:
            problems.append(FieldViolation("regulator_notice.authority", "1 to 200 characters", "REQUIRED"))
        return scoring.RegulatorNotice(severity or scoring.Severity.MINOR, n.authority), problems
    return None, []


def _entitlements(result: ScoreResult) -> pb.Entitlements:
    e = result.entitlements
    return pb.Entitlements(
        go_live=e.go_live,
        promotion_traffic=e.promotion_traffic,
        product_categories=list(e.product_categories),
        max_concurrent_rooms=e.max_concurrent_rooms,
        band=result.band,
    )


def _score(view: ScoreView) -> pb.GetCreditScoreResponse:
    r = view.result
    message = pb.GetCreditScoreResponse(
        score=r.score,
        band=r.band,
        label=r.label,
        reasons=[pb.Reason(code=x.code, points=x.points, hint=x.hint) for x in r.reasons],
        model_version=r.model_version,
        entitlements=_entitlements(r),
        inputs_hash=r.inputs_hash,
        event_count=view.event_count,
    )
    set_timestamp(message, "computed_at", view.computed_at)
    return message


def _room(view: RoomView) -> pb.RoomTier:
    message = pb.RoomTier(
        platform_id=view.platform_id,
        room_id=view.room_id,
        account_id=view.account_id,
        tier=enum_to_proto(view.tier, pb.Tier),
        reasons=list(view.reasons),
    )
    set_timestamp(message, "since", view.since)
    return message


def _job(row: RescoreJobRow) -> pb.RescoreJob:
    message = pb.RescoreJob(
        job_id=row.job_id,
        model_version=row.model_version,
        status=pb.JobStatus.Value(f"JOB_STATUS_{row.status}"),
        processed=row.processed,
        total=row.total,
    )
    set_timestamp(message, "started_at", row.started_at)
    set_timestamp(message, "finished_at", row.finished_at)
    return message


class CreditServicer(credit_pb2_grpc.CreditServiceServicer):
    def __init__(self, service: CreditService) -> None:
        self._service = service

    async def RecordEvents(
        self, request: pb.RecordEventsRequest, context: grpc.aio.ServicerContext
    ) -> pb.RecordEventsResponse:
        inputs = []
        for event in request.events:
            body, problems = _body(event)
            inputs.append(
                EventInput(
                    event_id=event.event_id,
                    platform_id=event.platform_id,
                    account_id=event.account_id,
                    occurred_at=from_timestamp(event, "occurred_at"),
                    body=body,
                    violations=tuple(problems),
                )
            )
        results = await self._service.record_events(events=inputs)
        return pb.RecordEventsResponse(
            results=[
                pb.EventResult(
                    event_id=r.event_id,
                    outcome=pb.EventOutcome.Value(f"EVENT_OUTCOME_{r.outcome}"),
                    violations=[
                        common_pb2.FieldViolation(field=v.field, reason=v.reason, description=v.description)
                        for v in r.violations
                    ],
                )
                for r in results
            ]
        )

    async def GetCreditScore(
        self, request: pb.GetCreditScoreRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetCreditScoreResponse:
        return _score(await self._service.get_score(platform_id=request.platform_id, account_id=request.account_id))

    async def GetPublicCreditStatus(
        self, request: pb.GetPublicCreditStatusRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetPublicCreditStatusResponse:
        view = await self._service.get_public_status(platform_id=request.platform_id, account_id=request.account_id)
        message = pb.GetPublicCreditStatusResponse(band=view.result.band, label=view.result.label)
        set_timestamp(message, "as_of", view.computed_at)
        return message

    async def GetEntitlements(
        self, request: pb.GetEntitlementsRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetEntitlementsResponse:
        view = await self._service.get_score(platform_id=request.platform_id, account_id=request.account_id)
        return pb.GetEntitlementsResponse(entitlements=_entitlements(view.result))

    async def OverturnEvent(
        self, request: pb.OverturnEventRequest, context: grpc.aio.ServicerContext
    ) -> pb.OverturnEventResponse:
        overturned, view = await self._service.overturn_event(
            platform_id=request.platform_id, event_id=request.event_id, reason=request.reason
        )
        return pb.OverturnEventResponse(
            event_id=request.event_id, overturned=overturned, score=view.result.score, band=view.result.band
        )

    async def SimulateScore(
        self, request: pb.SimulateScoreRequest, context: grpc.aio.ServicerContext
    ) -> pb.SimulateScoreResponse:
        view = await self._service.simulate(
            model_json=request.model_json, platform_id=request.platform_id, account_id=request.account_id
        )
        return pb.SimulateScoreResponse(score=_score(view))

    async def PublishModel(
        self, request: pb.PublishModelRequest, context: grpc.aio.ServicerContext
    ) -> pb.PublishModelResponse:
        return pb.PublishModelResponse(job=_job(await self._service.publish_model(model_json=request.model_json)))

    async def GetRescoreJob(
        self, request: pb.GetRescoreJobRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetRescoreJobResponse:
        return pb.GetRescoreJobResponse(job=_job(await self._service.get_job(job_id=request.job_id)))

    async def RecordRoomMetrics(
        self, request: pb.RecordRoomMetricsRequest, context: grpc.aio.ServicerContext
    ) -> pb.RecordRoomMetricsResponse:
        view = await self._service.record_room_metrics(
            platform_id=request.platform_id,
            room_id=request.room_id,
            account_id=request.account_id,
            followers=request.followers,
            views=request.views,
            gmv=request.gmv,
            product_categories=list(request.product_categories),
            window_days=request.window_days,
        )
        return pb.RecordRoomMetricsResponse(room=_room(view))

    async def GetRoomTier(
        self, request: pb.GetRoomTierRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetRoomTierResponse:
        return pb.GetRoomTierResponse(
            room=_room(await self._service.get_room_tier(platform_id=request.platform_id, room_id=request.room_id))
        )

    async def ListKeyRooms(
        self, request: pb.ListKeyRoomsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListKeyRoomsResponse:
        views, token = await self._service.list_key_rooms(
            platform_id=request.platform_id, page_size_requested=request.page_size, page_token=request.page_token
        )
        return pb.ListKeyRoomsResponse(rooms=[_room(v) for v in views], next_page_token=token)
