"""The enforcement ladder end to end through the gateway: a re-registration ban leads to a blacklist
entry, a legal hold and a denied registration on another platform; reports verify by their hashes."""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.protobuf import timestamp_pb2

from livetrust.blacklist.v1 import blacklist_pb2, blacklist_pb2_grpc
from livetrust.credit.v1 import enforcement_pb2 as pb
from livetrust.credit.v1 import enforcement_pb2_grpc
from livetrust.gateway.v1 import gateway_pb2, gateway_pb2_grpc
from livetrust.retention.v1 import retention_pb2, retention_pb2_grpc
from tests.gateway.test_flows import registration
from tests.identity.test_identity_service import ADULT


def ts(value: datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


async def eventually(check, attempts: int = 100):
    for _ in range(attempts):
        result = await check()
        if result:
            return result
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached")


async def test_reregistration_ban_end_to_end(suite, tmp_path) -> None:
    flows = gateway_pb2_grpc.ComplianceGatewayStub(suite.channel)
    enforcement = enforcement_pb2_grpc.EnforcementServiceStub(suite.channel)
    blacklist = blacklist_pb2_grpc.BlacklistServiceStub(suite.channel)
    retention = retention_pb2_grpc.RetentionServiceStub(suite.channel)
    a, b, reviewer = suite.key("plat-a"), suite.key("plat-b"), suite.key("association", "REVIEWER")

    registered = await flows.CheckRegistration(registration(ADULT), metadata=a, timeout=5)
    assert registered.verdict == gateway_pb2.REGISTRATION_VERDICT_ALLOW
    content = tmp_path / "content" / "replay.mp4"
    content.parent.mkdir(parents=True, exist_ok=True)
    content.write_bytes(b"evidence")
    artifact = await retention.RegisterArtifact(
        retention_pb2.RegisterArtifactRequest(
            platform_id="plat-a",
            room_id="room-1",
            session_id="s-1",
            account_id="acct-1",
            content_class=retention_pb2.CONTENT_CLASS_LIVE_REPLAY,
            storage_uri=content.as_uri(),
            size_bytes=8,
            ended_at=ts(datetime.now(UTC) - timedelta(hours=1)),
        ),
        metadata=a,
    )

    ban = pb.ApplyMeasureRequest(
        platform_id="plat-a",
        account_id="acct-1",
        measure=pb.MEASURE_TYPE_REREGISTRATION_BAN,
        reason="sold counterfeit medicine on three broadcasts",
        rule_id="rule-7.2",
        evidence_refs=["case://2026-113"],
        subject_digest=registered.subject_digest,
        duration_days=365,
        request_id="ban-1",
    )
    measure = (await enforcement.ApplyMeasure(ban, metadata=a, timeout=5)).measure
    again = (await enforcement.ApplyMeasure(ban, metadata=a, timeout=5)).measure
    assert again.measure_id == measure.measure_id  # a resend applies one measure
    assert measure.measure == pb.MEASURE_TYPE_REREGISTRATION_BAN and measure.appeal_route

    # Outbox -> blacklist: a pending entry, which reviewers approve.
    async def pending_entry():
        listed = await blacklist.ListEntries(
            blacklist_pb2.ListEntriesRequest(source_platform_id="plat-a"), metadata=reviewer
        )
        return listed.entries[0] if listed.entries else None

    entry = await eventually(pending_entry)
    assert list(entry.subject_digests) == [registered.subject_digest] and measure.measure_id in entry.legal_basis
    assert measure.HasField("ends_at")
    await blacklist.ReviewEntry(
        blacklist_pb2.ReviewEntryRequest(entry_id=entry.entry_id, decision=blacklist_pb2.REVIEW_DECISION_APPROVE),
        metadata=reviewer,
    )

    # Outbox -> retention: the account's content is held.
    async def held():
        reply = await retention.GetRetention(
            retention_pb2.GetRetentionRequest(platform_id="plat-a", artifact_id=artifact.artifact_id), metadata=a
        )
        return reply if reply.active_hold_ids else None

    why = await eventually(held)
    assert not why.HasField("purgeable_at")

    # Another platform cannot sign the person up, for as long as the ban lasts.
    denied = await flows.CheckRegistration(registration(ADULT, "acct-b", "plat-b"), metadata=b, timeout=5)
    assert denied.verdict == gateway_pb2.REGISTRATION_VERDICT_DENY_BLACKLISTED
    assert denied.blacklist.entry_id == entry.entry_id
    assert denied.blacklist.listed_until.ToDatetime(UTC) == measure.ends_at.ToDatetime(UTC)

    restrictions = await enforcement.GetActiveRestrictions(
        pb.GetActiveRestrictionsRequest(platform_id="plat-a", account_id="acct-1"), metadata=a
    )
    assert not restrictions.go_live and "MEASURE_REREGISTRATION_BAN" in restrictions.reasons
    pre = await flows.PreBroadcastCheck(
        gateway_pb2.PreBroadcastCheckRequest(platform_id="plat-a", account_id="acct-1", session_id="s-1"),
        metadata=a,
        timeout=5,
    )
    assert pre.verdict == gateway_pb2.BROADCAST_VERDICT_DENY and "MEASURE_REREGISTRATION_BAN" in pre.reasons

    # Reports: the platform's own, verified by hash; provincial level carries the ban.
    period = dict(
        period_start=ts(datetime.now(UTC) - timedelta(days=1)), period_end=ts(datetime.now(UTC) + timedelta(days=1))
    )
    county = await enforcement.ExportRegulatorReport(
        pb.ExportRegulatorReportRequest(platform_id="plat-a", level=pb.REPORT_LEVEL_COUNTY, **period), metadata=a
    )
    assert county.count == 1 and county.audit_intact
    assert hashlib.sha256(county.jsonl.encode()).hexdigest() == county.jsonl_sha256
    assert hashlib.sha256(county.csv.encode()).hexdigest() == county.csv_sha256
    row = json.loads(county.jsonl.splitlines()[0])
    assert row["measure"] == "REREGISTRATION_BAN" and row["rule_id"] == "rule-7.2" and row["appeal_route"]
    provincial = await enforcement.ExportRegulatorReport(
        pb.ExportRegulatorReportRequest(platform_id="plat-a", level=pb.REPORT_LEVEL_PROVINCIAL, **period),
        metadata=reviewer,
    )
    assert provincial.count == 1
    with pytest.raises(grpc.aio.AioRpcError) as other:
        await enforcement.ExportRegulatorReport(
            pb.ExportRegulatorReportRequest(platform_id="plat-a", level=pb.REPORT_LEVEL_COUNTY, **period), metadata=b
        )
    assert other.value.code() is grpc.StatusCode.PERMISSION_DENIED


async def test_ladder_escalates_repeats_and_bad_input_is_refused(suite) -> None:
    enforcement = enforcement_pb2_grpc.EnforcementServiceStub(suite.channel)
    a = suite.key("plat-a")
    warning = pb.ApplyMeasureRequest(
        platform_id="plat-a",
        account_id="acct-9",
        measure=pb.MEASURE_TYPE_WARNING,
        reason="absolute claims",
        rule_id="ad-law-9",
        evidence_refs=["clip://1"],
    )
    first = (await enforcement.ApplyMeasure(warning, metadata=a)).measure
    second = (await enforcement.ApplyMeasure(warning, metadata=a)).measure
    assert first.measure == pb.MEASURE_TYPE_WARNING and not first.escalation
    assert second.measure == pb.MEASURE_TYPE_FUNCTION_RESTRICTION and first.measure_id in second.escalation
    assert second.duration_days == 7 and second.HasField("ends_at")
    restrictions = await enforcement.GetActiveRestrictions(
        pb.GetActiveRestrictionsRequest(platform_id="plat-a", account_id="acct-9"), metadata=a
    )
    assert restrictions.go_live and set(restrictions.restricted_functions) >= {"COUPONS"}
    lifted = (
        await enforcement.LiftMeasure(
            pb.LiftMeasureRequest(platform_id="plat-a", measure_id=second.measure_id, reason="appeal upheld"),
            metadata=a,
        )
    ).measure
    assert lifted.status == pb.MEASURE_STATUS_LIFTED
    listed = await enforcement.ListMeasures(
        pb.ListMeasuresRequest(platform_id="plat-a", account_id="acct-9"), metadata=a
    )
    assert [m.measure_id for m in listed.measures] == [first.measure_id, second.measure_id]

    for bad, field in (
        (pb.ApplyMeasureRequest(platform_id="plat-a", account_id="acct-9"), "measure"),
        (
            pb.ApplyMeasureRequest(
                platform_id="plat-a",
                account_id="acct-9",
                measure=pb.MEASURE_TYPE_BLACKLISTING,
                reason="r",
                rule_id="x",
                evidence_refs=["e"],
                subject_digest="not-a-digest",
            ),
            "subject_digest",
        ),
        (
            pb.ApplyMeasureRequest(
                platform_id="plat-a", account_id="acct-9", measure=pb.MEASURE_TYPE_WARNING, reason="r", rule_id="x"
            ),
            "evidence_refs",
        ),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await enforcement.ApplyMeasure(bad, metadata=a)
        assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert field in (refused.value.details() or "")
