"""gRPC adapter of enforcement: protobuf in, domain call, protobuf out. No rules here."""

from __future__ import annotations

import grpc

from livetrust.runtime import enum_from_proto, from_timestamp, set_timestamp

from ._enforcement import EnforcementService, MeasureView
from ._ladder import MeasureType
from .v1 import enforcement_pb2 as pb
from .v1 import enforcement_pb2_grpc

__all__ = ["EnforcementServicer"]


def _measure(view: MeasureView) -> pb.EnforcementMeasure:
    r = view.row
    message = pb.EnforcementMeasure(
        measure_id=r.measure_id,
        platform_id=r.platform_id,
        account_id=r.account_id,
        room_id=r.room_id,
        requested=pb.MeasureType.Value(f"MEASURE_TYPE_{r.requested}"),
        measure=pb.MeasureType.Value(f"MEASURE_TYPE_{r.measure}"),
        reason=r.reason,
        rule_id=r.rule_id,
        evidence_refs=list(r.evidence_refs),
        duration_days=r.duration_days,
        status=pb.MeasureStatus.Value(f"MEASURE_STATUS_{view.status}"),
        appeal_route=r.appeal_route,
        escalation=r.escalation,
        lift_reason=r.lift_reason,
        lifted_on_appeal=r.lifted_on_appeal,
        subject_digest=r.subject_digest,
    )
    for name in ("starts_at", "ends_at", "lifted_at"):
        set_timestamp(message, name, getattr(r, name))
    return message


class EnforcementServicer(enforcement_pb2_grpc.EnforcementServiceServicer):
    def __init__(self, service: EnforcementService) -> None:
        self._service = service

    async def ApplyMeasure(
        self, request: pb.ApplyMeasureRequest, context: grpc.aio.ServicerContext
    ) -> pb.ApplyMeasureResponse:
        view = await self._service.apply_measure(
            platform_id=request.platform_id,
            account_id=request.account_id,
            room_id=request.room_id,
            measure=enum_from_proto(request.measure, pb.MeasureType, MeasureType),
            reason=request.reason,
            rule_id=request.rule_id,
            evidence_refs=list(request.evidence_refs),
            duration_days=request.duration_days,
            subject_digest=request.subject_digest,
            request_id=request.request_id,
        )
        return pb.ApplyMeasureResponse(measure=_measure(view))

    async def LiftMeasure(
        self, request: pb.LiftMeasureRequest, context: grpc.aio.ServicerContext
    ) -> pb.LiftMeasureResponse:
        view = await self._service.lift_measure(
            platform_id=request.platform_id,
            measure_id=request.measure_id,
            reason=request.reason,
            appeal_upheld=request.appeal_upheld,
        )
        return pb.LiftMeasureResponse(measure=_measure(view))

    async def ListMeasures(
        self, request: pb.ListMeasuresRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListMeasuresResponse:
        views, token = await self._service.list_measures(
            platform_id=request.platform_id,
            account_id=request.account_id,
            period_start=from_timestamp(request, "period_start"),
            period_end=from_timestamp(request, "period_end"),
            page_size_requested=request.page_size,
            page_token=request.page_token,
        )
        return pb.ListMeasuresResponse(measures=[_measure(v) for v in views], next_page_token=token)

    async def GetActiveRestrictions(
        self, request: pb.GetActiveRestrictionsRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetActiveRestrictionsResponse:
        merged, active, result = await self._service.active_restrictions(
            platform_id=request.platform_id, account_id=request.account_id
        )
        return pb.GetActiveRestrictionsResponse(
            go_live=merged.go_live,
            promotion_traffic=merged.promotion_traffic,
            restricted_functions=list(merged.restricted_functions),
            active_measures=[_measure(v) for v in active],
            band=result.band,
            product_categories=list(result.entitlements.product_categories),
            max_concurrent_rooms=result.entitlements.max_concurrent_rooms,
            reasons=list(merged.reasons),
        )

    async def ExportRegulatorReport(
        self, request: pb.ExportRegulatorReportRequest, context: grpc.aio.ServicerContext
    ) -> pb.ExportRegulatorReportResponse:
        level = {pb.REPORT_LEVEL_COUNTY: False, pb.REPORT_LEVEL_PROVINCIAL: True}.get(request.level)
        report = await self._service.export_report(
            platform_id=request.platform_id,
            period_start=from_timestamp(request, "period_start"),
            period_end=from_timestamp(request, "period_end"),
            provincial=level,
        )
        return pb.ExportRegulatorReportResponse(
            jsonl=report.jsonl,
            csv=report.csv,
            jsonl_sha256=report.jsonl_sha256,
            csv_sha256=report.csv_sha256,
            count=report.count,
            audit_intact=report.audit_intact,
        )
