"""The blacklist service wired into the shared server."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

import grpc

from livetrust.clock import Clock, SystemClock
from livetrust.runtime import Database, LivetrustServer, ServiceConfig, ServiceDefinition

from ._rules import BlacklistPolicy
from ._service import BlacklistService, ListedIndexFollower
from ._servicer import BlacklistServicer
from .v1 import blacklist_pb2, blacklist_pb2_grpc

__all__ = ["MIGRATIONS_DIR", "SERVICE_NAMES", "build_service"]

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SERVICE_NAMES = tuple(s.full_name for s in blacklist_pb2.DESCRIPTOR.services_by_name.values())
_log = logging.getLogger("livetrust.blacklist")


def build_service(config: ServiceConfig, *, clock: Clock | None = None) -> ServiceDefinition:
    """Ready when the database is at its head AND the in-memory index has loaded (warm-up held in
    readiness, so a new replica gets no traffic before it can answer lookups)."""
    assert config.database_url is not None
    clock = clock or SystemClock()
    db = Database(config.database_url, migrations_dir=MIGRATIONS_DIR, pool_size=config.db_pool_size)
    follower = ListedIndexFollower(db)
    service = BlacklistService(
        db=db,
        follower=follower,
        clock=clock,
        policy=BlacklistPolicy.from_env(config.env),
        max_message_bytes=config.max_message_bytes,
    )
    follow_seconds = float(config.env.get("LIVETRUST_BLACKLIST_FOLLOW_SECONDS", 0.5))
    expiry_seconds = float(config.env.get("LIVETRUST_BLACKLIST_EXPIRY_SECONDS", 60))

    def register(server: grpc.aio.Server) -> None:
        blacklist_pb2_grpc.add_BlacklistServiceServicer_to_server(BlacklistServicer(service), server)

    async def check_ready() -> bool:
        return follower.ready and await db.check_ready()

    async def follow_change_log(_: LivetrustServer) -> None:
        await follower.follow(follow_seconds)

    async def expire_listings(_: LivetrustServer) -> None:
        while True:
            await asyncio.sleep(expiry_seconds)
            try:
                await service.expire_due()
            except Exception:
                _log.exception("expiry run failed")

    background: list[Callable[[LivetrustServer], Awaitable[None]]] = [follow_change_log, expire_listings]
    return ServiceDefinition(
        name=config.name,
        service_names=SERVICE_NAMES,
        register=register,
        check_ready=check_ready,
        background=background,
        on_stop=[db.close],
    )
