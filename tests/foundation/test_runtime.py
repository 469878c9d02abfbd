"""The shared runtime: health that follows readiness, error mapping, graceful stop, caller identity."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status

from livetrust.runtime import CALLER_METADATA_KEY, Caller, Role, ServiceConfig, run_event_loop, sign_caller
from tests.conftest import running, wait_serving
from tests.foundation.echo import SERVICE, call, echo_definition


def _details(exc: grpc.aio.AioRpcError) -> dict[str, object]:
    status = rpc_status.from_call(exc)  # type: ignore[arg-type]
    assert status is not None, "no rich status details"
    found: dict[str, object] = {}
    for detail in status.details:
        for kind in (
            error_details_pb2.ErrorInfo,
            error_details_pb2.BadRequest,
            error_details_pb2.PreconditionFailure,
            error_details_pb2.RetryInfo,
        ):
            if detail.Is(kind.DESCRIPTOR):
                message = kind()
                detail.Unpack(message)
                found[kind.DESCRIPTOR.name] = message
    return found


@pytest.fixture
def config(make_env) -> ServiceConfig:
    return ServiceConfig.from_env("echo_test", make_env())


async def _health(address: str, service: str = "") -> int:
    async with grpc.aio.insecure_channel(address) as channel:
        reply = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=service), timeout=2
        )
        return reply.status


async def test_health_follows_readiness(config: ServiceConfig) -> None:
    ready = False

    async def check_ready() -> bool:
        return ready

    async with running(config, echo_definition(check_ready)) as (_, address):
        await asyncio.sleep(0.3)
        # "" is liveness (the process runs); the service's own name is readiness.
        assert await _health(address) == health_pb2.HealthCheckResponse.SERVING
        assert await _health(address, SERVICE) == health_pb2.HealthCheckResponse.NOT_SERVING
        ready = True
        await wait_serving(address, SERVICE, within=3)
        ready = False
        await asyncio.sleep(0.6)
        assert await _health(address, SERVICE) == health_pb2.HealthCheckResponse.NOT_SERVING


async def test_domain_errors_become_rich_statuses(config: ServiceConfig) -> None:
    async with running(config, echo_definition()) as (_, address), grpc.aio.insecure_channel(address) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as bad:
            await call(channel, "Fail")
        assert bad.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        details = _details(bad.value)
        violations = details["BadRequest"].field_violations  # type: ignore[attr-defined]
        assert [(v.field, v.reason) for v in violations] == [
            ("person.id_number", "CHECK_CHARACTER"),
            ("platform_id", "REQUIRED"),
        ]
        assert details["ErrorInfo"].reason == "INVALID_ARGUMENT"  # type: ignore[attr-defined]
        assert details["ErrorInfo"].domain == "livetrust.echo_test"  # type: ignore[attr-defined]

        with pytest.raises(grpc.aio.AioRpcError) as pre:
            await call(channel, "Precondition")
        assert pre.value.code() is grpc.StatusCode.FAILED_PRECONDITION
        failure = _details(pre.value)["PreconditionFailure"]
        assert failure.violations[0].subject == "entry-1"  # type: ignore[attr-defined]

        with pytest.raises(grpc.aio.AioRpcError) as exhausted:
            await call(channel, "Exhausted")
        assert exhausted.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
        assert _details(exhausted.value)["RetryInfo"].retry_delay.ToMilliseconds() == 1500  # type: ignore[attr-defined]

        with pytest.raises(grpc.aio.AioRpcError) as missing:
            await call(channel, "NotFound")
        assert missing.value.code() is grpc.StatusCode.NOT_FOUND
        info = _details(missing.value)["ErrorInfo"]
        assert info.reason == "THING_NOT_FOUND" and dict(info.metadata) == {"thing_id": "t-1"}  # type: ignore[attr-defined]


async def test_unexpected_errors_leak_nothing(config: ServiceConfig) -> None:
    async with running(config, echo_definition()) as (_, address), grpc.aio.insecure_channel(address) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as crash:
            await call(channel, "Crash")
        assert crash.value.code() is grpc.StatusCode.INTERNAL
        assert "secret" not in (crash.value.details() or "")
        assert "11010519491231002X" not in str(crash.value)


async def test_sigterm_style_stop_lets_in_flight_calls_finish(config: ServiceConfig) -> None:
    server, port = __import__("livetrust.runtime", fromlist=["create_server"]).create_server(config, echo_definition())
    await server.start()
    address = f"127.0.0.1:{port}"
    await wait_serving(address)
    async with grpc.aio.insecure_channel(address) as channel:
        in_flight = asyncio.ensure_future(call(channel, "Slow", b"1.0", timeout=10))
        await asyncio.sleep(0.3)
        stopping = asyncio.ensure_future(server.stop(grace=5))
        await asyncio.sleep(0.2)
        # While draining: health says NOT_SERVING and new calls are refused.
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await call(channel, "Metadata", timeout=2)
        assert refused.value.code() is grpc.StatusCode.UNAVAILABLE
        assert await in_flight == b"done"
        await stopping


async def test_signed_caller_is_trusted_and_forged_is_refused(config: ServiceConfig) -> None:
    caller = Caller(platform_id="plat-a", role=Role.PLATFORM, key_id="key-1")
    good = sign_caller(caller, config.caller_secret or b"", now=datetime.now(UTC))
    forged = sign_caller(caller, b"not-the-secret-but-32-bytes-long!", now=datetime.now(UTC))
    async with running(config, echo_definition()) as (_, address), grpc.aio.insecure_channel(address) as channel:
        assert await call(channel, "Caller") == b"anonymous"
        assert await call(channel, "Caller", metadata=((CALLER_METADATA_KEY, good),)) == b"plat-a/PLATFORM/key-1"
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await call(channel, "Caller", metadata=((CALLER_METADATA_KEY, forged),))
        assert refused.value.code() is grpc.StatusCode.UNAUTHENTICATED
        with pytest.raises(grpc.aio.AioRpcError) as garbage:
            await call(channel, "Caller", metadata=((CALLER_METADATA_KEY, "x.y.z"),))
        assert garbage.value.code() is grpc.StatusCode.UNAUTHENTICATED


async def test_metadata_and_deadline_reach_the_handler(config: ServiceConfig) -> None:
    async with running(config, echo_definition()) as (_, address), grpc.aio.insecure_channel(address) as channel:
        seen = json.loads(await call(channel, "Metadata", metadata=(("x-request-id", "r-1"),), timeout=3))
        assert seen["metadata"]["x-request-id"] == "r-1"
        assert 0 < seen["time_remaining"] <= 3.05  # the grpc-timeout header rounds the deadline up a little


@pytest.mark.parametrize("event_loop", ["uvloop", "asyncio"])
def test_servers_run_on_the_configured_event_loop(make_env, event_loop: str) -> None:
    config = ServiceConfig.from_env("echo_test", make_env(LIVETRUST_EVENT_LOOP=event_loop))

    async def main() -> tuple[str, int]:
        async with running(config, echo_definition()) as (_, address):
            return type(asyncio.get_running_loop()).__module__.partition(".")[0], await _health(address)

    serving = health_pb2.HealthCheckResponse.SERVING
    assert run_event_loop(main(), event_loop=config.event_loop) == (event_loop, serving)


def test_an_unknown_event_loop_is_refused_at_start(make_env) -> None:
    with pytest.raises(ValueError, match="LIVETRUST_EVENT_LOOP"):
        ServiceConfig.from_env("echo_test", make_env(LIVETRUST_EVENT_LOOP="trio"))


def test_excluded_services_stay_out_of_grpc_traces() -> None:
    """OTEL_PYTHON_GRPC_EXCLUDED_SERVICES (the k8s otel component sets the health service) reaches our own
    interceptors: the library reads it only in its global instrumentors."""
    from livetrust.runtime._telemetry import grpc_trace_filter

    class Details(grpc.HandlerCallDetails):
        def __init__(self, method: str) -> None:
            self.method = method
            self.invocation_metadata = ()

    traced = grpc_trace_filter({"OTEL_PYTHON_GRPC_EXCLUDED_SERVICES": "grpc.health.v1.Health, livetrust.test.Echo"})
    assert traced is not None
    assert not traced(Details("/grpc.health.v1.Health/Check"))
    assert not traced(Details("/livetrust.test.Echo/Metadata"))
    assert traced(Details("/livetrust.blacklist.v1.BlacklistService/Lookup"))
    assert grpc_trace_filter({}) is None and grpc_trace_filter({"OTEL_PYTHON_GRPC_EXCLUDED_SERVICES": " "}) is None
