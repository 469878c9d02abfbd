"""The gateway's door: API keys, the role x RPC table, tenants, revocation, rate limits, forged callers."""

from __future__ import annotations

import asyncio
import time

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from grpc_status import rpc_status

from livetrust.common.v1 import common_pb2
from livetrust.gateway import MIGRATIONS_DIR
from livetrust.gateway._access import ACCESS_RULES, PUBLIC_SERVICES
from livetrust.gateway._keys import list_keys, revoke_key
from livetrust.identity.v1 import identity_pb2, identity_pb2_grpc
from livetrust.runtime import CALLER_METADATA_KEY, Caller, Database, Role, sign_caller
from tests.identity.test_identity_service import ADULT

RPC_PREFIX = "livetrust."


async def _methods(channel: grpc.aio.Channel) -> list[str]:
    """Every method of every livetrust service the gateway exposes, found by reflection."""
    from google.protobuf import descriptor_pb2

    stub = reflection_pb2_grpc.ServerReflectionStub(channel)

    async def ask(requests):
        for request in requests:
            yield request

    services = []
    async for reply in stub.ServerReflectionInfo(ask([reflection_pb2.ServerReflectionRequest(list_services="")])):
        services = [s.name for s in reply.list_services_response.service if s.name.startswith(RPC_PREFIX)]
    methods = []
    for service in services:
        request = reflection_pb2.ServerReflectionRequest(file_containing_symbol=service)
        async for reply in stub.ServerReflectionInfo(ask([request])):
            for blob in reply.file_descriptor_response.file_descriptor_proto:
                file = descriptor_pb2.FileDescriptorProto.FromString(blob)
                for svc in file.service:
                    if f"{file.package}.{svc.name}" == service:
                        methods += [f"/{service}/{m.name}" for m in svc.method]
    return sorted(set(methods))


async def test_every_rpc_found_by_reflection_has_an_access_rule(suite) -> None:
    methods = await _methods(suite.channel)
    assert len(methods) > 20  # identity, blacklist and the gateway's own flows at least
    missing = [m for m in methods if m not in ACCESS_RULES]
    assert not missing, f"RPCs without an access rule (add them to gateway/_access.py): {missing}"


async def test_every_non_public_rpc_refuses_a_call_without_a_key(suite) -> None:
    for method in await _methods(suite.channel):
        if ACCESS_RULES[method].public:
            continue
        call = suite.channel.unary_unary(method)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            if method.endswith("/WatchChanges"):
                stream = suite.channel.unary_stream(method)(b"", timeout=3)
                await stream.read()
            else:
                await call(b"", timeout=3)
        assert refused.value.code() is grpc.StatusCode.UNAUTHENTICATED, method


async def test_bad_keys_are_unauthenticated(suite) -> None:
    stub = identity_pb2_grpc.IdentityServiceStub(suite.channel)
    request = identity_pb2.ValidateIdNumberRequest(id_type=common_pb2.ID_TYPE_RESIDENT_ID, id_number=ADULT[1])
    for metadata in (
        (("authorization", "Bearer nonsense"),),
        (("authorization", "Bearer lt_0000_secret"),),
        (("authorization", "Basic abc"),),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.ValidateIdNumber(request, metadata=metadata)
        assert refused.value.code() is grpc.StatusCode.UNAUTHENTICATED
    assert (await stub.ValidateIdNumber(request, metadata=suite.key())).valid


@pytest.mark.parametrize(
    ("method", "role", "allowed"),
    [
        ("/livetrust.identity.v1.IdentityService/ValidateIdNumber", "REVIEWER", True),
        ("/livetrust.identity.v1.IdentityService/VerifyIdentity", "REVIEWER", False),
        ("/livetrust.identity.v1.IdentityService/VerifyIdentity", "ADMIN", False),
        ("/livetrust.blacklist.v1.BlacklistService/ReviewEntry", "PLATFORM", False),
        ("/livetrust.blacklist.v1.BlacklistService/ResolveAppeal", "ADMIN", False),
        ("/livetrust.blacklist.v1.BlacklistService/VerifyAuditLog", "PLATFORM", False),
        ("/livetrust.blacklist.v1.BlacklistService/VerifyAuditLog", "ADMIN", True),
        ("/livetrust.gateway.v1.ComplianceGateway/CheckRegistration", "REVIEWER", False),
    ],
)
async def test_role_table(suite, method: str, role: str, allowed: bool) -> None:
    key = suite.key(platform="plat-a", role=role)
    try:
        await suite.channel.unary_unary(method)(b"", timeout=3, metadata=key)
        code = grpc.StatusCode.OK
    except grpc.aio.AioRpcError as exc:
        code = exc.code()
    if allowed:
        assert code is not grpc.StatusCode.PERMISSION_DENIED and code is not grpc.StatusCode.UNAUTHENTICATED
    else:
        assert code is grpc.StatusCode.PERMISSION_DENIED


async def test_a_platform_cannot_act_for_another(suite) -> None:
    stub = identity_pb2_grpc.IdentityServiceStub(suite.channel)
    with pytest.raises(grpc.aio.AioRpcError) as denied:
        await stub.CheckEligibility(
            identity_pb2.CheckEligibilityRequest(platform_id="plat-b", account_id="a"), metadata=suite.key("plat-a")
        )
    assert denied.value.code() is grpc.StatusCode.PERMISSION_DENIED
    reviewer = await stub.CheckEligibility(
        identity_pb2.CheckEligibilityRequest(platform_id="plat-b", account_id="a"),
        metadata=suite.key("association", "REVIEWER"),
    )
    assert list(reviewer.reasons) == ["NOT_VERIFIED"]


async def test_revoked_key_is_refused_at_once(suite) -> None:
    key = suite.key("plat-a")
    stub = identity_pb2_grpc.IdentityServiceStub(suite.channel)
    request = identity_pb2.ValidateIdNumberRequest(id_type=common_pb2.ID_TYPE_RESIDENT_ID, id_number=ADULT[1])
    assert (await stub.ValidateIdNumber(request, metadata=key)).valid
    db = Database(suite.env["LIVETRUST_GATEWAY_DATABASE_URL"], migrations_dir=MIGRATIONS_DIR, pool_size=1)
    key_id = key[0][1].split("_")[1]
    revoked_at = time.monotonic()
    from livetrust.clock import SystemClock

    revoke_key(db, key_id=key_id, now=SystemClock().now())
    assert [k.revoked_at is not None for k in list_keys(db) if k.key_id == key_id] == [True]
    db.close()
    while True:  # no restart: the next refresh of the key ring (every 0.2 s) applies it
        try:
            await stub.ValidateIdNumber(request, metadata=key)
        except grpc.aio.AioRpcError as exc:
            assert exc.code() is grpc.StatusCode.UNAUTHENTICATED
            break
        assert time.monotonic() - revoked_at < 1.0, "revocation not effective within a second"
        await asyncio.sleep(0.05)


async def test_rate_limit_answers_resource_exhausted_with_retry_info(suite) -> None:
    key = suite.key("plat-a", rate_per_second=1.0, burst=3)
    stub = identity_pb2_grpc.IdentityServiceStub(suite.channel)
    request = identity_pb2.ValidateIdNumberRequest(id_type=common_pb2.ID_TYPE_RESIDENT_ID, id_number=ADULT[1])
    for _ in range(3):
        await stub.ValidateIdNumber(request, metadata=key)
    with pytest.raises(grpc.aio.AioRpcError) as limited:
        await stub.ValidateIdNumber(request, metadata=key)
    assert limited.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    status = rpc_status.from_call(limited.value)  # type: ignore[arg-type]
    retry = error_details_pb2.RetryInfo()
    assert status is not None and any(d.Unpack(retry) for d in status.details if d.Is(retry.DESCRIPTOR))
    assert 0 < retry.retry_delay.ToMilliseconds() <= 1000
    # Another key is not affected.
    assert (await stub.ValidateIdNumber(request, metadata=suite.key("plat-a"))).valid


async def test_services_refuse_forged_caller_metadata(suite) -> None:
    forged = sign_caller(Caller("plat-a", Role.ADMIN, "k"), b"not-the-shared-secret-at-all-32b!", now=_now())
    async with grpc.aio.insecure_channel(suite.addresses["identity"]) as direct:
        stub = identity_pb2_grpc.IdentityServiceStub(direct)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.ValidateIdNumber(
                identity_pb2.ValidateIdNumberRequest(id_type=common_pb2.ID_TYPE_RESIDENT_ID, id_number=ADULT[1]),
                metadata=((CALLER_METADATA_KEY, forged),),
            )
        assert refused.value.code() is grpc.StatusCode.UNAUTHENTICATED
        # No caller metadata at all (a call that went around the gateway): refused as well.
        with pytest.raises(grpc.aio.AioRpcError) as anonymous:
            await stub.CheckEligibility(identity_pb2.CheckEligibilityRequest(platform_id="plat-a", account_id="a"))
        assert anonymous.value.code() is grpc.StatusCode.UNAUTHENTICATED


def test_public_services_need_no_rule() -> None:
    assert all(p.startswith("/grpc.") for p in PUBLIC_SERVICES)


def _now():
    from datetime import UTC, datetime

    return datetime.now(UTC)


async def test_public_credit_status_needs_no_key(suite) -> None:
    from livetrust.credit.v1 import credit_pb2, credit_pb2_grpc

    credit = credit_pb2_grpc.CreditServiceStub(suite.channel)
    with pytest.raises(grpc.aio.AioRpcError) as unknown:
        await credit.GetPublicCreditStatus(credit_pb2.GetPublicCreditStatusRequest(platform_id="p", account_id="a"))
    assert unknown.value.code() is grpc.StatusCode.NOT_FOUND  # reached the service: no key was needed
    with pytest.raises(grpc.aio.AioRpcError) as private:
        await credit.GetCreditScore(credit_pb2.GetCreditScoreRequest(platform_id="p", account_id="a"))
    assert private.value.code() is grpc.StatusCode.UNAUTHENTICATED


def test_service_role_cannot_be_an_api_key(tmp_path) -> None:
    from livetrust.errors import InvalidArgument
    from tests.conftest import gateway_key

    with pytest.raises(InvalidArgument):
        gateway_key(f"sqlite:///{tmp_path / 'g.db'}", role="SERVICE")
