"""Fixtures shared by every test: databases (SQLite and a fresh PostgreSQL database), service
environments, and servers started in-process on port 0 over real sockets."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import grpc
import psycopg
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from livetrust.clock import FixedClock
from livetrust.runtime import LivetrustServer, ServiceConfig, ServiceDefinition, create_server, migrate

PG_ADMIN_URL = os.environ.get("LIVETRUST_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REQUIRE_PG = os.environ.get("LIVETRUST_REQUIRE_POSTGRES") == "1"


def _pg_available() -> bool:
    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=2):
            return True
    except psycopg.OperationalError:
        return False


@pytest.fixture(scope="session")
def pg_available() -> bool:
    available = _pg_available()
    if not available and REQUIRE_PG:
        pytest.fail("PostgreSQL is required (LIVETRUST_REQUIRE_POSTGRES=1) but does not answer at " + PG_ADMIN_URL)
    return available


@pytest.fixture
def postgres_url(pg_available: bool) -> Iterator[str]:
    """A fresh, empty PostgreSQL database, dropped afterwards."""
    if not pg_available:
        pytest.skip("PostgreSQL does not answer; set LIVETRUST_REQUIRE_POSTGRES=1 to fail instead")
    name = f"lt_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}".replace("postgresql://", "postgresql+psycopg://", 1)
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every test using this runs twice: on SQLite and on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 6, 1, 4, 0, tzinfo=UTC))


def service_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A complete environment for servers under test: port 0, fast readiness, throwaway secrets."""
    env = {
        "LIVETRUST_DATA_DIR": str(tmp_path / "data"),
        "LIVETRUST_LISTEN_ADDR": "127.0.0.1:0",
        "LIVETRUST_READINESS_INTERVAL_SECONDS": "0.2",
        "LIVETRUST_GRACE_SECONDS": "5",
        "LIVETRUST_CALLER_SECRET": secrets.token_hex(32),
        "LIVETRUST_CONSORTIUM_KEY": secrets.token_hex(32),
        "LIVETRUST_IDENTITY_ENCRYPTION_KEY": secrets.token_hex(32),
        "LIVETRUST_LOG_FORMAT": "json",
    }
    env.update(extra)
    return env


@pytest.fixture
def make_env(tmp_path: Path) -> Callable[..., dict[str, str]]:
    return lambda **extra: service_env(tmp_path, **extra)


@asynccontextmanager
async def running(
    config: ServiceConfig, definition: ServiceDefinition, **kwargs: object
) -> AsyncIterator[tuple[LivetrustServer, str]]:
    """A started server and its ``127.0.0.1:port`` address; stopped (with a short grace) on exit."""
    server, port = create_server(config, definition, **kwargs)  # type: ignore[arg-type]
    await server.start()
    try:
        yield server, f"127.0.0.1:{port}"
    finally:
        await server.stop(grace=1.0)


async def wait_serving(address: str, service: str = "", within: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    async with grpc.aio.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while True:
            try:
                reply = await stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=1.0)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.aio.AioRpcError:
                pass
            if loop.time() > deadline:
                raise TimeoutError(f"{address} {service!r} not SERVING after {within}s")
            await asyncio.sleep(0.05)


def migrated(part: str, url: str) -> str:
    """Migrate ``url`` to the head of ``part``'s history and return it."""
    from livetrust._parts import load_part

    migrations = load_part(part).migrations_dir
    assert migrations is not None
    migrate(migrations, url)
    return url


def gateway_key(database_url: str, *, platform: str = "plat-a", role: str = "PLATFORM", **limits: object) -> str:
    """A fresh API key in the gateway's store at ``database_url`` (migrated here); returns the token."""
    from livetrust.clock import SystemClock
    from livetrust.gateway import MIGRATIONS_DIR
    from livetrust.gateway._keys import create_key
    from livetrust.runtime import Database

    migrate(MIGRATIONS_DIR, database_url)
    db = Database(database_url, migrations_dir=MIGRATIONS_DIR, pool_size=1)
    try:
        _, token = create_key(db, platform_id=platform, role=role, now=SystemClock().now(), **limits)  # type: ignore[arg-type]
    finally:
        db.close()
    return token


def bearer(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


def bad_request(exc: grpc.aio.AioRpcError) -> list[tuple[str, str]]:
    """The (field, reason) pairs of an error's google.rpc.BadRequest detail; empty when it has none."""
    from google.rpc import error_details_pb2
    from grpc_status import rpc_status

    status = rpc_status.from_call(exc)  # type: ignore[arg-type]
    for detail in status.details if status else ():
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            return [(v.field, v.reason) for v in bad.field_violations]
    return []


def unavailable_dependency(exc: grpc.aio.AioRpcError) -> str:
    """The dependency an UNAVAILABLE names in its ErrorInfo (the gateway's answer when a backend is down)."""
    from google.rpc import error_details_pb2
    from grpc_status import rpc_status

    assert exc.code() is grpc.StatusCode.UNAVAILABLE, exc.code()
    status = rpc_status.from_call(exc)  # type: ignore[arg-type]
    assert status is not None
    info = error_details_pb2.ErrorInfo()
    status.details[0].Unpack(info)
    return info.metadata["dependency"]


def signed_caller(secret: bytes, platform: str = "plat-a", role: str = "PLATFORM") -> tuple[tuple[str, str], ...]:
    """Caller metadata as the gateway signs it (for tests that call a service directly)."""
    from datetime import UTC, datetime

    from livetrust.runtime import CALLER_METADATA_KEY, Caller, Role, sign_caller

    token = sign_caller(Caller(platform, Role(role), f"key-{platform}"), secret, now=datetime.now(UTC))
    return ((CALLER_METADATA_KEY, token),)


class SignedAsRequestPlatform(grpc.aio.UnaryUnaryClientInterceptor, grpc.aio.UnaryStreamClientInterceptor):
    """Signs each call as the gateway would for a ``role`` caller of the request's own ``platform_id``
    (tests that call one service directly and are about its rules, not the gateway's)."""

    def __init__(self, secret: bytes, role: str = "PLATFORM") -> None:
        self._secret = secret
        self._role = role

    def _details(self, details: grpc.aio.ClientCallDetails, request: object) -> grpc.aio.ClientCallDetails:
        platform = getattr(request, "platform_id", "plat-a")  # even "": the test is about the service's checks
        metadata = grpc.aio.Metadata(*(details.metadata or ()), *signed_caller(self._secret, platform, self._role))
        return grpc.aio.ClientCallDetails(
            details.method, details.timeout, metadata, details.credentials, details.wait_for_ready
        )

    async def intercept_unary_unary(self, continuation, client_call_details, request):  # type: ignore[no-untyped-def]
        return await continuation(self._details(client_call_details, request), request)

    async def intercept_unary_stream(self, continuation, client_call_details, request):  # type: ignore[no-untyped-def]
        return await continuation(self._details(client_call_details, request), request)


@contextlib.contextmanager
def acting_as(platform: str = "plat-a", role: str = "PLATFORM") -> Iterator[None]:
    """In-process calls of service functions as a gateway-authenticated caller."""
    from livetrust.runtime import Caller, Role, current_caller

    token = current_caller.set(Caller(platform, Role(role), f"key-{platform}"))
    try:
        yield
    finally:
        current_caller.reset(token)


def free_ports(n: int) -> list[int]:
    """``n`` distinct ports free on 127.0.0.1 now (for servers that must listen on a known port)."""
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def free_port() -> int:
    return free_ports(1)[0]
