"""Fixtures of the reliability tests: the suite as real processes on fresh databases (PostgreSQL on the
shared server, SQLite, or a private PostgreSQL server a test may restart), and known persons."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.conftest import PG_ADMIN_URL

from ._cluster import Cluster, PrivatePostgres, make_persons, postgres_databases, sqlite_databases

PERSONS = 500


@pytest.fixture(scope="session")
def persons() -> list[tuple[str, str]]:
    return make_persons(PERSONS)


@pytest.fixture
def make_cluster(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Callable[..., Cluster]]:
    """``make_cluster(backend, admin_url=None, **env)``: a prepared (migrated, persons imported) but not
    started suite on fresh databases, each part its own; ``backend`` is ``postgresql`` (the shared
    server, or ``admin_url``'s) or ``sqlite``. Processes are stopped and databases dropped afterwards."""
    with ExitStack() as stack:

        def make(backend: str, admin_url: str | None = None, **env: str) -> Cluster:
            if backend == "postgresql":
                if admin_url is None:
                    if not request.getfixturevalue("pg_available"):
                        pytest.skip("PostgreSQL does not answer; set LIVETRUST_REQUIRE_POSTGRES=1 to fail instead")
                    admin_url = PG_ADMIN_URL
                urls = stack.enter_context(postgres_databases(admin_url))
            else:
                urls = sqlite_databases(tmp_path / "db")
            cluster = Cluster(tmp_path, urls, **env)
            stack.callback(cluster.close)
            cluster.prepare(request.getfixturevalue("persons"))
            return cluster

        yield make


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    """A PostgreSQL server of this test's own, started; removed afterwards."""
    try:
        server = PrivatePostgres()
    except RuntimeError as exc:
        pytest.skip(f"cannot run a private PostgreSQL server: {exc}")
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.destroy()
