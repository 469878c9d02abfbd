"""Seeding benchmark databases fast: rows written straight into a migrated service table, chunked
``executemany`` on SQLite and ``COPY`` on PostgreSQL, rather than one use case call per row.

Callers give rows in storage form: datetimes through :func:`stamper` (SQLAlchemy's text form on SQLite,
naive UTC on PostgreSQL, as ``UtcDateTime`` stores them), JSON columns already dumped to text, booleans as
``bool``. The schema stays the migrated one; with ``offline`` (nothing else uses the database yet) the
table's secondary indexes are dropped while loading and rebuilt from their own DDL afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from itertools import islice
from typing import Any

__all__ = ["bulk_insert", "chunked", "is_sqlite", "stamper"]

_SQLITE_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def stamper(url: str) -> Callable[[datetime], Any]:
    """How an aware datetime is written to a ``UtcDateTime`` column of ``url``'s backend."""
    if is_sqlite(url):
        return lambda value: value.astimezone(UTC).strftime(_SQLITE_FORMAT)
    return lambda value: value.astimezone(UTC).replace(tzinfo=None)


def chunked(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def bulk_insert(
    url: str,
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    chunk: int = 50_000,
    offline: bool = False,
) -> int:
    """Insert ``rows`` into ``table``; returns how many. One transaction per chunk on SQLite (a running
    server may write between them), one COPY on PostgreSQL."""
    if is_sqlite(url):
        return _sqlite(url, table, columns, rows, chunk, offline)
    return _postgres(url, table, columns, rows, offline)


def _sqlite(
    url: str, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], chunk: int, offline: bool
) -> int:
    from sqlalchemy import create_engine

    engine = create_engine(url)
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    done = 0
    try:
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute("PRAGMA busy_timeout=10000")
            indexes: list[tuple[str, str]] = []
            if offline:
                for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-1000000"):
                    cursor.execute(f"PRAGMA {pragma}")
                indexes = cursor.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name = ?",
                    (table,),
                ).fetchall()
                for name, _ in indexes:
                    cursor.execute(f'DROP INDEX "{name}"')
            for part in chunked(rows, chunk):
                cursor.executemany(sql, part)
                connection.commit()
                done += len(part)
            for _, ddl in indexes:
                cursor.execute(ddl)
            connection.commit()
            if offline:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()
        finally:
            connection.close()
    finally:
        engine.dispose()
    return done


def _postgres(url: str, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], offline: bool) -> int:
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
    done = 0
    with psycopg.connect(dsn) as conn:
        indexes: list[tuple[str, str]] = []
        if offline:
            indexes = conn.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s "
                "AND indexname NOT IN (SELECT conname FROM pg_constraint)",
                (table,),
            ).fetchall()
            for name, _ in indexes:
                conn.execute(f'DROP INDEX "{name}"')
        with conn.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                done += 1
        for _, ddl in indexes:
            conn.execute(ddl)
        conn.commit()
        conn.autocommit = True
        conn.execute(f"ANALYZE {table}")
    return done
