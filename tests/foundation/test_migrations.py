"""Every service's Alembic history applies from empty, on SQLite and PostgreSQL, and readiness
(health) waits for it."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from grpc_health.v1 import health_pb2

from livetrust._parts import load_part
from livetrust.runtime import SERVICES, ServiceConfig, migrate
from tests.conftest import running, wait_serving


@pytest.mark.parametrize("service", SERVICES)
def test_history_applies_from_empty_and_matches_the_models(service: str, database_url: str) -> None:
    part = load_part(service)
    assert part.migrations_dir is not None
    migrate(part.migrations_dir, database_url)
    migrate(part.migrations_dir, database_url)  # a second run is a no-op

    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    module = __import__(f"livetrust.{service}._storage", fromlist=["metadata"])
    engine = sa.create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), module.metadata)
        assert diff == [], f"models and migrations of {service} differ: {diff}"
    finally:
        engine.dispose()


async def test_not_serving_until_migrated(database_url: str, make_env) -> None:
    config = ServiceConfig.from_env("credit", make_env(LIVETRUST_CREDIT_DATABASE_URL=database_url))
    part = load_part("credit")
    async with running(config, part.build(config)) as (_server, address):
        await asyncio.sleep(0.5)
        from tests.foundation.test_runtime import _health

        assert await _health(address, "livetrust.credit.v1.CreditService") == health_pb2.HealthCheckResponse.NOT_SERVING
        assert part.migrations_dir is not None
        await asyncio.to_thread(migrate, part.migrations_dir, database_url)
        await wait_serving(address, "livetrust.credit.v1.CreditService", within=5)


def test_readiness_accepts_a_schema_ahead_of_the_code_but_not_behind(database_url: str) -> None:
    """A newer release's migration (unknown here) leaves old replicas ready: migrations only expand."""
    from livetrust.runtime import Database

    part = load_part("credit")
    db = Database(database_url, migrations_dir=part.migrations_dir, pool_size=1)
    try:
        assert not db.check_ready_sync()  # empty: behind the head
        migrate(part.migrations_dir, database_url)
        assert db.check_ready_sync()
        with db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = 'from_a_newer_release'"))
        assert db.check_ready_sync()
        with db.engine.begin() as conn:  # behind: a known, older revision (the baseline)
            conn.execute(sa.text("UPDATE alembic_version SET version_num = '4d86ad258e27'"))
        assert not db.check_ready_sync()
    finally:
        db.close()
