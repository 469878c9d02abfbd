"""A whole path on real sockets: identity, blacklist and the gateway, each with its own database."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import pytest

from livetrust import blacklist, credit, identity, retention
from livetrust.runtime import LivetrustServer, ServiceConfig, create_server
from tests.conftest import gateway_key, wait_serving


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
    """Every part in this process on real sockets, each with its own SQLite database (``_suites`` has the
    same on PostgreSQL for the sweeps)."""
    from tests.gateway._suites import started_suite, suite_databases

    with suite_databases("sqlite", tmp_path) as urls:
        async with started_suite(tmp_path, urls) as started:
            yield started
