"""The gateway's first cut: pass-through by method path, health mirroring, reflection of everything."""

from __future__ import annotations

import asyncio
import json
import time

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from grpc_status import rpc_status

from livetrust.gateway import build_gateway
from livetrust.gateway._access import ANY_ROLE, AccessRule
from livetrust.runtime import CALLER_METADATA_KEY, ServiceConfig
from tests.conftest import bearer, gateway_key, running, wait_serving
from tests.foundation.echo import HANDLERS, SERVICE, call, echo_definition

ECHO_RULES = {f"/{SERVICE}/{name}": AccessRule(ANY_ROLE, own_platform_field=None) for name in HANDLERS}


def echo_gateway(env: dict[str, str], backend: str, **kwargs):
    config = ServiceConfig.from_env("gateway", env)
    definition = build_gateway(
        config,
        addresses={"echo": backend},
        routes={SERVICE: "echo"},
        method_kinds={f"/{SERVICE}/Stream": "unary_stream"},
        access_rules=ECHO_RULES,
        **kwargs,
    )
    return config, definition


@pytest.fixture
async def echo_behind_gateway(make_env, tmp_path):
    env = make_env(LIVETRUST_GATEWAY_DATABASE_URL=f"sqlite:///{tmp_path / 'gateway.db'}")
    token = gateway_key(env["LIVETRUST_GATEWAY_DATABASE_URL"])
    async with running(ServiceConfig.from_env("echo", env), echo_definition()) as (_, backend):
        gateway_config, definition = echo_gateway(env, backend)
        async with running(gateway_config, definition) as (_, gateway):
            await wait_serving(gateway, SERVICE)
            yield gateway, backend, bearer(token)


async def test_status_details_pass_through_unchanged(echo_behind_gateway) -> None:
    gateway, backend, key = echo_behind_gateway
    async with grpc.aio.insecure_channel(gateway) as via_gateway, grpc.aio.insecure_channel(backend) as direct:
        errors = []
        for channel in (via_gateway, direct):
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await call(channel, "Fail", metadata=key)
            errors.append(caught.value)
        through, straight = errors
        assert through.code() is straight.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert through.details() == straight.details()
        assert rpc_status.from_call(through) == rpc_status.from_call(straight)  # type: ignore[arg-type]
        bad_request = error_details_pb2.BadRequest()
        rpc_status.from_call(through).details[1].Unpack(bad_request)  # type: ignore[arg-type, union-attr]
        assert bad_request.field_violations[0].field == "person.id_number"


async def test_metadata_allow_list_and_deadline(echo_behind_gateway) -> None:
    gateway, _, key = echo_behind_gateway
    async with grpc.aio.insecure_channel(gateway) as channel:
        metadata = (
            ("x-request-id", "req-42"),
            *key,
            (CALLER_METADATA_KEY, "forged"),
            ("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
        )
        seen = json.loads(await call(channel, "Metadata", metadata=metadata, timeout=2.0))
        assert seen["metadata"]["x-request-id"] == "req-42"
        assert "traceparent" in seen["metadata"]
        assert "authorization" not in seen["metadata"]
        # The client's forged caller never passes; the gateway's own signed one replaces it.
        assert seen["metadata"][CALLER_METADATA_KEY] != "forged"
        assert (await call(channel, "Caller", metadata=metadata)).startswith(b"plat-a/PLATFORM/")
        # The backend sees the caller's deadline, less the hop, never more.
        assert 1.0 < seen["time_remaining"] <= 2.05  # give or take timer rounding
        # No caller deadline: the gateway still caps the backend call.
        seen = json.loads(await call(channel, "Metadata", metadata=key))
        assert seen["time_remaining"] <= 5.1  # the 5 s cap, give or take timer rounding


async def test_deadline_expires_at_the_callers_limit(echo_behind_gateway) -> None:
    gateway, _, key = echo_behind_gateway
    async with grpc.aio.insecure_channel(gateway) as channel:
        started = time.monotonic()
        with pytest.raises(grpc.aio.AioRpcError) as late:
            await call(channel, "Slow", b"3", timeout=0.5, metadata=key)
        assert late.value.code() is grpc.StatusCode.DEADLINE_EXCEEDED
        assert time.monotonic() - started < 1.5


async def test_server_streaming_passes_through(echo_behind_gateway) -> None:
    gateway, _, key = echo_behind_gateway
    async with grpc.aio.insecure_channel(gateway) as channel:
        stream = channel.unary_stream(f"/{SERVICE}/Stream")(b"4", timeout=5, metadata=key)
        assert [item async for item in stream] == [b"0", b"1", b"2", b"3"]


async def test_health_mirrors_backend_and_down_backend_is_unavailable(make_env, tmp_path) -> None:
    env = make_env(LIVETRUST_GATEWAY_DATABASE_URL=f"sqlite:///{tmp_path / 'gateway.db'}")
    key = bearer(gateway_key(env["LIVETRUST_GATEWAY_DATABASE_URL"]))
    server_cm = running(ServiceConfig.from_env("echo", env), echo_definition())
    _, backend = await server_cm.__aenter__()
    gateway_config, definition = echo_gateway(env, backend)
    async with running(gateway_config, definition) as (_, gateway):
        await wait_serving(gateway, SERVICE)
        await server_cm.__aexit__(None, None, None)  # the backend goes away
        async with grpc.aio.insecure_channel(gateway) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            for _ in range(50):
                reply = await stub.Check(health_pb2.HealthCheckRequest(service=SERVICE), timeout=1)
                if reply.status == health_pb2.HealthCheckResponse.NOT_SERVING:
                    break
                await asyncio.sleep(0.1)
            assert reply.status == health_pb2.HealthCheckResponse.NOT_SERVING
            started = time.monotonic()
            with pytest.raises(grpc.aio.AioRpcError) as down:
                await call(channel, "Metadata", timeout=3, metadata=key)
            assert time.monotonic() - started < 3.5
            assert down.value.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
            if down.value.code() is grpc.StatusCode.UNAVAILABLE:
                info = error_details_pb2.ErrorInfo()
                rpc_status.from_call(down.value).details[0].Unpack(info)  # type: ignore[arg-type, union-attr]
                assert info.metadata["dependency"] == "echo"


async def test_gateway_reflection_lists_every_service(make_env) -> None:
    config = ServiceConfig.from_env("gateway", make_env())
    async with running(config, build_gateway(config)) as (_, gateway), grpc.aio.insecure_channel(gateway) as channel:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)

        async def ask():
            yield reflection_pb2.ServerReflectionRequest(list_services="")

        names = set()
        async for reply in stub.ServerReflectionInfo(ask()):
            names |= {s.name for s in reply.list_services_response.service}
        assert {
            "livetrust.identity.v1.IdentityService",
            "livetrust.blacklist.v1.BlacklistService",
            "livetrust.credit.v1.CreditService",
            "livetrust.retention.v1.RetentionService",
            "livetrust.gateway.v1.ComplianceGateway",
        } <= names


def test_trace_context_is_forwarded_once() -> None:
    from livetrust.gateway._proxy import forwardable_metadata
    from livetrust.runtime import outbound_tracing

    incoming = (("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"), ("x-request-id", "r"))
    # Untraced gateway: the caller's context passes as it came.
    assert forwardable_metadata(incoming) == list(incoming)
    # Traced gateway: its client interceptor sends the continued trace; the caller's copy would be a second one.
    assert forwardable_metadata(incoming, trace_context=False) == [("x-request-id", "r")]
    assert outbound_tracing({"OTEL_TRACES_EXPORTER": "otlp"}) and outbound_tracing({"OTEL_EXPORTER_OTLP_ENDPOINT": "x"})
    assert not outbound_tracing({}) and not outbound_tracing({"OTEL_TRACES_EXPORTER": "none"})


async def test_method_hooks_answer_locally_see_every_outcome_and_never_change_an_answer(make_env) -> None:
    from livetrust.gateway import Backend, MethodHooks, ProxyHandler

    env = make_env()
    seen: list[tuple[str, grpc.StatusCode | None]] = []

    def broken(*_: object) -> None:
        raise RuntimeError("a hook's bug")

    def hooks(name: str) -> MethodHooks:
        return MethodHooks(
            before_forward=lambda: seen.append((name, None)),
            after_forward=lambda code: seen.append((name, code)),
        )

    running_echo = running(ServiceConfig.from_env("echo", env), echo_definition())
    async with running_echo as (_, backend), grpc.aio.insecure_channel(backend) as backend_channel:
        proxy = ProxyHandler(
            {SERVICE: Backend("echo", backend_channel)},
            hooks={
                f"/{SERVICE}/Caller": MethodHooks(answer=lambda request: b"local" if request == b"me" else None),
                f"/{SERVICE}/Metadata": MethodHooks(answer=broken, before_forward=broken, after_forward=broken),
                f"/{SERVICE}/NotFound": hooks("NotFound"),
                f"/{SERVICE}/Slow": hooks("Slow"),
            },
        )
        server = grpc.aio.server()
        server.add_generic_rpc_handlers((proxy,))
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        try:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
                assert await call(channel, "Caller", b"me") == b"local"
                assert await call(channel, "Caller", b"someone") == b"anonymous"  # forwarded
                assert "metadata" in json.loads(await call(channel, "Metadata"))  # broken hooks, same answer
                with pytest.raises(grpc.aio.AioRpcError) as missing:
                    await call(channel, "NotFound")
                assert missing.value.code() is grpc.StatusCode.NOT_FOUND
                with pytest.raises(grpc.aio.AioRpcError) as late:
                    await call(channel, "Slow", timeout=0.2)
                assert late.value.code() is grpc.StatusCode.DEADLINE_EXCEEDED
        finally:
            await server.stop(None)
    # The caller's deadline ends the gateway's call to the backend, or the gateway's handler itself.
    assert seen[:3] == [("NotFound", None), ("NotFound", grpc.StatusCode.NOT_FOUND), ("Slow", None)]
    assert seen[3:] in ([("Slow", grpc.StatusCode.DEADLINE_EXCEEDED)], [("Slow", grpc.StatusCode.CANCELLED)])
