"""Databases: one per service, SQLite (embedded default) or PostgreSQL (psycopg 3), SQLAlchemy 2 sync
sessions run on a bounded thread pool so the gRPC event loop never blocks, Alembic at the head."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import hashlib
import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import DateTime, Engine, MetaData, Table, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.types import TypeDecorator

__all__ = [
    "Database",
    "UtcDateTime",
    "alembic_config",
    "insert_on_conflict",
    "make_metadata",
    "migrate",
    "normalize_url",
    "serialize_writes",
]

_log = logging.getLogger("livetrust.db")
T = TypeVar("T")


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite has no time zones: store naive UTC, read back aware)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UtcDateTime column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def make_metadata() -> MetaData:
    """A service's metadata, with constraint names Alembic can find again on every backend."""
    return MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


def normalize_url(url: str) -> str:
    """PostgreSQL URLs use psycopg 3 whatever driver they name (``postgresql://`` -> ``+psycopg``)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() != "psycopg":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run beside the one writer; busy_timeout queues writers instead of failing.
    # pysqlite's own implicit BEGIN is switched off so that _sqlite_begin below decides.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


_READ_ONLY = "livetrust_read_only"


def _sqlite_begin(conn: Connection) -> None:
    # BEGIN IMMEDIATE takes the write lock up front: a transaction that reads and then writes cannot
    # fail with "database is locked" halfway; writers queue (busy_timeout) instead. Read-only units
    # (Database.read) begin deferred: under WAL they see one snapshot and never wait for the writer.
    conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(_READ_ONLY) else "BEGIN IMMEDIATE")


def insert_on_conflict(table: Table, dialect: str) -> postgresql.Insert | sqlite.Insert:
    """An INSERT into ``table`` for ``dialect`` (``postgresql`` or ``sqlite``, e.g. ``Database.dialect`` or
    ``connection.dialect.name``) that takes ``on_conflict_do_nothing`` / ``on_conflict_do_update``: both
    dialects spell them alike, each in its own construct."""
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


def serialize_writes(session: Session, name: str, *, shared: bool = False) -> None:
    """Make transactions that append to one sequence (an audit chain, a change log) run one at a time.

    PostgreSQL: a transaction-scoped advisory lock named by ``name``, held to the end of the transaction.
    ``shared`` ones do not wait for each other, only for (and hold off) the exclusive ones: for frequent
    writes that must not interleave with a rare one that reads what they write. SQLite: every
    transaction already holds the write lock from its start (BEGIN IMMEDIATE).
    """
    if session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
        function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
        session.execute(text(f"SELECT {function}(:k)"), {"k": key})


def create_db_engine(url: str, *, pool_size: int = 8) -> Engine:
    url = normalize_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, pool_size=pool_size, max_overflow=0, connect_args={"timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=0,
        pool_pre_ping=True,  # a restarted PostgreSQL leaves dead connections in the pool
        pool_timeout=5,
        connect_args={"connect_timeout": 3},
    )


def alembic_config(migrations_dir: Path, url: str) -> AlembicConfig:
    """An Alembic config for one service's history, with date-prefixed revision file names."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(migrations_dir))
    cfg.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    cfg.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s")
    cfg.set_main_option("truncate_slug_length", "40")
    return cfg


def _advisory_lock_key(migrations_dir: Path) -> int:
    return int.from_bytes(hashlib.sha256(str(migrations_dir.name).encode()).digest()[:8], "big", signed=True)


def migrate(migrations_dir: Path, url: str, revision: str = "head") -> None:
    """Upgrade the database at ``url`` to ``revision``.

    On PostgreSQL the upgrade holds an advisory lock so that replicas or jobs started together wait for
    each other instead of racing the same DDL.
    """
    cfg = alembic_config(migrations_dir, url)
    engine = create_db_engine(url, pool_size=1)
    try:
        with engine.connect() as conn:
            is_pg = conn.dialect.name == "postgresql"
            if is_pg:
                conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _advisory_lock_key(migrations_dir)})
                conn.commit()
            try:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, revision)
                conn.commit()
            finally:
                if is_pg:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _advisory_lock_key(migrations_dir)})
                    conn.commit()
    finally:
        engine.dispose()


class Database:
    """One service's database: transactional units of work on a bounded thread pool, and readiness."""

    def __init__(self, url: str, *, migrations_dir: Path, pool_size: int = 8) -> None:
        self.url = normalize_url(url)
        self.engine = create_db_engine(self.url, pool_size=pool_size)
        self.dialect = self.engine.dialect.name
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # Same pool; the option only changes how SQLite begins (PostgreSQL reads never block writers).
        self._read_sessions = sessionmaker(
            self.engine.execution_options(**{_READ_ONLY: True}), expire_on_commit=False, autoflush=False
        )
        self._executor = ThreadPoolExecutor(max_workers=pool_size, thread_name_prefix="db")
        # SQLite has one writer at a time. Threads of this process queue here and start the moment the
        # writer ends, instead of in SQLite's busy handler, which sleeps in steps of up to 100 ms.
        self._write_lock: contextlib.AbstractContextManager[Any] = (
            threading.Lock() if self.dialect == "sqlite" else contextlib.nullcontext()
        )
        script = ScriptDirectory.from_config(alembic_config(migrations_dir, self.url))
        self._heads = frozenset(script.get_heads())
        self._known = frozenset(revision.revision for revision in script.walk_revisions())

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed if the block returns, rolled back if it raises."""
        with self._sessions() as session, session.begin():
            yield session

    def run_sync(self, fn: Callable[[Session], T]) -> T:
        with self._write_lock, self.session() as session:
            return fn(session)

    def read_sync(self, fn: Callable[[Session], T]) -> T:
        # Never committed: closing the session rolls the transaction back (a read must not write).
        with self._read_sessions() as session:
            return fn(session)

    async def run(self, fn: Callable[[Session], T]) -> T:
        """Run ``fn(session)`` in one transaction on the database thread pool (with the caller's
        context variables, such as the current caller, as asyncio.to_thread does)."""
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()
        return await loop.run_in_executor(self._executor, context.run, self.run_sync, fn)

    async def read(self, fn: Callable[[Session], T]) -> T:
        """Like :meth:`run`, for a unit that only reads: it sees one snapshot and, on SQLite, does not
        queue behind writers for the write lock. Anything it writes is rolled back."""
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()
        return await loop.run_in_executor(self._executor, context.run, self.read_sync, fn)

    def _schema_is_current(self, conn: Connection) -> bool:
        """At this code's head, or ahead of it: a revision this code does not know was written by a
        newer release (migrations only expand, so old replicas keep serving during a rolling upgrade)."""
        current = frozenset(MigrationContext.configure(conn).get_current_heads())
        return current == self._heads or (bool(current) and not current <= self._known)

    def check_ready_sync(self) -> bool:
        """True when the database answers and its schema is at the Alembic head."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
                return self._schema_is_current(conn)
        except Exception as exc:  # any failure means "not ready"; the reason goes to the log
            _log.warning("database not ready", extra={"error": type(exc).__name__})
            return False

    async def check_ready(self) -> bool:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self.check_ready_sync)

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
        self.engine.dispose()
