"""Every service's Alembic history applies from empty, on SQLite and PostgreSQL, and readiness
(health) waits for it."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from grpc_health.v1 import health_pb2

from livetrust._parts import load_part
from livetrust.runtime import SERVICES, ServiceConfig, migrate
from tests.conftest import migrated, running, wait_serving


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


async def test_read_units_see_committed_data_write_nothing_and_do_not_wait_for_a_writer(database_url: str) -> None:
    import threading

    from livetrust.runtime import Database

    migrations = load_part("gateway").migrations_dir
    assert migrations is not None
    url = migrated("gateway", database_url)
    db = Database(url, migrations_dir=migrations, pool_size=4)
    version = sa.text("SELECT version FROM key_store_version WHERE id = 1")
    try:
        db.run_sync(lambda s: s.execute(sa.text("DELETE FROM key_store_version")))
        db.run_sync(lambda s: s.execute(sa.text("INSERT INTO key_store_version (id, version) VALUES (1, 7)")))
        before = db.read_sync(lambda s: s.execute(version).scalar())
        assert before == 7
        # A write attempted inside a read unit is never committed.
        db.read_sync(lambda s: s.execute(sa.text("UPDATE key_store_version SET version = version + 100")))
        assert db.read_sync(lambda s: s.execute(version).scalar()) == before

        # While a writer holds its transaction open, a read answers with the last committed state.
        holding, release = threading.Event(), threading.Event()

        def slow_writer(session) -> None:
            session.execute(sa.text("UPDATE key_store_version SET version = version + 1"))
            holding.set()
            release.wait(10)

        writer = asyncio.ensure_future(db.run(slow_writer))
        assert await asyncio.to_thread(holding.wait, 10)
        assert await asyncio.wait_for(db.read(lambda s: s.execute(version).scalar()), 5) == before
        release.set()
        await writer
        assert await db.read(lambda s: s.execute(version).scalar()) == before + 1
    finally:
        db.close()
