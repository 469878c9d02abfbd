"""The batched purge: a batch is claimed (RETAINED -> PURGING) in one transaction, then locked, re-checked,
deleted and marked PURGED with its tombstones in a second one. Holds placed after the claim win, a crash at
any point resumes without double deletes or missing tombstones, and (a property test over random holds,
clock moves, batch sizes and crashes) nothing held or unexpired is ever deleted."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from livetrust.clock import FixedClock
from livetrust.retention import MIGRATIONS_DIR
from livetrust.retention._policy import ContentClass, Hold, RetentionFacts, default_policy, is_purgeable
from livetrust.retention._service import PurgeReport, RetentionService, Scope
from livetrust.retention._storage_adapters import AdapterRegistry, StorageAdapter
from livetrust.runtime import Caller, Database, Role, current_caller
from tests.conftest import migrated

NOW = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)
ENDED = NOW - timedelta(days=1)
PLATFORM = "plat-a"


class Crash(BaseException):
    """Stands for the process dying: not an error anyone handles."""


class Counting:
    """An adapter registry over the real one that records every delete of a file that was there, and can
    die (raise :class:`Crash`) right after the ``crash_after``-th such delete, before its transaction commits.
    ``check`` is called before each delete (the test's own view of whether it may happen)."""

    def __init__(
        self, real: AdapterRegistry, *, crash_after: int | None = None, check: Callable[[str], None] | None = None
    ) -> None:
        self.real = real
        self.crash_after = crash_after
        self.check = check
        self.deleted: list[str] = []

    def for_uri(self, uri: str) -> StorageAdapter:
        inner = self.real.for_uri(uri)
        outer = self

        class Adapter:
            name = inner.name

            def accepts(self, u: str) -> bool:
                return inner.accepts(u)

            def exists(self, u: str) -> bool:
                return inner.exists(u)

            def delete(self, u: str) -> None:
                if outer.check is not None:
                    outer.check(u)
                if inner.exists(u):
                    outer.deleted.append(u)
                inner.delete(u)
                if outer.crash_after is not None and len(outer.deleted) >= outer.crash_after:
                    outer.crash_after = None
                    raise Crash

        return Adapter()


class World:
    """One migrated database, a content root and a clock; services over them with chosen adapters."""

    def __init__(self, url: str, root: Path) -> None:
        self.url, self.root = url, root
        self.clock = FixedClock(NOW)
        self.db = Database(url, migrations_dir=MIGRATIONS_DIR, pool_size=2)
        self.real = AdapterRegistry.from_env({"LIVETRUST_RETENTION_STORAGE_ROOT": str(root)})

    def service(self, adapters: object | None = None, *, batch: int = 100) -> RetentionService:
        return RetentionService(
            db=self.db,
            clock=self.clock,
            adapters=adapters or self.real,  # type: ignore[arg-type]
            purge_batch=batch,
        )

    async def register(
        self, name: str, *, session: str = "s-1", ended: datetime = ENDED, platform: str = PLATFORM
    ) -> str:
        path = self.root / platform / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * 10)
        artifact_id, _, _ = await self.service().register_artifact(
            platform_id=platform,
            room_id="room-1",
            session_id=session,
            account_id="acct-1",
            content_class=ContentClass.LOG,
            storage_uri=path.as_uri(),
            size_bytes=10,
            ended_at=ended,
        )
        return artifact_id

    def exists(self, platform: str, name: str) -> bool:
        return (self.root / platform / name).exists()

    def states(self, platform: str = PLATFORM) -> dict[str, str]:
        with self.db.engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT id, state FROM artifacts WHERE platform_id = :p"), {"p": platform}
            ).all()
        return {r[0]: r[1] for r in rows}

    def tombstones(self, platform: str = PLATFORM) -> dict[str, int]:
        with self.db.engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT artifact_id, COUNT(*) FROM tombstones WHERE platform_id = :p GROUP BY artifact_id"),
                {"p": platform},
            ).all()
        return {r[0]: r[1] for r in rows}


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    root = tmp_path / "content"
    root.mkdir()
    w = World(migrated("retention", database_url), root)
    token = current_caller.set(Caller(PLATFORM, Role.PLATFORM, "k"))
    try:
        yield w
    finally:
        current_caller.reset(token)
        w.db.close()


async def test_a_hold_placed_after_the_claim_wins_and_the_resume_purges_the_rest(world: World) -> None:
    ids = [await world.register(f"{i}.log", session=f"s-{i}") for i in range(4)]
    world.clock.advance(timedelta(days=61))
    crashing = world.service(batch=10)
    crashing._db = _DiesAfterClaim(world.db)  # type: ignore[assignment]
    with pytest.raises(Crash):
        await crashing.purge(platform_id=PLATFORM, limit=100)
    assert set(world.states().values()) == {"PURGING"} and world.tombstones() == {}
    assert all(world.exists(PLATFORM, f"{i}.log") for i in range(4))

    # A court order arrives for one claimed artifact: it covers it although the artifact is PURGING.
    _, covered = await world.service().place_hold(
        kind="LEGAL",
        platform_id=PLATFORM,
        case_ref="case-1",
        reason="court order",
        scope=Scope("ARTIFACTS", artifact_ids=(ids[1],)),
        request_id="",
    )
    assert covered == 1

    counting = Counting(world.real)
    report = await world.service(counting, batch=2).purge(platform_id=PLATFORM, limit=100)
    assert report == PurgeReport(purged=3, bytes_freed=30, skipped=1, failed=0)
    assert world.exists(PLATFORM, "1.log") and not any(world.exists(PLATFORM, f"{i}.log") for i in (0, 2, 3))
    assert (world.root / PLATFORM / "1.log").as_uri() not in counting.deleted
    states = world.states()
    assert states[ids[1]] == "RETAINED" and all(states[i] == "PURGED" for i in (ids[0], ids[2], ids[3]))
    assert world.tombstones() == {ids[0]: 1, ids[2]: 1, ids[3]: 1}
    view = await world.service().get_retention(platform_id=PLATFORM, artifact_id=ids[1])
    assert view.state == "RETAINED" and view.active_hold_ids

    again = await world.service(counting).purge(platform_id=PLATFORM, limit=100)
    assert again == PurgeReport() and len(counting.deleted) == 3


async def test_a_crash_inside_a_batch_resumes_without_double_deletes_or_missing_tombstones(world: World) -> None:
    ids = [await world.register(f"{i}.log", session=f"s-{i}") for i in range(7)]
    world.clock.advance(timedelta(days=61))
    counting = Counting(world.real, crash_after=3)
    with pytest.raises(Crash):  # three files gone, then the process dies before the batch commits
        await world.service(counting, batch=5).purge(platform_id=PLATFORM, limit=100)
    assert world.tombstones() == {}
    assert sorted(world.states().values()) == ["PURGING"] * 5 + ["RETAINED"] * 2
    assert sum(world.exists(PLATFORM, f"{i}.log") for i in range(7)) == 4

    report = await world.service(counting, batch=2).purge(platform_id=PLATFORM, limit=100)
    assert (report.purged, report.failed) == (7, 0)
    assert len(counting.deleted) == len(set(counting.deleted)) == 7  # each file deleted once, across both runs
    assert world.tombstones() == {i: 1 for i in ids}
    assert set(world.states().values()) == {"PURGED"}
    assert await world.service(counting).purge(platform_id=PLATFORM, limit=100) == PurgeReport()


async def test_limit_is_honoured_across_batches(world: World) -> None:
    for i in range(7):
        await world.register(f"{i}.log", session=f"s-{i}")
    world.clock.advance(timedelta(days=61))
    first = await world.service(batch=3).purge(platform_id=PLATFORM, limit=5)
    assert first.purged == 5 and len(world.tombstones()) == 5
    rest = await world.service(batch=3).purge(platform_id=PLATFORM, limit=5)
    assert rest.purged == 2 and len(world.tombstones()) == 7


class _DiesAfterClaim:
    """A database whose second unit of work (the first batch's purge, after the claim) never runs."""

    def __init__(self, db: Database) -> None:
        self._db, self._units = db, 0

    @property
    def dialect(self) -> str:
        return self._db.dialect

    async def run(self, fn: Callable[..., object]) -> object:
        self._units += 1
        if self._units == 3:  # 1: leftovers (none), 2: the claim, 3: the batch
            raise Crash
        return await self._db.run(fn)


# --- the property: random holds, clock moves, batch sizes and crashes -------------------------------------

operation = st.one_of(
    st.tuples(st.just("register"), st.integers(0, 2), st.integers(0, 90)),
    st.tuples(st.just("hold"), st.integers(0, 1), st.integers(0, 2)),
    st.tuples(st.just("release"), st.integers(0, 5), st.just(0)),
    st.tuples(st.just("advance"), st.integers(0, 80), st.just(0)),
    st.tuples(st.just("purge"), st.integers(1, 4), st.integers(1, 8)),
    # dies after the b-th delete of a batch of a; or (b == 0) right after claiming a batch of a
    st.tuples(st.just("crash"), st.integers(1, 4), st.integers(0, 3)),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=st.lists(operation, min_size=1, max_size=25))
# The races by name: a hold, or an event hold released (its clock restarted), on a claimed batch left
# PURGING by a crash after the claim or after some deletes.
@example(operations=[("register", 0, 70), ("register", 0, 65), ("crash", 2, 0), ("hold", 0, 0), ("purge", 2, 8)])
@example(operations=[("register", 0, 70), ("register", 0, 65), ("crash", 2, 1), ("hold", 0, 0), ("purge", 1, 8)])
@example(
    operations=[("register", 1, 70), ("hold", 1, 1), ("release", 0, 0), ("crash", 1, 0), ("purge", 1, 1)],
)
def test_no_purge_path_deletes_held_or_unexpired_content(
    sqlite_world: World, operations: list[tuple[str, int, int]]
) -> None:
    asyncio.run(_scenario(sqlite_world, operations))


@pytest.fixture
def sqlite_world(tmp_path: Path) -> Iterator[World]:
    root = tmp_path / "content"
    root.mkdir()
    w = World(migrated("retention", f"sqlite:///{tmp_path / 'property.db'}"), root)
    try:
        yield w
    finally:
        w.db.close()


async def _scenario(world: World, operations: list[tuple[str, int, int]]) -> None:
    """Each example has its own platform (and files) in the shared database; a model of ended_at and holds
    judges, independently of the database, every delete the purge attempts."""
    platform = f"p-{uuid.uuid4().hex[:12]}"
    current_caller.set(Caller(platform, Role.PLATFORM, "k"))
    policy = default_policy(platform, ContentClass.LOG)
    ended: dict[str, datetime] = {}  # artifact id -> ended_at
    sessions: dict[str, str] = {}  # artifact id -> session
    uri_of: dict[str, str] = {}
    holds: list[tuple[str, str, str, datetime]] = []  # hold id, kind, session, placed_at
    released: dict[str, datetime] = {}
    covers: dict[str, set[str]] = {}  # hold id -> what it covers: not purged when placed, or registered later

    def model(artifact_id: str) -> RetentionFacts:
        covering = tuple(
            Hold(hold_id, kind, placed, released.get(hold_id))
            for hold_id, kind, _, placed in holds
            if artifact_id in covers[hold_id]
        )
        return RetentionFacts(ended_at=ended[artifact_id], policy=policy, key_room=False, holds=covering)

    def check(uri: str) -> None:
        artifact_id = next(i for i, u in uri_of.items() if u == uri)
        assert is_purgeable(model(artifact_id), now=world.clock.now()), "deleting held or unexpired content"

    for kind, a, b in operations:
        if kind == "register":
            name = f"{len(ended)}.log"
            when = world.clock.now() - timedelta(days=b)
            artifact_id = await world.register(name, session=f"s-{a}", ended=when, platform=platform)
            ended[artifact_id], sessions[artifact_id] = when, f"s-{a}"
            uri_of[artifact_id] = (world.root / platform / name).as_uri()
            for hold_id, _, session, _ in holds:
                if session == f"s-{a}" and hold_id not in released:
                    covers[hold_id].add(artifact_id)
        elif kind == "hold":
            states = world.states(platform)
            hold_kind = ("LEGAL", "EVENT")[a]
            hold_id, _ = await world.service().place_hold(
                kind=hold_kind,
                platform_id=platform,
                case_ref="case",
                reason="r",
                scope=Scope("SESSION", f"s-{b}"),
                request_id="",
            )
            holds.append((hold_id, hold_kind, f"s-{b}", world.clock.now()))
            covers[hold_id] = {i for i, s in sessions.items() if s == f"s-{b}" and states.get(i) != "PURGED"}
        elif kind == "release":
            active = [h for h in holds if h[0] not in released]
            if active:
                hold_id = active[a % len(active)][0]
                await world.service().release_holds(platform_id=platform, hold_id=hold_id, case_id="", reason="done")
                released[hold_id] = world.clock.now()
        elif kind == "advance":
            world.clock.advance(timedelta(days=a))
        else:
            crash_after = b if kind == "crash" and b else None
            counting = Counting(world.real, crash_after=crash_after, check=check)
            service = world.service(counting, batch=a)
            if kind == "crash" and not b:
                service._db = _DiesAfterClaim(world.db)  # type: ignore[assignment]
            with contextlib.suppress(Crash):
                await service.purge(platform_id=platform, limit=b if kind == "purge" else 100)
        # Invariants after every step.
        states, tombstones = world.states(platform), world.tombstones(platform)
        for artifact_id, state in states.items():
            present = Path(uri_of[artifact_id].removeprefix("file://")).exists()
            if state == "PURGED":
                assert not present and tombstones.get(artifact_id) == 1
            else:
                assert artifact_id not in tombstones
                assert present or state == "PURGING", "content gone without a tombstone or a pending purge"
    # A last full purge leaves nothing pending and everything due gone.
    counting = Counting(world.real, check=check)
    await world.service(counting, batch=3).purge(platform_id=platform, limit=1000)
    states = world.states(platform)
    assert "PURGING" not in states.values()
    for artifact_id, state in states.items():
        assert state == "PURGED" or not is_purgeable(model(artifact_id), now=world.clock.now())
