"""CheckRegistration and PreBroadcastCheck end to end through the gateway, for every verdict, and
what happens when a backend dies."""

from __future__ import annotations

import time

import grpc
import pytest

from livetrust.blacklist.v1 import blacklist_pb2, blacklist_pb2_grpc
from livetrust.common.v1 import common_pb2
from livetrust.gateway.v1 import gateway_pb2 as pb
from livetrust.gateway.v1 import gateway_pb2_grpc
from livetrust.identity.v1 import identity_pb2, identity_pb2_grpc
from tests.conftest import bad_request, unavailable_dependency
from tests.identity.test_identity_service import ADULT, ADULT_2, MINOR_17, UNDER_16, person


def registration(who, account="acct-1", platform="plat-a", id_number=None) -> pb.CheckRegistrationRequest:
    p = person(who)
    if id_number is not None:
        p.id_number = id_number
    return pb.CheckRegistrationRequest(
        platform_id=platform, account_id=account, role=common_pb2.SUBJECT_ROLE_LIVE_MARKETER, person=p
    )


async def blacklist_person(suite, subject_digest: str, *, stub=None, submitter=None, reviewer=None) -> str:
    """Reported by plat-b and approved: through the gateway unless another ``stub`` (and its metadata) is given."""
    stub = stub or blacklist_pb2_grpc.BlacklistServiceStub(suite.channel)
    entry = (
        await stub.SubmitEntry(
            blacklist_pb2.SubmitEntryRequest(
                platform_id="plat-b",
                subject_digests=[subject_digest],
                category=blacklist_pb2.CATEGORY_SERIOUS_VIOLATION,
                reason="fraud",
                legal_basis="rule 4",
            ),
            metadata=submitter or suite.key("plat-b"),
        )
    ).entry
    await stub.ReviewEntry(
        blacklist_pb2.ReviewEntryRequest(entry_id=entry.entry_id, decision=blacklist_pb2.REVIEW_DECISION_APPROVE),
        metadata=reviewer or suite.key("association", "REVIEWER"),
    )
    return entry.entry_id


async def test_registration_verdicts(suite) -> None:
    flows = gateway_pb2_grpc.ComplianceGatewayStub(suite.channel)
    key = suite.key("plat-a")

    allowed = await flows.CheckRegistration(registration(ADULT), metadata=key, timeout=5)
    assert allowed.verdict == pb.REGISTRATION_VERDICT_ALLOW and "ADULT" in allowed.reasons
    assert len(allowed.subject_digest) == 64 and allowed.masked_id_number.startswith(ADULT[1][:3])

    minor = await flows.CheckRegistration(registration(MINOR_17, "acct-2"), metadata=key, timeout=5)
    assert minor.verdict == pb.REGISTRATION_VERDICT_REQUIRE_GUARDIAN_CONSENT
    assert list(minor.reasons) == ["CONSENT_MISSING"] and minor.HasField("changes_at")

    young = await flows.CheckRegistration(registration(UNDER_16, "acct-3"), metadata=key, timeout=5)
    assert young.verdict == pb.REGISTRATION_VERDICT_DENY_UNDER_16

    invalid = await flows.CheckRegistration(
        registration(ADULT, "acct-4", id_number=ADULT[1][:-1] + ("0" if ADULT[1][-1] != "0" else "1")),
        metadata=key,
        timeout=5,
    )
    assert invalid.verdict == pb.REGISTRATION_VERDICT_REJECT_INVALID_IDENTITY
    assert [(v.field, v.reason) for v in invalid.violations] == [("person.id_number", "CHECK_CHARACTER")]

    # A malformed request is the caller's error, not a verdict on the person.
    for malformed, field in (
        (registration(ADULT, account=""), "account_id"),
        (pb.CheckRegistrationRequest(platform_id="plat-a", account_id="acct-4", person=person(ADULT)), "role"),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await flows.CheckRegistration(malformed, metadata=key, timeout=5)
        assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert field in {name for name, _ in bad_request(refused.value)}

    impostor = await flows.CheckRegistration(registration(("冒名者", ADULT[1]), "acct-5"), metadata=key, timeout=5)
    assert impostor.verdict == pb.REGISTRATION_VERDICT_REJECT_INVALID_IDENTITY
    assert "PROVIDER_NAME_MISMATCH" in impostor.reasons

    # Listed on another platform's report: denied here, with the entry named.
    listed = await flows.CheckRegistration(registration(ADULT_2, "acct-6", "plat-b"), metadata=suite.key("plat-b"))
    entry_id = await blacklist_person(suite, listed.subject_digest)
    denied = await flows.CheckRegistration(registration(ADULT_2, "acct-7"), metadata=key, timeout=5)
    assert denied.verdict == pb.REGISTRATION_VERDICT_DENY_BLACKLISTED
    assert denied.blacklist.entry_id == entry_id and denied.blacklist.category == "CATEGORY_SERIOUS_VIOLATION"
    assert denied.blacklist.HasField("listed_until")


async def test_registration_review_while_the_provider_is_pending(suite, simulator) -> None:  # noqa: F811
    from tests.identity.test_http_provider import API_KEY, KNOWN_ID, KNOWN_NAME

    await suite.stop("identity")
    suite.env.update(LIVETRUST_IDENTITY_PROVIDER_URL=simulator.url, LIVETRUST_IDENTITY_PROVIDER_API_KEY=API_KEY)
    await suite.start("identity")
    flows = gateway_pb2_grpc.ComplianceGatewayStub(suite.channel)
    pending = await suite.eventually(
        flows.CheckRegistration, registration((KNOWN_NAME, KNOWN_ID)), metadata=suite.key("plat-a"), timeout=5
    )
    assert pending.verdict == pb.REGISTRATION_VERDICT_REVIEW and "PROVIDER_PENDING" in pending.reasons


async def test_pre_broadcast_check(suite) -> None:
    flows = gateway_pb2_grpc.ComplianceGatewayStub(suite.channel)
    identity = identity_pb2_grpc.IdentityServiceStub(suite.channel)
    key = suite.key("plat-a")
    check = pb.PreBroadcastCheckRequest(platform_id="plat-a", account_id="acct-1", room_id="room-1", session_id="s-1")

    unverified = await flows.PreBroadcastCheck(check, metadata=key, timeout=5)
    assert unverified.verdict == pb.BROADCAST_VERDICT_DENY
    assert set(unverified.reasons) == {"NOT_VERIFIED", "BROADCAST_CHECK_MISSING"}

    await flows.CheckRegistration(registration(ADULT), metadata=key, timeout=5)
    record = identity_pb2.RecordBroadcastCheckRequest(
        platform_id="plat-a",
        account_id="acct-1",
        session_id="s-1",
        passed=False,
        method=identity_pb2.BROADCAST_CHECK_METHOD_FACE_MATCH,
        request_id="r1",
    )
    await identity.RecordBroadcastCheck(record, metadata=key)
    failed = await flows.PreBroadcastCheck(check, metadata=key, timeout=5)
    assert list(failed.reasons) == ["BROADCAST_CHECK_FAILED"]

    record.passed, record.request_id = True, "r2"
    await identity.RecordBroadcastCheck(record, metadata=key)
    allowed = await flows.PreBroadcastCheck(check, metadata=key, timeout=5)
    assert allowed.verdict == pb.BROADCAST_VERDICT_ALLOW and list(allowed.reasons) == ["OK"]

    await blacklist_person(suite, (await flows.CheckRegistration(registration(ADULT), metadata=key)).subject_digest)
    blacklisted = await flows.PreBroadcastCheck(check, metadata=key, timeout=5)
    assert blacklisted.verdict == pb.BROADCAST_VERDICT_DENY and list(blacklisted.reasons) == ["BLACKLISTED"]

    minor_check = pb.PreBroadcastCheckRequest(platform_id="plat-a", account_id="acct-m", session_id="s-2")
    await flows.CheckRegistration(registration(MINOR_17, "acct-m"), metadata=key)
    minor = await flows.PreBroadcastCheck(minor_check, metadata=key, timeout=5)
    assert "CONSENT_MISSING" in minor.reasons


async def test_a_dead_backend_is_unavailable_within_the_deadline_and_recovers(suite) -> None:
    flows = gateway_pb2_grpc.ComplianceGatewayStub(suite.channel)
    key = suite.key("plat-a")
    await suite.stop("blacklist")
    started = time.monotonic()
    with pytest.raises(grpc.aio.AioRpcError) as down:
        await flows.CheckRegistration(registration(ADULT), metadata=key, timeout=3)
    assert time.monotonic() - started < 3.5
    assert unavailable_dependency(down.value) == "blacklist"

    await suite.start("blacklist")
    again = await suite.eventually(flows.CheckRegistration, registration(ADULT), metadata=key, timeout=3)
    assert again.verdict == pb.REGISTRATION_VERDICT_ALLOW


from tests.identity.test_http_provider import simulator  # noqa: E402, F401  (fixture)


async def test_pre_broadcast_check_consults_credit(suite) -> None:
    from livetrust.credit.v1 import credit_pb2, credit_pb2_grpc

    flows = gateway_pb2_grpc.ComplianceGatewayStub(suite.channel)
    identity = identity_pb2_grpc.IdentityServiceStub(suite.channel)
    credit = credit_pb2_grpc.CreditServiceStub(suite.channel)
    key = suite.key("plat-a")
    await flows.CheckRegistration(registration(ADULT), metadata=key, timeout=5)
    await identity.RecordBroadcastCheck(
        identity_pb2.RecordBroadcastCheckRequest(
            platform_id="plat-a",
            account_id="acct-1",
            session_id="s-1",
            passed=True,
            method=identity_pb2.BROADCAST_CHECK_METHOD_LIVENESS,
        ),
        metadata=key,
    )
    check = pb.PreBroadcastCheckRequest(platform_id="plat-a", account_id="acct-1", session_id="s-1")
    assert (await flows.PreBroadcastCheck(check, metadata=key, timeout=5)).verdict == pb.BROADCAST_VERDICT_ALLOW
    from google.protobuf import timestamp_pb2

    now = timestamp_pb2.Timestamp()
    now.GetCurrentTime()
    notices = [
        credit_pb2.CreditEvent(
            event_id=f"n-{i}",
            platform_id="plat-a",
            account_id="acct-1",
            occurred_at=now,
            regulator_notice=credit_pb2.RegulatorNotice(severity=credit_pb2.SEVERITY_SEVERE, authority="SAMR"),
        )
        for i in range(10)
    ]
    await credit.RecordEvents(credit_pb2.RecordEventsRequest(events=notices), metadata=key)
    entitlements = await credit.GetEntitlements(
        credit_pb2.GetEntitlementsRequest(platform_id="plat-a", account_id="acct-1"), metadata=key
    )
    assert not entitlements.entitlements.go_live
    denied = await flows.PreBroadcastCheck(check, metadata=key, timeout=5)
    assert denied.verdict == pb.BROADCAST_VERDICT_DENY
    assert denied.reasons[0].startswith("CREDIT_BAND_") and denied.reasons[0].endswith("_NO_GO_LIVE")
