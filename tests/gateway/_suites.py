"""The in-process suite of ``conftest.suite`` on either database backend: every part (four services and
the gateway) on real sockets, each with its own fresh database, SQLite files or PostgreSQL databases
created here and dropped afterwards. Used by the fuzzing and security sweeps, which must hold on both."""

from __future__ import annotations

import csv
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import date
from pathlib import Path

import grpc
import psycopg
import pytest

from livetrust import identity
from livetrust.clock import SystemClock
from livetrust.gateway import build_gateway
from livetrust.identity._crypto import Digester
from livetrust.identity._registry import import_registry
from livetrust.runtime import Database, ServiceConfig, create_server
from tests.conftest import PG_ADMIN_URL, free_port, migrated, service_env, wait_serving
from tests.gateway.conftest import Suite
from tests.identity.test_identity_service import ADULT, ADULT_2, MINOR_17, UNDER_16

PARTS: tuple[str, ...] = ("identity", "blacklist", "credit", "retention", "gateway")
BACKENDS: tuple[str, ...] = ("identity", "blacklist", "credit", "retention")
#: Readiness names the gateway mirrors, one per backend.
READINESS: dict[str, str] = {
    "identity": "livetrust.identity.v1.IdentityService",
    "blacklist": "livetrust.blacklist.v1.BlacklistService",
    "credit": "livetrust.credit.v1.CreditService",
    "retention": "livetrust.retention.v1.RetentionService",
}
#: The persons of the development registry the suite loads (name, resident ID number).
REGISTRY_PERSONS: tuple[tuple[str, str], ...] = (ADULT, ADULT_2, MINOR_17, UNDER_16)

#: ``pytest.mark.parametrize`` values: each sweep runs on SQLite and on PostgreSQL.
DATABASE_BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@contextmanager
def suite_databases(backend: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    """A fresh database per part: SQLite files under ``tmp_path``, or PostgreSQL databases dropped after."""
    if backend == "sqlite":
        yield {part: f"sqlite:///{tmp_path / part}.db" for part in PARTS}
        return
    names = {part: f"lt_sweep_{part}_{uuid.uuid4().hex[:10]}" for part in PARTS}
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        for name in names.values():
            conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {part: f"{base}/{name}" for part, name in names.items()}
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            for name in names.values():
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@asynccontextmanager
async def started_suite(tmp_path: Path, urls: dict[str, str], **extra_env: str) -> AsyncIterator[Suite]:
    """Like ``conftest.suite`` (same registry of known persons, same settings) on the given databases."""
    addresses = {name: f"127.0.0.1:{free_port()}" for name in BACKENDS}
    env = service_env(
        tmp_path,
        LIVETRUST_IDENTITY_ADDR=addresses["identity"],
        LIVETRUST_BLACKLIST_ADDR=addresses["blacklist"],
        LIVETRUST_CREDIT_ADDR=addresses["credit"],
        LIVETRUST_RETENTION_ADDR=addresses["retention"],
        LIVETRUST_RETENTION_STORAGE_ROOT=str(tmp_path / "content"),
        LIVETRUST_OUTBOX_INTERVAL_SECONDS="0.1",
        LIVETRUST_GATEWAY_CALL_TIMEOUT_SECONDS="2",
        **extra_env,
    )
    for part in PARTS:
        env[f"LIVETRUST_{part.upper()}_DATABASE_URL"] = migrated(part, urls[part])
    registry = tmp_path / "registry.csv"
    with registry.open("w", newline="") as handle:
        csv.writer(handle).writerows([("name", "id_number"), *REGISTRY_PERSONS])
    db = Database(env["LIVETRUST_IDENTITY_DATABASE_URL"], migrations_dir=identity.MIGRATIONS_DIR, pool_size=1)
    import_registry(db, Digester.from_env(env), registry, today=date.today(), now=SystemClock().now())
    db.close()

    gateway_config = ServiceConfig.from_env("gateway", dict(env, LIVETRUST_LISTEN_ADDR="127.0.0.1:0"))
    gateway_server, port = create_server(gateway_config, build_gateway(gateway_config))
    await gateway_server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            suite = Suite(env=env, gateway=f"127.0.0.1:{port}", channel=channel, addresses=addresses)
            try:
                for name in BACKENDS:
                    await suite.start(name)
                for name in READINESS.values():
                    await wait_serving(suite.gateway, name, within=15)
                yield suite
            finally:
                for name in list(suite.servers):
                    await suite.stop(name)
    finally:
        await gateway_server.stop(grace=0.5)
