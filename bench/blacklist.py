"""Blacklist at scale: N active listings (10,000,000; 1,000,000 with ``--quick``), written straight into the
blacklist's tables, then:

(a) in-process ``ListedIndex.contains_many`` in batches of 1,000 (target >= 500,000 digests/s), against a
    Python ``set`` of the same keys; also the whole in-process Lookup path from hex digests;
(b) the index's memory (target <= 200 MB), against the 8 bytes per key it cannot go below;
(c) a new replica loading the index from the database (``ListedIndexFollower.load()``, target <= 15 s at
    10M), in a fresh process, against a raw DB-API fetch of the same ``digest_key`` column;
(d) single-digest ``Lookup`` over gRPC at concurrency 1 and 32, QPS as a ratio to the bare health check
    on the same server (target >= 0.70), p99 at concurrency 1 (target < 5 ms);
(e) the filter: build time against a raw fetch of the listed digests, size against 32 bytes a digest,
    and (full runs only) one ``StreamFilter`` download over gRPC (chunks of <= 1 MiB, SHA-256 checked), and
    ``GetFilter``, which must answer FAILED_PRECONDITION when the filter exceeds the maximum message size.

Also, with no target: the replica's peak memory while loading, the time from process start to SERVING, and
one ``expire_due`` sweep (the background job every server runs every minute), which explains lookup tails.

Lookups are mostly misses (random digests) with 1% hits, as a platform checking its users would see.

The rows are built the way the service writes them (ACTIVE entries, one subject each, ``is_open`` and
``is_listed`` true, a ``changes`` row) but in bulk: SQLite gets chunked executemany with its secondary
indexes dropped and rebuilt afterwards, PostgreSQL gets COPY. The schema is the migrated one throughout.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ._harness import (
    HEALTH_CHECK,
    Context,
    LoadSpec,
    Result,
    Target,
    best_loads,
    best_rates,
    caller_metadata,
    count_label,
    grpc_rows,
    health_request,
    in_subprocess,
    rate_of,
    reset_peak_rss,
    rss_bytes,
)

BENCH = "blacklist"
LOOKUP = "/livetrust.blacklist.v1.BlacklistService/Lookup"
HIT_FRACTION = 0.01
BATCH = 1000

_ID_PREFIX = "00000000-0000-4000-8000-"
_PLATFORMS = 16
_CHUNK = 200_000
_HIT_SAMPLE = 10_000
_SEED = 20261127

# How a bulk-loaded subject row looks on each backend (the entry id is derived from the row number).
_SQLITE_SUBJECTS = (
    "INSERT INTO entry_subjects (entry_id, subject_digest, digest_key, platform_id, is_open, is_listed) "
    f"VALUES (printf('{_ID_PREFIX}%012d', ?1), ?2, ?3, printf('plat-%02d', ?1 % {_PLATFORMS}), 1, 1)"
)
_ENTRY_COLUMNS = (
    "id, platform_id, request_id, category, status, reason, legal_basis, evidence_refs, notes, permanent, "
    "requested_until, listed_from, listed_until, appeal_deadline, version, created_at, updated_at"
)
_SQLITE_ENTRIES = f"""
INSERT INTO entries ({_ENTRY_COLUMNS})
WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n + 1 < ?1)
SELECT printf('{_ID_PREFIX}%012d', n), printf('plat-%02d', n % {_PLATFORMS}), NULL, 'SERIOUS_VIOLATION',
       'ACTIVE', 'bench: bulk-loaded listing', 'bench', '["bench://import"]', '[]', 0,
       NULL, ?2, ?3, ?4, 1, ?2, ?2
FROM seq
"""
_PG_ENTRIES = f"""
INSERT INTO entries ({_ENTRY_COLUMNS})
SELECT '{_ID_PREFIX}' || lpad(n::text, 12, '0'), 'plat-' || lpad((n %% {_PLATFORMS})::text, 2, '0'), NULL,
       'SERIOUS_VIOLATION', 'ACTIVE', 'bench: bulk-loaded listing', 'bench', '["bench://import"]', '[]', false,
       NULL, %(now)s, %(until)s, %(deadline)s, 1, %(now)s, %(now)s
FROM generate_series(0, %(n)s - 1) AS n
"""
# Raw DB-API versions of what the service asks (the baselines of (c) and (e)).
_RAW_KEYS = "SELECT digest_key FROM entry_subjects WHERE is_listed"
_RAW_DIGESTS = (
    "SELECT s.subject_digest FROM entry_subjects s JOIN entries e ON e.id = s.entry_id "
    "WHERE s.is_listed AND e.status = 'ACTIVE' AND (e.listed_until IS NULL OR e.listed_until > {param})"
)


@dataclass(slots=True)
class Population:
    keys: Any
    """Every listed key (numpy int64), in insertion order."""
    hits: list[str]
    """A sample of listed digests (hex), for lookups that hit."""
    seconds: float


def run(ctx: Context) -> list[Result]:
    import numpy as np

    settings = ctx.settings
    n = settings.entries
    size = settings.size(f"{count_label(n)} entries, {ctx.dialect}")
    url = ctx.database("blacklist")
    ctx.log(f"blacklist: inserting {n:,} active entries ({ctx.dialect})")
    population = populate(url, n)
    ctx.log(f"blacklist: inserted in {population.seconds:.1f}s")
    rng = np.random.default_rng(_SEED + 1)
    results = in_process_index(ctx, population, rng, size)
    keys_count = len(population.keys)
    population.keys = None  # the replica and the server load their own copies
    rows, raw_scan_seconds = replica_load(ctx, url, keys_count, size)
    results += rows
    results += expiry_sweep(ctx, url, raw_scan_seconds, size)
    results += filter_build(ctx, url, population.hits, rng, size)
    results += over_grpc(ctx, url, population.hits, rng, size)
    return results


# --- bulk insert --------------------------------------------------------------------------------------


def _digest_chunks(n: int, seed: int) -> Any:
    """(first row number, hex digests, int64 keys) in chunks; digests are random 32-byte values, as
    HMAC-SHA256 outputs look, and a key is a digest's first 8 bytes as a signed big-endian int64."""
    import numpy as np

    rng = np.random.default_rng(seed)
    for start in range(0, n, _CHUNK):
        m = min(_CHUNK, n - start)
        raw = rng.bytes(32 * m)
        keys = np.frombuffer(raw, dtype=">i8")[::4].astype(np.int64)
        hexed = raw.hex()
        yield start, [hexed[i : i + 64] for i in range(0, 64 * m, 64)], keys


def populate(url: str, n: int, *, seed: int = _SEED) -> Population:
    """Insert ``n`` active single-subject entries straight into the (migrated) blacklist tables."""
    import numpy as np

    started = time.perf_counter()
    keys = np.empty(n, dtype=np.int64)
    hits: list[str] = []
    stride = max(1, n // _HIT_SAMPLE)

    def chunks() -> Any:
        for start, digests, chunk_keys in _digest_chunks(n, seed):
            keys[start : start + len(digests)] = chunk_keys
            hits.extend(digests[(-start) % stride :: stride])
            yield start, digests, chunk_keys

    if url.startswith("sqlite"):
        _populate_sqlite(url, n, chunks())
    else:
        _populate_postgres(url, n, chunks())
    return Population(keys, hits[:_HIT_SAMPLE], time.perf_counter() - started)


def _times() -> dict[str, datetime]:
    now = datetime.now(UTC).replace(tzinfo=None)  # UtcDateTime stores naive UTC
    return {"now": now, "until": now + timedelta(days=5 * 365), "deadline": now + timedelta(days=28)}


def _populate_sqlite(url: str, n: int, chunks: Any) -> None:
    import queue
    import threading

    from sqlalchemy import create_engine

    # A plain engine: none of the service's per-connection pragmas (foreign keys stay off while loading).
    engine = create_engine(url)
    times = {k: v.strftime("%Y-%m-%d %H:%M:%S.%f") for k, v in _times().items()}
    # Rows are prepared in a thread while SQLite (which lets go of the GIL) inserts the previous chunk.
    ready: queue.Queue[Any] = queue.Queue(maxsize=2)
    first: list[str] = []
    failed: list[BaseException] = []

    def prepare() -> None:
        try:
            for start, digests, keys in chunks:
                if not first:
                    first.append(digests[0])
                ready.put(list(zip(range(start, start + len(digests)), digests, keys.tolist(), strict=True)))
        except BaseException as exc:
            failed.append(exc)
        finally:
            ready.put(None)

    try:
        with engine.connect() as conn:
            for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-1000000", "threads=2"):
                conn.exec_driver_sql(f"PRAGMA {pragma}")
            # Secondary indexes are dropped and rebuilt from their own DDL (one sort each), which is several
            # times faster than growing them row by row; primary keys grow in order (ids follow row numbers).
            indexes = conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                "AND tbl_name IN ('entries', 'entry_subjects')"
            ).all()
            for name, _ in indexes:
                conn.exec_driver_sql(f'DROP INDEX "{name}"')
            producer = threading.Thread(target=prepare, name="bench-rows", daemon=True)
            producer.start()
            conn.exec_driver_sql(_SQLITE_ENTRIES, (n, times["now"], times["until"], times["deadline"]))
            while (rows := ready.get()) is not None:
                conn.exec_driver_sql(_SQLITE_SUBJECTS, rows)
            producer.join()
            if failed:
                raise failed[0]
            if first:
                conn.exec_driver_sql(
                    "INSERT INTO changes (version, kind, entry_id, subject_digests, at) VALUES (1, 'LISTED', ?, ?, ?)",
                    (f"{_ID_PREFIX}{0:012d}", f'["{first[0]}"]', times["now"]),
                )
            for _, sql in indexes:
                conn.exec_driver_sql(sql)
            conn.commit()
            conn.exec_driver_sql("PRAGMA journal_mode=WAL")
    finally:
        engine.dispose()


def _populate_postgres(url: str, n: int, chunks: Any) -> None:
    import psycopg

    times = _times()
    dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(dsn) as conn:
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename IN ('entries', 'entry_subjects') AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        ).fetchall()
        foreign = conn.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'entry_subjects'::regclass AND contype = 'f'"
        ).fetchall()
        for name, _ in foreign:
            conn.execute(f'ALTER TABLE entry_subjects DROP CONSTRAINT "{name}"')
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        conn.execute(_PG_ENTRIES, {**times, "n": n})
        first = None
        with (
            conn.cursor() as cursor,
            cursor.copy(
                "COPY entry_subjects (entry_id, subject_digest, digest_key, platform_id, is_open, is_listed) FROM STDIN"
            ) as copy,
        ):
            for start, digests, keys in chunks:
                first = first or digests[0]
                copy.write(
                    "".join(
                        f"{_ID_PREFIX}{i:012d}\t{d}\t{k}\tplat-{i % _PLATFORMS:02d}\tt\tt\n"
                        for i, d, k in zip(range(start, start + len(digests)), digests, keys.tolist(), strict=True)
                    )
                )
        if first is not None:
            conn.execute(
                "INSERT INTO changes (version, kind, entry_id, subject_digests, at) VALUES (1, 'LISTED', %s, %s, %s)",
                (f"{_ID_PREFIX}{0:012d}", f'["{first}"]', times["now"]),
            )
        conn.execute("SET maintenance_work_mem = '1GB'")
        for _, sql in indexes:
            conn.execute(sql)
        for name, definition in foreign:
            conn.execute(f'ALTER TABLE entry_subjects ADD CONSTRAINT "{name}" {definition}')
        conn.commit()
        conn.autocommit = True
        conn.execute("ANALYZE entries")
        conn.execute("ANALYZE entry_subjects")


# --- (a) in-process index ---------------------------------------------------------------------------------


def in_process_index(ctx: Context, population: Population, rng: Any, size: str) -> list[Result]:

    from livetrust.blacklist._index import ListedIndex, digest_key, digest_keys

    settings = ctx.settings
    index = ListedIndex()
    index.load(population.keys)
    ctx.log("blacklist: in-process contains_many")
    batches = _key_batches(population.keys, rng, 100)
    hex_batches = _hex_batches(population.hits, rng, 20)
    listed = set(population.keys.tolist())  # the baseline: a Python set of the same keys
    key_lists = [b.tolist() for b in batches]
    found = sum(int(index.contains_many(b).sum()) for b in batches)
    expected = sum(k in listed for batch in key_lists for k in batch)

    def indexed() -> int:
        for batch in batches:
            index.contains_many(batch)
        return len(batches) * BATCH

    def in_set() -> int:
        for batch in key_lists:
            [k in listed for k in batch]
        return len(key_lists) * BATCH

    def indexed_hex() -> int:
        for batch in hex_batches:
            index.contains_many(digest_keys(batch))
        return len(hex_batches) * BATCH

    def in_set_hex() -> int:
        for batch in hex_batches:
            [digest_key(d) in listed for d in batch]
        return len(hex_batches) * BATCH

    seconds = settings.inproc_seconds
    rates = best_rates(
        [
            ("set", lambda: rate_of(in_set, seconds)),
            ("index", lambda: rate_of(indexed, seconds)),
            ("set_hex", lambda: rate_of(in_set_hex, seconds)),
            ("index_hex", lambda: rate_of(indexed_hex, seconds)),
        ],
        settings.rounds,
    )
    hits_note = f"{found:,} hits in {len(batches) * BATCH:,} keys ({HIT_FRACTION:.0%} planted)"
    return [
        Result(
            BENCH,
            f"ListedIndex.contains_many, batches of {BATCH:,}",
            rates["index"],
            "digests/s",
            size,
            target=Target(">=", 500_000),
            baseline="Python set of the same keys",
            baseline_value=rates["set"],
            detail=hits_note,
            error="" if found == expected else f"found {found} hits, a set finds {expected}",
        ),
        Result(
            BENCH,
            f"in-process Lookup path: digest_keys + contains_many, {BATCH:,} hex digests",
            rates["index_hex"],
            "digests/s",
            size,
            baseline="digest_key(hex) in set",
            baseline_value=rates["set_hex"],
            detail="what Lookup does before any database read",
        ),
    ]


def _key_batches(keys: Any, rng: Any, count: int) -> list[Any]:
    import numpy as np

    info = np.iinfo(np.int64)
    batches = rng.integers(info.min, info.max, size=(count, BATCH), dtype=np.int64, endpoint=True)
    planted = max(1, int(BATCH * HIT_FRACTION))
    for batch in batches:
        batch[rng.choice(BATCH, planted, replace=False)] = keys[rng.integers(0, keys.size, planted)]
    return list(batches)


def _hex_batches(hits: list[str], rng: Any, count: int) -> list[list[str]]:
    out = []
    for _ in range(count):
        batch = [rng.bytes(32).hex() for _ in range(BATCH)]
        for i in rng.choice(BATCH, max(1, int(BATCH * HIT_FRACTION)), replace=False):
            batch[int(i)] = hits[int(rng.integers(0, len(hits)))]
        out.append(batch)
    return out


# --- (b) + (c) a new replica loads the index --------------------------------------------------------------


def _replica_load(url: str) -> dict[str, Any]:
    """In a fresh process: what ``ListedIndexFollower.load()`` takes, in time and memory."""
    from livetrust.blacklist import MIGRATIONS_DIR
    from livetrust.blacklist._service import ListedIndexFollower
    from livetrust.runtime import Database

    db = Database(url, migrations_dir=MIGRATIONS_DIR, pool_size=2)
    try:
        follower = ListedIndexFollower(db)
        before = rss_bytes()
        peak_known = reset_peak_rss()
        started = time.perf_counter()
        asyncio.run(follower.load())
        seconds = time.perf_counter() - started
        peak = rss_bytes("VmHWM") if peak_known else None
        return {
            "seconds": seconds,
            "keys": len(follower.index),
            "memory_bytes": follower.index.memory_bytes(),
            "rss_before": before,
            "rss_peak": peak,
            "rss_after": rss_bytes(),
        }
    finally:
        db.close()


def _raw_fetch(url: str, sql: str, params: tuple[Any, ...] = (), *, repeats: int = 2) -> tuple[float, int]:
    """Seconds a plain DB-API cursor takes to fetch every row of ``sql`` (best of ``repeats``), and the rows."""
    from sqlalchemy import create_engine

    from livetrust.runtime import normalize_url

    engine = create_engine(normalize_url(url))
    try:
        connection = engine.raw_connection()
        try:
            best, rows = float("inf"), 0
            for _ in range(repeats):
                cursor = connection.cursor()
                started = time.perf_counter()
                cursor.execute(sql, params)
                fetched = cursor.fetchall()
                best = min(best, time.perf_counter() - started)
                rows = len(fetched)
                del fetched
                cursor.close()
            return best, rows
        finally:
            connection.close()
    finally:
        engine.dispose()


def replica_load(ctx: Context, url: str, n: int, size: str) -> tuple[list[Result], float]:
    """Rows (b) and (c), and the raw fetch time (a full scan: the reference of other scan-bound figures)."""
    ctx.log("blacklist: raw fetch of digest_key, then a new replica loads the index")
    raw_seconds, raw_rows = _raw_fetch(url, _RAW_KEYS, repeats=1 if ctx.settings.quick else 2)
    load = in_subprocess(_replica_load, url)
    error = "" if load["keys"] == n == raw_rows else f"loaded {load['keys']} keys, fetched {raw_rows}, inserted {n}"
    peak = None
    if load["rss_peak"] is not None and load["rss_before"] is not None:
        peak = load["rss_peak"] - load["rss_before"]
    rows = [
        Result(
            BENCH,
            "index memory (ListedIndex.memory_bytes)",
            load["memory_bytes"],
            "B",
            size,
            target=Target("<=", 200e6),
            baseline="8 bytes a key",
            baseline_value=8 * n,
            detail="after ListedIndexFollower.load() in a fresh process",
        ),
        Result(
            BENCH,
            "new replica: ListedIndexFollower.load()",
            load["seconds"],
            "s",
            size,
            target=Target("<=", 15.0) if n >= 10_000_000 else Target("<=", 15.0 * n / 10_000_000),
            baseline="raw DB-API fetch of digest_key",
            baseline_value=raw_seconds,
            detail="fresh process; target scaled to N" if n < 10_000_000 else "fresh process",
            error=error,
        ),
    ]
    if peak is not None:
        grew = load["rss_after"] - load["rss_before"]
        rows.append(
            Result(
                BENCH,
                "new replica: peak memory growth during load",
                peak,
                "B",
                size,
                baseline="index memory",
                baseline_value=load["memory_bytes"],
                detail=f"VmHWM - VmRSS before load; RSS after load grew {grew / 1e6:,.0f} MB",
            )
        )
    return rows, raw_seconds


# --- the expiry sweep the server runs in the background ------------------------------------------------


def expiry_sweep(ctx: Context, url: str, raw_scan_seconds: float, size: str) -> list[Result]:
    """Not a figure of the issue, but it explains lookup tails at scale: every server runs ``expire_due``
    every ``LIVETRUST_BLACKLIST_EXPIRY_SECONDS``, and on SQLite each transaction holds the write lock."""
    ctx.log("blacklist: one expire_due() sweep with nothing due")
    seconds, expired = asyncio.run(_sweep(url))
    return [
        Result(
            BENCH,
            "expire_due() background sweep, nothing due",
            seconds,
            "s",
            size,
            baseline="raw DB-API fetch of digest_key",
            baseline_value=raw_scan_seconds,
            detail="runs every 60 s (LIVETRUST_BLACKLIST_EXPIRY_SECONDS) in each server; on SQLite it holds the "
            "write lock meanwhile (BEGIN IMMEDIATE), so lookups that hit the index wait for it",
            error="" if expired == 0 else f"expired {expired} entries that were not due",
        )
    ]


async def _sweep(url: str) -> tuple[float, int]:
    from livetrust.blacklist import MIGRATIONS_DIR
    from livetrust.blacklist._rules import BlacklistPolicy
    from livetrust.blacklist._service import BlacklistService, ListedIndexFollower
    from livetrust.clock import SystemClock
    from livetrust.runtime import Database

    db = Database(url, migrations_dir=MIGRATIONS_DIR, pool_size=2)
    try:
        service = BlacklistService(
            db=db, follower=ListedIndexFollower(db), clock=SystemClock(), policy=BlacklistPolicy()
        )
        started = time.perf_counter()
        expired = await service.expire_due()
        return time.perf_counter() - started, expired
    finally:
        db.close()


# --- (e) the filter ------------------------------------------------------------------------------------


def filter_build(ctx: Context, url: str, hits: list[str], rng: Any, size: str) -> list[Result]:
    from livetrust.blacklist._filter import load_filter

    ctx.log("blacklist: raw fetch of listed digests, then the service builds its filter in-process")
    param = "?" if url.startswith("sqlite") else "%s"
    now = datetime.now(UTC).replace(tzinfo=None)
    now_param = now.strftime("%Y-%m-%d %H:%M:%S.%f") if url.startswith("sqlite") else now
    repeats = 1 if ctx.settings.quick else 2
    raw_seconds, raw_rows = _raw_fetch(url, _RAW_DIGESTS.format(param=param), (now_param,), repeats=repeats)
    view, seconds = asyncio.run(_build_filter(url))
    bloom = load_filter(view.data)
    missing = sum(1 for d in hits if bytes.fromhex(d) not in bloom)
    max_message = int(ctx.env().get("LIVETRUST_MAX_MESSAGE_BYTES", 4 * 1024 * 1024))
    error = f"{missing} listed digests not in the filter" if missing else ""
    if view.item_count != raw_rows:
        error += f" filter holds {view.item_count} items, the database lists {raw_rows}"
    detail = f"{view.item_count:,} items at FPR {view.false_positive_rate:g}; every sampled listed digest found"
    return [
        Result(
            BENCH,
            "filter build (first call, in-process)",
            seconds,
            "s",
            size,
            baseline="raw DB-API fetch of listed digests",
            baseline_value=raw_seconds,
            detail=detail,
            error=error.strip(),
        ),
        Result(
            BENCH,
            "filter size",
            len(view.data),
            "B",
            size,
            baseline="32 bytes a digest",
            baseline_value=32 * view.item_count,
            detail=(
                f"{'over' if len(view.data) > max_message else 'within'} the {max_message / 2**20:g} MiB message "
                "limit: StreamFilter sends it in chunks of <= 1 MiB"
                + ("; GetFilter refuses it (FAILED_PRECONDITION)" if len(view.data) > max_message else "")
            ),
        ),
    ]


async def _build_filter(url: str) -> tuple[Any, float]:
    from livetrust.blacklist import MIGRATIONS_DIR
    from livetrust.blacklist._rules import BlacklistPolicy
    from livetrust.blacklist._service import BlacklistService, ListedIndexFollower
    from livetrust.clock import SystemClock
    from livetrust.runtime import Caller, Database, Role, current_caller

    db = Database(url, migrations_dir=MIGRATIONS_DIR, pool_size=2)
    try:
        service = BlacklistService(
            db=db, follower=ListedIndexFollower(db), clock=SystemClock(), policy=BlacklistPolicy()
        )
        current_caller.set(Caller("association", Role.REVIEWER, "bench"))
        started = time.perf_counter()
        view = await service.stream_filter()  # the filter at any size (GetFilter refuses one over 4 MiB)
        return view, time.perf_counter() - started
    finally:
        db.close()


# --- (d) Lookup over gRPC, and StreamFilter over gRPC ----------------------------------------------------------


def _lookup_requests(hits: list[str], rng: Any, count: int = 10_000) -> list[bytes]:
    from livetrust.blacklist.v1 import blacklist_pb2 as pb

    out = []
    for _ in range(count):
        listed = rng.random() < HIT_FRACTION
        digest = hits[int(rng.integers(0, len(hits)))] if listed else rng.bytes(32).hex()
        out.append(pb.LookupRequest(subject_digests=[digest]).SerializeToString())
    return out


def _probe(address: str, metadata: tuple[tuple[str, str], ...], hit: str, miss: str) -> str:
    """One hit and one miss through a real stub; an error text if either answer is wrong."""
    import grpc

    from livetrust.blacklist.v1 import blacklist_pb2 as pb
    from livetrust.blacklist.v1 import blacklist_pb2_grpc

    with grpc.insecure_channel(address) as channel:
        stub = blacklist_pb2_grpc.BlacklistServiceStub(channel)
        reply = stub.Lookup(pb.LookupRequest(subject_digests=[hit, miss]), metadata=metadata, timeout=10)
    answers = [r.listed for r in reply.results]
    return "" if answers == [True, False] else f"probe lookup answered {answers} for [hit, miss]"


def _stream_filter(address: str, metadata: tuple[tuple[str, str], ...]) -> tuple[float, int, int, str]:
    """One StreamFilter download (seconds, bytes, chunks, error), then GetFilter's answer at this size."""
    import hashlib

    import grpc

    from livetrust.blacklist.v1 import blacklist_pb2 as pb
    from livetrust.blacklist.v1 import blacklist_pb2_grpc

    with grpc.insecure_channel(address) as channel:
        stub = blacklist_pb2_grpc.BlacklistServiceStub(channel)
        started = time.perf_counter()
        info, data, chunks = None, bytearray(), 0
        try:
            for message in stub.StreamFilter(pb.StreamFilterRequest(), metadata=metadata, timeout=1800):
                if message.WhichOneof("part") == "info":
                    info = message.info
                else:
                    data += message.chunk
                    chunks += 1
        except grpc.RpcError as exc:
            return time.perf_counter() - started, 0, 0, f"{exc.code().name}: {exc.details()}"
        seconds = time.perf_counter() - started
        error = ""
        if info is None or hashlib.sha256(data).hexdigest() != info.sha256 or len(data) != info.size_bytes:
            error = "StreamFilter: size or SHA-256 does not match its FilterInfo"
        try:
            reply = stub.GetFilter(pb.GetFilterRequest(), metadata=metadata, timeout=60)
            if len(reply.filter) != len(data):
                error += " GetFilter answered another filter"
        except grpc.RpcError as exc:
            if exc.code() is not grpc.StatusCode.FAILED_PRECONDITION:
                error += f" GetFilter: {exc.code().name}: {exc.details()}"
        return seconds, len(data), chunks, error.strip()


def over_grpc(ctx: Context, url: str, hits: list[str], rng: Any, size: str) -> list[Result]:
    settings = ctx.settings
    env = ctx.env(LIVETRUST_BLACKLIST_DATABASE_URL=url)
    metadata = caller_metadata(env, "plat-z")
    lookups = _lookup_requests(hits, rng)
    health = [health_request()]
    generator = ctx.load_generator()
    ctx.log("blacklist: starting a server (it loads the index before SERVING)")
    results: list[Result] = []
    with ctx.server("blacklist", env) as server:
        ctx.log(f"blacklist: server SERVING at {server.address} after {server.ready_seconds:.1f}s")
        probe_error = _probe(server.address, metadata, hits[0], rng.bytes(32).hex())
        for concurrency in settings.concurrency:
            ctx.log(f"blacklist: Lookup over gRPC at concurrency {concurrency}")

            def spec(method: str, requests: list[bytes], c: int = concurrency) -> LoadSpec:
                return LoadSpec(
                    server.address,
                    method,
                    requests,
                    concurrency=c,
                    duration=settings.duration,
                    warmup=settings.warmup,
                    metadata=metadata if method != HEALTH_CHECK else (),
                )

            best = best_loads(
                generator,
                {"health": lambda _r, s=spec: s(HEALTH_CHECK, health), "lookup": lambda _r, s=spec: s(LOOKUP, lookups)},
                settings.rounds,
                server=server,
            )
            rows = grpc_rows(
                BENCH,
                f"Lookup (1 digest) gRPC c={concurrency}",
                best["lookup"],
                best["health"],
                size,
                qps_target=Target(">=", 0.70, on="ratio"),
                p99_target=Target("<", 5.0) if concurrency == 1 else None,
            )
            for row in rows:
                row.error = row.error or probe_error
            results += rows
        if not settings.quick:  # another full build: only in full runs, where the size limit bites
            ctx.log("blacklist: StreamFilter over gRPC (the server builds its filter)")
            seconds, length, chunks, error = _stream_filter(server.address, metadata)
            rss = server.rss_bytes()
            detail = [f"{length / 1e6:.1f} MB received in {chunks} chunks, SHA-256 checked"] if length else []
            if rss:
                detail.append(f"server RSS afterwards {rss / 1e6:,.0f} MB")
            results.append(
                Result(
                    BENCH,
                    "StreamFilter over gRPC (first call, builds)",
                    seconds,
                    "s",
                    size,
                    detail="; ".join(detail),
                    error=error,
                )
            )
    results.append(
        Result(
            BENCH,
            "new replica: process start to SERVING",
            server.ready_seconds,
            "s",
            size,
            detail="spawn, imports, migrations check and index load, until health says SERVING",
        )
    )
    return results
