"""A whole path on real sockets: identity, blacklist and the gateway, each with its own database."""

from __future__ import annotations

import asyncio
import csv
import socket
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import grpc
import pytest

from livetrust import blacklist, credit, identity, retention
from livetrust.clock import SystemClock
from livetrust.gateway import build_gateway
from livetrust.identity._crypto import Digester
from livetrust.identity._registry import import_registry
from livetrust.runtime import Database, LivetrustServer, ServiceConfig, create_server
from tests.conftest import gateway_key, migrated, service_env, wait_serving
from tests.identity.test_identity_service import ADULT, ADULT_2, MINOR_17, UNDER_16


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Suite:
    env: dict[str, str]
    gateway: str
    channel: grpc.aio.Channel
    servers: dict[str, LivetrustServer] = field(default_factory=dict)
    addresses: dict[str, str] = field(default_factory=dict)

    def key(self, platform: str = "plat-a", role: str = "PLATFORM", **limits: object) -> tuple[tuple[str, str]]:
        token = gateway_key(self.env["LIVETRUST_GATEWAY_DATABASE_URL"], platform=platform, role=role, **limits)
        return (("authorization", f"Bearer {token}"),)

    async def start(self, name: str) -> None:
        """(Re)start a backend on its fixed address."""
        env = dict(self.env, LIVETRUST_LISTEN_ADDR=self.addresses[name])
        config = ServiceConfig.from_env(name, env)
        module = {"identity": identity, "blacklist": blacklist, "credit": credit, "retention": retention}[name]
        server, _ = create_server(config, module.build_service(config))
        await server.start()
        self.servers[name] = server
        await wait_serving(self.addresses[name], "", within=10)

    async def eventually(self, call, *args, attempts: int = 50, **kwargs):
        """``call`` once the gateway has reconnected to a restarted backend (UNAVAILABLE until then)."""
        for attempt in range(attempts):
            try:
                return await call(*args, **kwargs)
            except grpc.aio.AioRpcError as exc:
                if exc.code() is not grpc.StatusCode.UNAVAILABLE or attempt == attempts - 1:
                    raise
                await asyncio.sleep(0.1)
        raise AssertionError("unreachable")

    async def stop(self, name: str) -> None:
        await self.servers.pop(name).stop(grace=0.5)


@pytest.fixture
async def suite(tmp_path: Path):
    addresses = {name: f"127.0.0.1:{free_port()}" for name in ("identity", "blacklist", "credit", "retention")}
    env = service_env(
        tmp_path,
        LIVETRUST_IDENTITY_ADDR=addresses["identity"],
        LIVETRUST_BLACKLIST_ADDR=addresses["blacklist"],
        LIVETRUST_CREDIT_ADDR=addresses["credit"],
        LIVETRUST_RETENTION_ADDR=addresses["retention"],
        LIVETRUST_RETENTION_STORAGE_ROOT=str(tmp_path / "content"),
        LIVETRUST_OUTBOX_INTERVAL_SECONDS="0.1",
        LIVETRUST_GATEWAY_CALL_TIMEOUT_SECONDS="2",
    )
    for part in ("identity", "blacklist", "credit", "retention", "gateway"):
        env[f"LIVETRUST_{part.upper()}_DATABASE_URL"] = migrated(part, f"sqlite:///{tmp_path / part}.db")
    registry = tmp_path / "registry.csv"
    with registry.open("w", newline="") as handle:
        csv.writer(handle).writerows([("name", "id_number"), ADULT, ADULT_2, MINOR_17, UNDER_16])
    db = Database(env["LIVETRUST_IDENTITY_DATABASE_URL"], migrations_dir=identity.MIGRATIONS_DIR, pool_size=1)
    import_registry(db, Digester.from_env(env), registry, today=date.today(), now=SystemClock().now())
    db.close()

    gateway_env = dict(env, LIVETRUST_LISTEN_ADDR="127.0.0.1:0")
    gateway_config = ServiceConfig.from_env("gateway", gateway_env)
    gateway_server, port = create_server(gateway_config, build_gateway(gateway_config))
    await gateway_server.start()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        suite = Suite(env=env, gateway=f"127.0.0.1:{port}", channel=channel, addresses=addresses)
        for name in ("identity", "blacklist", "credit", "retention"):
            await suite.start(name)
        await wait_serving(suite.gateway, "livetrust.blacklist.v1.BlacklistService", within=10)
        await wait_serving(suite.gateway, "livetrust.identity.v1.IdentityService", within=10)
        try:
            yield suite
        finally:
            for name in list(suite.servers):
                await suite.stop(name)
            await gateway_server.stop(grace=0.5)
