"""gRPC adapter of the blacklist: protobuf in, domain call, protobuf out. No rules here."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc

from livetrust.runtime import enum_from_proto, enum_to_proto, from_timestamp, set_timestamp

from ._rules import Category, EntryStatus
from ._service import BlacklistService, ChangeView, EntryView, LookupView
from .v1 import blacklist_pb2 as pb
from .v1 import blacklist_pb2_grpc

__all__ = ["BlacklistServicer"]


def _entry(view: EntryView) -> pb.Entry:
    message = pb.Entry(
        entry_id=view.entry_id,
        subject_digests=list(view.subject_digests),
        category=enum_to_proto(view.category, pb.Category),
        reason=view.reason,
        legal_basis=view.legal_basis,
        platform_id=view.platform_id,
        evidence_refs=list(view.evidence_refs),
        status=enum_to_proto(view.status, pb.EntryStatus),
        version=view.version,
        appeal_route=view.appeal_route,
        redacted=view.redacted,
    )
    for note in view.notes:
        added = message.notes.add(kind=note["kind"], author=note["author"], text=note["text"])
        added.at.FromJsonString(note["at"].replace("+00:00", "Z"))
    for name in ("listed_from", "listed_until", "appeal_deadline", "created_at", "updated_at"):
        set_timestamp(message, name, getattr(view, name))
    return message


def _result(view: LookupView) -> pb.LookupResult:
    message = pb.LookupResult(
        subject_digest=view.subject_digest,
        listed=view.listed,
        entry_id=view.entry_id,
        category=enum_to_proto(view.category, pb.Category),
    )
    set_timestamp(message, "listed_until", view.listed_until)
    return message


def _change(view: ChangeView) -> pb.Change:
    message = pb.Change(
        version=view.version,
        kind=pb.CHANGE_KIND_LISTED if view.kind == "LISTED" else pb.CHANGE_KIND_UNLISTED,
        entry_id=view.entry_id,
        subject_digests=list(view.subject_digests),
    )
    set_timestamp(message, "at", view.at)
    return message


def _decision(value: int, yes: int, no: int) -> bool | None:
    return True if value == yes else False if value == no else None


class BlacklistServicer(blacklist_pb2_grpc.BlacklistServiceServicer):
    def __init__(self, service: BlacklistService) -> None:
        self._service = service

    async def SubmitEntry(
        self, request: pb.SubmitEntryRequest, context: grpc.aio.ServicerContext
    ) -> pb.SubmitEntryResponse:
        view = await self._service.submit_entry(
            platform_id=request.platform_id,
            subject_digests=list(request.subject_digests),
            category=enum_from_proto(request.category, pb.Category, Category),
            reason=request.reason,
            legal_basis=request.legal_basis,
            evidence_refs=list(request.evidence_refs),
            listed_until=from_timestamp(request, "listed_until"),
            permanent=request.permanent,
            request_id=request.request_id,
        )
        return pb.SubmitEntryResponse(entry=_entry(view))

    async def ReviewEntry(
        self, request: pb.ReviewEntryRequest, context: grpc.aio.ServicerContext
    ) -> pb.ReviewEntryResponse:
        view = await self._service.review_entry(
            entry_id=request.entry_id,
            approve=_decision(request.decision, pb.REVIEW_DECISION_APPROVE, pb.REVIEW_DECISION_REJECT),
            note=request.note,
            expected_version=request.expected_version,
        )
        return pb.ReviewEntryResponse(entry=_entry(view))

    async def GetEntry(self, request: pb.GetEntryRequest, context: grpc.aio.ServicerContext) -> pb.GetEntryResponse:
        return pb.GetEntryResponse(entry=_entry(await self._service.get_entry(entry_id=request.entry_id)))

    async def ListEntries(
        self, request: pb.ListEntriesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListEntriesResponse:
        views, token = await self._service.list_entries(
            status=enum_from_proto(request.status, pb.EntryStatus, EntryStatus),
            category=enum_from_proto(request.category, pb.Category, Category),
            source_platform_id=request.source_platform_id,
            subject_digest=request.subject_digest,
            page_size_requested=request.page_size,
            page_token=request.page_token,
        )
        return pb.ListEntriesResponse(entries=[_entry(v) for v in views], next_page_token=token)

    async def FileAppeal(
        self, request: pb.FileAppealRequest, context: grpc.aio.ServicerContext
    ) -> pb.FileAppealResponse:
        view = await self._service.file_appeal(
            entry_id=request.entry_id, statement=request.statement, evidence_refs=list(request.evidence_refs)
        )
        return pb.FileAppealResponse(entry=_entry(view))

    async def ResolveAppeal(
        self, request: pb.ResolveAppealRequest, context: grpc.aio.ServicerContext
    ) -> pb.ResolveAppealResponse:
        view = await self._service.resolve_appeal(
            entry_id=request.entry_id,
            uphold=_decision(request.decision, pb.APPEAL_DECISION_UPHOLD, pb.APPEAL_DECISION_DISMISS),
            note=request.note,
            expected_version=request.expected_version,
        )
        return pb.ResolveAppealResponse(entry=_entry(view))

    async def LiftEntry(self, request: pb.LiftEntryRequest, context: grpc.aio.ServicerContext) -> pb.LiftEntryResponse:
        view = await self._service.lift_entry(entry_id=request.entry_id, reason=request.reason)
        return pb.LiftEntryResponse(entry=_entry(view))

    async def Lookup(self, request: pb.LookupRequest, context: grpc.aio.ServicerContext) -> pb.LookupResponse:
        views = await self._service.lookup(subject_digests=request.subject_digests)
        response = pb.LookupResponse()
        add = response.results.add
        for view in views:
            if view.listed:
                response.results.append(_result(view))
            else:  # the usual answer: nothing but the digest (listed=false is the default)
                add(subject_digest=view.subject_digest)
        return response

    async def LookupByPrefix(
        self, request: pb.LookupByPrefixRequest, context: grpc.aio.ServicerContext
    ) -> pb.LookupByPrefixResponse:
        views = await self._service.lookup_by_prefix(prefixes=list(request.prefixes))
        return pb.LookupByPrefixResponse(matches=[_result(v) for v in views])

    async def ListChanges(
        self, request: pb.ListChangesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListChangesResponse:
        views, latest = await self._service.list_changes(
            since_version=request.since_version, page_size_requested=request.page_size
        )
        return pb.ListChangesResponse(changes=[_change(v) for v in views], latest_version=latest)

    async def WatchChanges(
        self, request: pb.WatchChangesRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.WatchChangesResponse]:
        async for view in self._service.watch_changes(since_version=request.since_version):
            yield pb.WatchChangesResponse(change=_change(view))

    async def GetFilter(self, request: pb.GetFilterRequest, context: grpc.aio.ServicerContext) -> pb.GetFilterResponse:
        view = await self._service.get_filter()
        return pb.GetFilterResponse(
            filter=view.data,
            version=view.version,
            sha256=view.sha256,
            item_count=view.item_count,
            false_positive_rate=view.false_positive_rate,
        )

    async def StreamFilter(
        self, request: pb.StreamFilterRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.StreamFilterResponse]:
        view = await self._service.stream_filter()
        yield pb.StreamFilterResponse(
            info=pb.FilterInfo(
                version=view.version,
                sha256=view.sha256,
                size_bytes=len(view.data),
                item_count=view.item_count,
                false_positive_rate=view.false_positive_rate,
            )
        )
        data, step = view.data, self._service.filter_chunk_bytes
        for start in range(0, len(data), step):
            yield pb.StreamFilterResponse(chunk=data[start : start + step])

    async def VerifyAuditLog(
        self, request: pb.VerifyAuditLogRequest, context: grpc.aio.ServicerContext
    ) -> pb.VerifyAuditLogResponse:
        verdict = await self._service.verify_audit_log()
        return pb.VerifyAuditLogResponse(
            intact=verdict.intact,
            records_checked=verdict.checked,
            first_broken_seq=verdict.first_broken_seq,
            problem=verdict.problem,
        )
