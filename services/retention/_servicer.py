"""gRPC adapter of the retention service: protobuf in, domain call, protobuf out. No rules here."""

from __future__ import annotations

from datetime import datetime

import grpc

from livetrust.runtime import enum_from_proto, enum_to_proto, from_timestamp, set_timestamp

from ._policy import ContentClass, Mode, Policy
from ._service import RetentionService, Scope
from .v1 import retention_pb2 as pb
from .v1 import retention_pb2_grpc

_CONTENT_CLASSES = {c.value: pb.ContentClass.Value(f"CONTENT_CLASS_{c.value}") for c in ContentClass}

__all__ = ["RetentionServicer"]


def _policy(policy: Policy, updated_at: datetime | None) -> pb.Policy:
    message = pb.Policy(
        platform_id=policy.platform_id,
        content_class=enum_to_proto(policy.content_class, pb.ContentClass),
        base_days=policy.base_days,
        key_room_extension_days=policy.key_room_extension_days,
        mode=enum_to_proto(policy.mode, pb.Mode),
        locked=policy.locked,
        version=policy.version,
    )
    set_timestamp(message, "updated_at", updated_at)
    return message


def _scope(request: pb.PlaceLegalHoldRequest | pb.PlaceEventHoldRequest) -> Scope | None:
    which = request.WhichOneof("scope")
    if which is None:
        return None
    if which == "artifact_ids":
        return Scope("ARTIFACTS", artifact_ids=tuple(request.artifact_ids.ids))
    return Scope(which.removesuffix("_id").upper(), getattr(request, which))


class RetentionServicer(retention_pb2_grpc.RetentionServiceServicer):
    def __init__(self, service: RetentionService) -> None:
        self._service = service

    async def UpsertPolicy(
        self, request: pb.UpsertPolicyRequest, context: grpc.aio.ServicerContext
    ) -> pb.UpsertPolicyResponse:
        policy, at = await self._service.upsert_policy(
            platform_id=request.platform_id,
            content_class=enum_from_proto(request.content_class, pb.ContentClass, ContentClass),
            base_days=request.base_days,
            key_room_extension_days=request.key_room_extension_days,
            mode=enum_from_proto(request.mode, pb.Mode, Mode),
            reason=request.reason,
        )
        return pb.UpsertPolicyResponse(policy=_policy(policy, at))

    async def LockPolicy(
        self, request: pb.LockPolicyRequest, context: grpc.aio.ServicerContext
    ) -> pb.LockPolicyResponse:
        policy, at = await self._service.lock(
            platform_id=request.platform_id,
            content_class=enum_from_proto(request.content_class, pb.ContentClass, ContentClass),
        )
        return pb.LockPolicyResponse(policy=_policy(policy, at))

    async def ListPolicies(
        self, request: pb.ListPoliciesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListPoliciesResponse:
        policies = await self._service.list_policies(platform_id=request.platform_id)
        return pb.ListPoliciesResponse(policies=[_policy(p, at) for p, at in policies])

    async def RegisterArtifact(
        self, request: pb.RegisterArtifactRequest, context: grpc.aio.ServicerContext
    ) -> pb.RegisterArtifactResponse:
        artifact_id, retain_until, created = await self._service.register_artifact(
            platform_id=request.platform_id,
            room_id=request.room_id,
            session_id=request.session_id,
            account_id=request.account_id,
            content_class=enum_from_proto(request.content_class, pb.ContentClass, ContentClass),
            storage_uri=request.storage_uri,
            size_bytes=request.size_bytes,
            ended_at=from_timestamp(request, "ended_at"),
        )
        response = pb.RegisterArtifactResponse(artifact_id=artifact_id, created=created)
        set_timestamp(response, "retain_until", retain_until)
        return response

    async def GetRetention(
        self, request: pb.GetRetentionRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetRetentionResponse:
        view = await self._service.get_retention(platform_id=request.platform_id, artifact_id=request.artifact_id)
        response = pb.GetRetentionResponse(
            artifact_id=view.artifact_id,
            reasons=list(view.decision.reasons),
            state=pb.ArtifactState.Value(f"ARTIFACT_STATE_{view.state}"),
            policy_version=view.policy_version,
            active_hold_ids=list(view.active_hold_ids),
        )
        set_timestamp(response, "retain_until", view.decision.retain_until)
        set_timestamp(response, "purgeable_at", view.decision.purgeable_at)
        return response

    async def SetRoomTier(
        self, request: pb.SetRoomTierRequest, context: grpc.aio.ServicerContext
    ) -> pb.SetRoomTierResponse:
        key = None if request.tier == pb.ROOM_TIER_UNSPECIFIED else request.tier == pb.ROOM_TIER_KEY
        if request.tier not in pb.RoomTier.values():
            key = None
        updated = await self._service.set_room_tier(
            platform_id=request.platform_id,
            room_id=request.room_id,
            key=key,
            changed_at=from_timestamp(request, "changed_at"),
            request_id=request.request_id,
        )
        return pb.SetRoomTierResponse(artifacts_updated=updated)

    async def PlaceLegalHold(
        self, request: pb.PlaceLegalHoldRequest, context: grpc.aio.ServicerContext
    ) -> pb.PlaceLegalHoldResponse:
        hold_id, covered = await self._service.place_hold(
            kind="LEGAL",
            platform_id=request.platform_id,
            case_ref=request.case_id,
            reason=request.reason,
            scope=_scope(request),
            request_id=request.request_id,
        )
        return pb.PlaceLegalHoldResponse(hold_id=hold_id, artifacts_covered=covered)

    async def PlaceEventHold(
        self, request: pb.PlaceEventHoldRequest, context: grpc.aio.ServicerContext
    ) -> pb.PlaceEventHoldResponse:
        hold_id, covered = await self._service.place_hold(
            kind="EVENT",
            platform_id=request.platform_id,
            case_ref=request.event_ref,
            reason=request.reason,
            scope=_scope(request),
            request_id=request.request_id,
        )
        return pb.PlaceEventHoldResponse(hold_id=hold_id, artifacts_covered=covered)

    async def ReleaseLegalHold(
        self, request: pb.ReleaseLegalHoldRequest, context: grpc.aio.ServicerContext
    ) -> pb.ReleaseLegalHoldResponse:
        released = await self._service.release_holds(
            platform_id=request.platform_id, hold_id=request.hold_id, case_id=request.case_id, reason=request.reason
        )
        return pb.ReleaseLegalHoldResponse(released_hold_ids=released)

    async def PlanPurge(self, request: pb.PlanPurgeRequest, context: grpc.aio.ServicerContext) -> pb.PlanPurgeResponse:
        rows, token, total, total_bytes = await self._service.plan_purge(
            platform_id=request.platform_id,
            as_of=from_timestamp(request, "as_of"),
            page_size_requested=request.page_size,
            page_token=request.page_token,
        )
        response = pb.PlanPurgeResponse(next_page_token=token, total_bytes=total_bytes, total_artifacts=total)
        # A plan streams millions of lines: each is added in place and its Timestamp filled in place (half
        # the cost of building a Timestamp and having add() copy it in).
        add, classes = response.candidates.add, _CONTENT_CLASSES
        for artifact_id, content_class, size, seconds, nanos in rows:
            when = add(artifact_id=artifact_id, content_class=classes[content_class], size_bytes=size).retain_until
            when.seconds = seconds
            when.nanos = nanos
        return response

    async def ExecutePurge(
        self, request: pb.ExecutePurgeRequest, context: grpc.aio.ServicerContext
    ) -> pb.ExecutePurgeResponse:
        report = await self._service.execute_purge(platform_id=request.platform_id, limit=request.limit)
        return pb.ExecutePurgeResponse(
            purged=report.purged, bytes_freed=report.bytes_freed, skipped=report.skipped, failed=report.failed
        )

    async def ListTombstones(
        self, request: pb.ListTombstonesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListTombstonesResponse:
        rows, token = await self._service.list_tombstones(
            platform_id=request.platform_id, page_size_requested=request.page_size, page_token=request.page_token
        )
        response = pb.ListTombstonesResponse(next_page_token=token)
        for row in rows:
            tombstone = response.tombstones.add(
                artifact_id=row.artifact_id,
                platform_id=row.platform_id,
                content_class=pb.ContentClass.Value(f"CONTENT_CLASS_{row.content_class}"),
                policy=row.policy,
                policy_version=row.policy_version,
                storage_uri_sha256=row.storage_uri_sha256,
                size_bytes=row.size_bytes,
            )
            set_timestamp(tombstone, "purged_at", row.purged_at)
        return response
