"""Retention at scale, through a spawned retention server configured as deployed (filesystem adapter):

(a) ``PlanPurge`` streamed page by page (page_size 1,000) over N due artifacts (1,000,000; 50,000 with
    ``--quick``): total time (target <= 10 s at 1,000,000, scaled to N), against one raw DB-API query fetching
    the same candidates; and the server's peak memory growth meanwhile, against the size of every page it
    sent (memory must stay bounded by a page, not grow with N);
(b) ``ExecutePurge`` of real files in a scratch directory (5,000; 1,000 with ``--quick``), called until every
    due artifact is gone (target >= 1,000 artifacts/s), against ``os.unlink`` of as many files;
(c) ``SetRoomTier`` entering KEY on a room with R artifacts (100,000; 10,000 with ``--quick``): the one
    set-based UPDATE it runs, timed over the RPC, against a bare UPDATE of a twin room of the same size;
    the retention database is then read back to check that every artifact was extended.

Artifacts are written straight into the ``artifacts`` table (``bench._bulk``), as RegisterArtifact stores
them: the policy of the day copied into each row, ``retain_until`` = ``ended_at`` + base days.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ._bulk import bulk_insert, is_sqlite, stamper
from ._harness import Context, Result, Target, caller_metadata, count_label, rss_bytes
from .blacklist import _raw_fetch

BENCH = "retention"
PAGE = 1000

_PLAN_PLATFORM = "bench-plan"
_PURGE_PLATFORM = "bench-purge"
_TIER_PLATFORM = "bench-tier"
_KEY_ROOM = "room-key"
_TWIN_ROOM = "room-twin"
_ID_PREFIX = "00000000-0000-4000-8000-"
_REPLAY_DAYS = 1096
_LOG_DAYS = 60
_EXTENSION_DAYS = 365
_SEED = 20261202

_COLUMNS = (
    "id",
    "platform_id",
    "room_id",
    "session_id",
    "account_id",
    "content_class",
    "storage_uri",
    "size_bytes",
    "ended_at",
    "registered_at",
    "policy_version",
    "policy_mode",
    "base_days",
    "extension_days",
    "key_room",
    "retain_until",
    "promised_until",
    "active_holds",
    "state",
)
_RAW_PLAN = (
    "SELECT id, content_class, size_bytes, retain_until FROM artifacts "
    "WHERE platform_id = {p} AND state = 'RETAINED' AND active_holds = 0 AND retain_until <= {p} "
    "ORDER BY retain_until, id"
)


def run(ctx: Context) -> list[Result]:
    settings = ctx.settings
    n, files, room = settings.artifacts, settings.purge_files, settings.room_artifacts
    url = ctx.database("retention")
    root = ctx.scratch / "content"
    env = ctx.env(LIVETRUST_RETENTION_DATABASE_URL=url, LIVETRUST_RETENTION_STORAGE_ROOT=str(root))
    ctx.log(
        f"retention: seeding {n:,} due artifacts, {files:,} due files and 2 rooms of {room:,} artifacts ({ctx.dialect})"
    )
    started = time.perf_counter()
    populate(url, root, n, files, room)
    ctx.log(f"retention: seeded in {time.perf_counter() - started:.1f}s")
    results: list[Result] = []
    with ctx.server("retention", env) as server:
        ctx.log(f"retention: server SERVING at {server.address} after {server.ready_seconds:.1f}s")
        results += plan_purge(ctx, server, env, url, n)
        results += execute_purge(ctx, server.address, env, url, root, files)
        results += set_room_tier(ctx, server.address, env, url, room)
    return results


# --- seeding ------------------------------------------------------------------------------------------------


def _artifacts(url: str, root: Path, n: int, files: int, room: int, now: datetime) -> Iterator[tuple[Any, ...]]:
    stamp = stamper(url)
    registered = stamp(now)
    rng = random.Random(_SEED)
    serial = 0
    archive = (root / "archive").as_uri()  # files never written: only planned, never purged

    def row(platform: str, room_id: str, uri: str, content_class: str, base: int, ended: datetime, mode: str) -> tuple:
        nonlocal serial
        serial += 1
        until = ended + timedelta(days=base)
        extension = 0 if content_class == "LOG" else _EXTENSION_DAYS
        return (
            f"{_ID_PREFIX}{serial:012d}",
            platform,
            room_id,
            f"s-{serial // 8}",
            f"acct-{serial % 50_000:05d}",
            content_class,
            uri,
            rng.randrange(1 << 20, 1 << 31),
            stamp(ended),
            registered,
            1,
            mode,
            base,
            extension,
            False,
            stamp(until),
            stamp(until) if mode == "COMPLIANCE" else None,
            0,
            "RETAINED",
        )

    # (a) due for purge: replays older than their 1,096 days, logs older than their 60, in random order.
    for i in range(n):
        if i % 4:
            ended = now - timedelta(days=_REPLAY_DAYS + 1 + rng.uniform(0, 700))
            yield row(
                _PLAN_PLATFORM,
                f"room-{i % 10_000}",
                f"{archive}/plan/{i:09d}.mp4",
                "LIVE_REPLAY",
                _REPLAY_DAYS,
                ended,
                "GOVERNANCE",
            )
        else:
            ended = now - timedelta(days=_LOG_DAYS + 1 + rng.uniform(0, 700))
            yield row(
                _PLAN_PLATFORM,
                f"room-{i % 10_000}",
                f"{archive}/plan/{i:09d}.log",
                "LOG",
                _LOG_DAYS,
                ended,
                "GOVERNANCE",
            )
    # (b) real files, due.
    for i in range(files):
        ended = now - timedelta(days=_LOG_DAYS + 1 + rng.uniform(0, 30))
        uri = (root / "purge" / f"{i:06d}.log").as_uri()
        yield row(_PURGE_PLATFORM, f"room-{i % 100}", uri, "LOG", _LOG_DAYS, ended, "GOVERNANCE")
    # (c) two rooms of replays kept for years yet, a tenth of them under a COMPLIANCE promise.
    for room_id in (_KEY_ROOM, _TWIN_ROOM):
        for i in range(room):
            ended = now - timedelta(days=rng.uniform(1, 700))
            mode = "COMPLIANCE" if i % 10 == 0 else "GOVERNANCE"
            uri = f"{archive}/{room_id}/{i:09d}.mp4"
            yield row(_TIER_PLATFORM, room_id, uri, "LIVE_REPLAY", _REPLAY_DAYS, ended, mode)


def populate(url: str, root: Path, n: int, files: int, room: int) -> None:
    """The artifacts, straight into the table, and the purge's files on disk."""
    directory = root / "purge"
    directory.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        (directory / f"{i:06d}.log").write_bytes(b"x" * 1024)
    bulk_insert(url, "artifacts", _COLUMNS, _artifacts(url, root, n, files, room, datetime.now(UTC)), offline=True)
    if not is_sqlite(url):
        _vacuum(url)


def _vacuum(url: str) -> None:
    """VACUUM the freshly copied table, as autovacuum long since has in a deployment whose artifacts took
    years to accumulate (the benchmark's PostgreSQL may run with autovacuum off). Without a visibility map
    PlanPurge's index-only scans read the heap for every line they return, which a steady-state table does
    not: the figure would measure the bulk load, not the plan."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1), autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) artifacts")


def _now_param(url: str) -> Any:
    return stamper(url)(datetime.now(UTC))


# --- (a) PlanPurge ------------------------------------------------------------------------------------------


def _stream_plan(address: str, metadata: tuple[tuple[str, str], ...], budget: float) -> dict[str, Any]:
    """Every page of the plan through a real stub (or those within ``budget`` seconds); counts, bytes and
    per-page times."""
    import grpc

    from livetrust.retention.v1 import retention_pb2 as pb
    from livetrust.retention.v1 import retention_pb2_grpc

    pages: list[float] = []
    candidates = sent = retries = 0
    total = -1
    ordered = True
    last: tuple[int, str] | None = None
    token = ""
    with grpc.insecure_channel(address) as channel:
        stub = retention_pb2_grpc.RetentionServiceStub(channel)
        started = time.perf_counter()
        while True:
            page_started = time.perf_counter()
            request = pb.PlanPurgeRequest(platform_id=_PLAN_PLATFORM, page_size=PAGE, page_token=token)
            try:
                reply = stub.PlanPurge(request, metadata=metadata, timeout=600)
            except grpc.RpcError as exc:
                # The server closes connections older than its max connection age (GOAWAY): a slow stream
                # outlives one, and the page is asked again on a new connection, as any client would.
                if exc.code() is not grpc.StatusCode.UNAVAILABLE:  # type: ignore[attr-defined]
                    raise
                retries += 1
                reply = stub.PlanPurge(request, metadata=metadata, timeout=600)
            pages.append(time.perf_counter() - page_started)
            sent += reply.ByteSize()
            candidates += len(reply.candidates)
            if total < 0:
                total = reply.total_artifacts
            if reply.candidates:
                head = reply.candidates[0]
                first = (head.retain_until.ToNanoseconds(), head.artifact_id)
                ordered = ordered and (last is None or first > last)
                tail = reply.candidates[-1]
                last = (tail.retain_until.ToNanoseconds(), tail.artifact_id)
            token = reply.next_page_token
            if not token or time.perf_counter() - started > budget:
                break
        seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "pages": pages,
        "candidates": candidates,
        "total": total,
        "bytes": sent,
        "ordered": ordered,
        "complete": not token,
        "retries": retries,
    }


def _reset_peak(pid: int) -> bool:
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def plan_purge(ctx: Context, server: Any, env: dict[str, str], url: str, n: int) -> list[Result]:
    import numpy as np

    settings = ctx.settings
    size = settings.size(f"{count_label(n)} due artifacts, {ctx.dialect}")
    metadata = caller_metadata(env, _PLAN_PLATFORM)
    p = "?" if is_sqlite(url) else "%s"
    ctx.log("retention: raw fetch of the purge candidates, then PlanPurge page by page")
    raw_seconds, raw_rows = _raw_fetch(
        url, _RAW_PLAN.format(p=p), (_PLAN_PLATFORM, _now_param(url)), repeats=1 if settings.quick else 2
    )
    scaled = n < 1_000_000
    target = 10.0 * n / 1_000_000 if scaled else 10.0
    # A stream far slower than its target is stopped and projected from its pages so far (mean page time),
    # so that a full run takes minutes here rather than hours.
    budget = max(60.0, 30 * target)
    rss_before = server.rss_bytes()
    peak_known = _reset_peak(server.pid)
    plan = _stream_plan(server.address, metadata, budget)
    peak = rss_bytes("VmHWM", server.pid) if peak_known else server.rss_bytes()
    pages = np.array(plan["pages"]) * 1000
    expected_pages = -(-n // PAGE)
    seconds = plan["seconds"] if plan["complete"] else plan["seconds"] / len(pages) * expected_pages
    error = ""
    if plan["complete"] and not plan["candidates"] == plan["total"] == raw_rows == n:
        error = f"streamed {plan['candidates']:,}, total said {plan['total']:,}, raw fetch {raw_rows:,}, seeded {n:,}"
    elif not plan["total"] == raw_rows == n:
        error = f"total said {plan['total']:,}, raw fetch {raw_rows:,}, seeded {n:,}"
    elif not plan["ordered"]:
        error = "pages overlap or are out of order"
    detail = [
        f"{len(pages):,} pages of {PAGE:,}: first {pages[0]:.0f} ms, median {np.median(pages):.0f} ms, "
        f"last {pages[-1]:.0f} ms (the first page also counts and sums every due artifact)"
    ]
    if plan["retries"]:
        detail.append(f"{plan['retries']} page(s) asked again after UNAVAILABLE (max connection age)")
    if not plan["complete"]:
        detail.insert(0, f"stopped after {len(pages):,} of {expected_pages:,} pages ({budget:.0f} s budget): projected")
    if scaled:
        detail.insert(0, "target 10 s at 1M scaled to N")
    rows = [
        Result(
            BENCH,
            f"PlanPurge, all pages of {PAGE:,}",
            seconds,
            "s",
            size,
            target=Target("<=", target),
            baseline="one raw DB-API query of the same candidates",
            baseline_value=raw_seconds,
            detail="; ".join(detail),
            error=error,
        )
    ]
    if peak is not None and rss_before is not None:
        rows.append(
            Result(
                BENCH,
                "PlanPurge stream: server peak memory growth",
                max(0, peak - rss_before),
                "B",
                size,
                baseline="every page sent (protobuf bytes)",
                baseline_value=plan["bytes"],
                detail=("VmHWM" if peak_known else "VmRSS") + " of the server process during the stream, minus its "
                "RSS before; bounded means far below the baseline",
            )
        )
    return rows


# --- (b) ExecutePurge ---------------------------------------------------------------------------------------


def _unlink_rate(directory: Path, count: int) -> float:
    directory.mkdir(parents=True, exist_ok=True)
    paths = [directory / f"{i:06d}.log" for i in range(count)]
    for path in paths:
        path.write_bytes(b"x" * 1024)
    started = time.perf_counter()
    for path in paths:
        os.unlink(path)
    return count / (time.perf_counter() - started)


def execute_purge(ctx: Context, address: str, env: dict[str, str], url: str, root: Path, files: int) -> list[Result]:
    import grpc

    from livetrust.retention.v1 import retention_pb2 as pb
    from livetrust.retention.v1 import retention_pb2_grpc

    settings = ctx.settings
    metadata = caller_metadata(env, _PURGE_PLATFORM)
    ctx.log(f"retention: ExecutePurge of {files:,} files, then os.unlink of as many")
    purged = failed = skipped = calls = 0
    with grpc.insecure_channel(address) as channel:
        stub = retention_pb2_grpc.RetentionServiceStub(channel)
        started = time.perf_counter()
        while True:
            reply = stub.ExecutePurge(
                pb.ExecutePurgeRequest(platform_id=_PURGE_PLATFORM, limit=1000), metadata=metadata, timeout=600
            )
            calls += 1
            purged, failed, skipped = purged + reply.purged, failed + reply.failed, skipped + reply.skipped
            if reply.purged + reply.failed + reply.skipped == 0:
                break
        seconds = time.perf_counter() - started
    left = sum(1 for _ in (root / "purge").iterdir())
    tombstones = _scalar(url, "SELECT COUNT(*) FROM tombstones WHERE platform_id = {p}", (_PURGE_PLATFORM,))
    floor = max(_unlink_rate(ctx.scratch / "unlink", files) for _ in range(max(1, settings.rounds)))
    error = ""
    if purged != files or failed or left or tombstones != files:
        error = f"purged {purged:,} (failed {failed}, skipped {skipped}), {left} files left, {tombstones:,} tombstones"
    return [
        Result(
            BENCH,
            "ExecutePurge, filesystem adapter",
            purged / seconds if seconds > 0 else None,
            "artifacts/s",
            settings.size(f"{count_label(files)} files, {ctx.dialect}"),
            target=Target(">=", 1_000),
            baseline="os.unlink of as many files",
            baseline_value=floor,
            detail=f"{calls} calls of limit 1,000 in {seconds:.2f}s; per batch one claim transaction, then one that "
            "locks, re-checks, deletes and writes the tombstones; every file gone, one tombstone each",
            error=error,
        )
    ]


def _scalar(url: str, sql: str, params: tuple[Any, ...]) -> Any:
    from sqlalchemy import create_engine

    from livetrust.runtime import normalize_url

    engine = create_engine(normalize_url(url))
    try:
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute(sql.format(p="?" if is_sqlite(url) else "%s"), params)
            return cursor.fetchone()[0]
        finally:
            connection.close()
    finally:
        engine.dispose()


# --- (c) SetRoomTier ----------------------------------------------------------------------------------------


def _bare_update(url: str, room: str) -> tuple[float, int]:
    """A bare UPDATE of the twin room's rows on one DB-API connection of the service's engine."""
    from livetrust.runtime._db import create_db_engine

    sqlite = is_sqlite(url)
    p = "?" if sqlite else "%s"
    engine = create_db_engine(url, pool_size=1)
    try:
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            started = time.perf_counter()
            if sqlite:
                cursor.execute("BEGIN IMMEDIATE")
            cursor.execute(
                f"UPDATE artifacts SET key_room = {p} WHERE platform_id = {p} AND room_id = {p} "
                f"AND state <> 'PURGED' AND key_room = {p}",
                (True, _TIER_PLATFORM, room, False),
            )
            updated = cursor.rowcount
            if sqlite:
                cursor.execute("COMMIT")
            else:
                connection.commit()
            return time.perf_counter() - started, updated
        finally:
            connection.close()
    finally:
        engine.dispose()


def _check_extended(url: str, room: str) -> tuple[int, int, int]:
    """Artifacts of the room; those KEY that keep their base period plus the extension exactly (promises
    included); and those that keep it one second longer (SQLite's date functions work in milliseconds, so
    ``plus_days`` rounds a fraction of .9995 s or more up to the next second)."""
    from sqlalchemy import select

    from livetrust.retention import MIGRATIONS_DIR
    from livetrust.retention._storage import ArtifactRow as a
    from livetrust.runtime import Database

    db = Database(url, migrations_dir=MIGRATIONS_DIR, pool_size=1)
    try:
        with db.session() as session:
            rows = session.execute(
                select(
                    a.ended_at,
                    a.base_days,
                    a.extension_days,
                    a.retain_until,
                    a.promised_until,
                    a.policy_mode,
                    a.key_room,
                ).where(a.platform_id == _TIER_PLATFORM, a.room_id == room)
            ).all()
    finally:
        db.close()
    exact = rounded = 0
    second = timedelta(seconds=1)
    for ended, base, extension, until, promised, mode, key in rows:
        expected = ended + timedelta(days=base + extension)
        if not key or (mode == "COMPLIANCE" and promised != until):
            continue
        if until == expected:
            exact += 1
        elif until == expected + second:
            rounded += 1
    return len(rows), exact, rounded


def set_room_tier(ctx: Context, address: str, env: dict[str, str], url: str, room: int) -> list[Result]:
    import grpc

    from livetrust.retention.v1 import retention_pb2 as pb
    from livetrust.retention.v1 import retention_pb2_grpc

    settings = ctx.settings
    ctx.log(f"retention: SetRoomTier KEY on a room of {room:,} artifacts, then a bare UPDATE of its twin")
    request = pb.SetRoomTierRequest(platform_id=_TIER_PLATFORM, room_id=_KEY_ROOM, tier=pb.ROOM_TIER_KEY)
    request.changed_at.FromDatetime(datetime.now(UTC))
    with grpc.insecure_channel(address) as channel:
        stub = retention_pb2_grpc.RetentionServiceStub(channel)
        started = time.perf_counter()
        reply = stub.SetRoomTier(request, metadata=caller_metadata(env, _TIER_PLATFORM, "SERVICE"), timeout=600)
        seconds = time.perf_counter() - started
    bare_seconds, bare_rows = _bare_update(url, _TWIN_ROOM)
    total, exact, rounded = _check_extended(url, _KEY_ROOM)
    error = ""
    if not reply.artifacts_updated == total == exact + rounded == room:
        error = f"updated {reply.artifacts_updated:,}, {exact + rounded:,} of {total:,} extended (seeded {room:,})"
    elif bare_rows != room:
        error = f"the bare UPDATE changed {bare_rows:,} rows"
    checked = f"read back: all {exact + rounded:,} artifacts KEY, retain_until +{_EXTENSION_DAYS} days"
    if rounded:
        checked += (
            f" ({rounded:,} of them 1 s more: SQLite date functions keep milliseconds, so plus_days rounds "
            "fractions of .9995 s and up to the next second)"
        )
    return [
        Result(
            BENCH,
            "SetRoomTier entering KEY (one set-based UPDATE)",
            seconds,
            "s",
            settings.size(f"{count_label(room)} artifacts in the room, {ctx.dialect}"),
            baseline="bare UPDATE of a twin room's key_room",
            baseline_value=bare_seconds,
            detail=f"over gRPC, once (the tier changes once); {checked}; COMPLIANCE promises moved with it",
            error=error,
        )
    ]
