"""The retention service over real gRPC sockets, on SQLite and PostgreSQL, with the filesystem adapter."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
import sqlalchemy as sa
from google.protobuf import timestamp_pb2

from livetrust.clock import FixedClock
from livetrust.retention import build_service
from livetrust.retention._storage_adapters import AdapterRegistry
from livetrust.retention.v1 import retention_pb2 as pb
from livetrust.retention.v1 import retention_pb2_grpc
from livetrust.runtime import ServiceConfig
from tests.conftest import bad_request, migrated, running, signed_caller, wait_serving

NOW = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)
ENDED = NOW - timedelta(days=1)
REPLAY = pb.CONTENT_CLASS_LIVE_REPLAY
LOG = pb.CONTENT_CLASS_LOG


def ts(value: datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


def violations(exc: grpc.aio.AioRpcError) -> set[str]:
    return {field for field, _ in bad_request(exc)}


class Env:
    def __init__(self, stub, config: ServiceConfig, root: Path, url: str, clock: FixedClock) -> None:
        self.stub, self.config, self.root, self.url, self.clock = stub, config, root, url, clock

    def who(self, platform: str = "plat-a", role: str = "PLATFORM"):
        return signed_caller(self.config.caller_secret or b"", platform, role)

    def file(self, name: str, size: int = 100) -> str:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * size)
        return path.as_uri()

    async def register(
        self,
        name: str,
        *,
        room: str = "room-1",
        session: str = "s-1",
        cls: int = REPLAY,
        ended: datetime = ENDED,
        size: int = 100,
    ) -> pb.RegisterArtifactResponse:
        return await self.stub.RegisterArtifact(
            pb.RegisterArtifactRequest(
                platform_id="plat-a",
                room_id=room,
                session_id=session,
                account_id="acct-1",
                content_class=cls,
                storage_uri=self.file(name, size),
                size_bytes=size,
                ended_at=ts(ended),
            ),
            metadata=self.who(),
        )

    def count(self, table: str) -> int:
        engine = sa.create_engine(self.url)
        with engine.connect() as conn:
            value = conn.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar_one()
        engine.dispose()
        return value


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
async def retention(database_url: str, make_env, clock: FixedClock, tmp_path: Path):
    root = tmp_path / "content"
    root.mkdir()
    env = make_env(
        LIVETRUST_RETENTION_DATABASE_URL=migrated("retention", database_url),
        LIVETRUST_RETENTION_STORAGE_ROOT=str(root),
    )
    config = ServiceConfig.from_env("retention", env)
    async with running(config, build_service(config, clock=clock)) as (_, address):
        await wait_serving(address, "livetrust.retention.v1.RetentionService")
        async with grpc.aio.insecure_channel(address) as channel:
            yield Env(retention_pb2_grpc.RetentionServiceStub(channel), config, root, database_url, clock)


async def test_default_periods_and_idempotent_registration(retention) -> None:
    replay = await retention.register("a/replay.mp4")
    assert replay.created and replay.retain_until.ToDatetime(tzinfo=UTC) == ENDED + timedelta(days=1096)
    log = await retention.register("a/chat.log", cls=LOG)
    assert log.retain_until.ToDatetime(tzinfo=UTC) == ENDED + timedelta(days=60)
    again = await retention.stub.RegisterArtifact(
        pb.RegisterArtifactRequest(
            platform_id="plat-a",
            room_id="room-1",
            session_id="s-1",
            account_id="acct-1",
            content_class=REPLAY,
            storage_uri=(retention.root / "a/replay.mp4").as_uri(),
            size_bytes=100,
            ended_at=ts(ENDED),
        ),
        metadata=retention.who(),
    )
    assert not again.created and again.artifact_id == replay.artifact_id
    why = await retention.stub.GetRetention(
        pb.GetRetentionRequest(platform_id="plat-a", artifact_id=replay.artifact_id), metadata=retention.who()
    )
    assert why.state == pb.ARTIFACT_STATE_RETAINED and why.policy_version == 1
    assert any("LIVE_REPLAY" in r and "1096 days" in r for r in why.reasons)


async def test_policy_modes_and_the_irreversible_lock(retention) -> None:
    stub = retention.stub
    extended = (
        await stub.UpsertPolicy(
            pb.UpsertPolicyRequest(
                platform_id="plat-a",
                content_class=REPLAY,
                base_days=1200,
                key_room_extension_days=400,
                mode=pb.MODE_GOVERNANCE,
            ),
            metadata=retention.who(),
        )
    ).policy
    assert extended.version == 2 and extended.base_days == 1200
    with pytest.raises(grpc.aio.AioRpcError) as not_admin:
        await stub.UpsertPolicy(
            pb.UpsertPolicyRequest(
                platform_id="plat-a",
                content_class=REPLAY,
                base_days=1100,
                key_room_extension_days=400,
                mode=pb.MODE_GOVERNANCE,
                reason="cost",
            ),
            metadata=retention.who(),
        )
    assert not_admin.value.code() is grpc.StatusCode.PERMISSION_DENIED
    shortened = (
        await stub.UpsertPolicy(
            pb.UpsertPolicyRequest(
                platform_id="plat-a",
                content_class=REPLAY,
                base_days=1100,
                key_room_extension_days=400,
                mode=pb.MODE_GOVERNANCE,
                reason="storage cost review 2026-05",
            ),
            metadata=retention.who("ops", "ADMIN"),
        )
    ).policy
    assert shortened.version == 3 and shortened.base_days == 1100
    with pytest.raises(grpc.aio.AioRpcError) as below_law:
        await stub.UpsertPolicy(
            pb.UpsertPolicyRequest(
                platform_id="plat-a",
                content_class=REPLAY,
                base_days=900,
                key_room_extension_days=400,
                mode=pb.MODE_GOVERNANCE,
                reason="x",
            ),
            metadata=retention.who("ops", "ADMIN"),
        )
    assert below_law.value.code() is grpc.StatusCode.INVALID_ARGUMENT

    await stub.UpsertPolicy(
        pb.UpsertPolicyRequest(
            platform_id="plat-a",
            content_class=REPLAY,
            base_days=1100,
            key_room_extension_days=400,
            mode=pb.MODE_COMPLIANCE,
        ),
        metadata=retention.who(),
    )
    locked = (
        await stub.LockPolicy(
            pb.LockPolicyRequest(platform_id="plat-a", content_class=REPLAY), metadata=retention.who()
        )
    ).policy
    assert locked.locked and locked.mode == pb.MODE_COMPLIANCE
    again = (
        await stub.LockPolicy(
            pb.LockPolicyRequest(platform_id="plat-a", content_class=REPLAY), metadata=retention.who()
        )
    ).policy
    assert again.version == locked.version  # locking twice changes nothing
    for change in (
        dict(base_days=1099, key_room_extension_days=400, mode=pb.MODE_COMPLIANCE),
        dict(base_days=1100, key_room_extension_days=400, mode=pb.MODE_GOVERNANCE),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.UpsertPolicy(
                pb.UpsertPolicyRequest(platform_id="plat-a", content_class=REPLAY, reason="r", **change),
                metadata=retention.who("ops", "ADMIN"),
            )
        assert refused.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    longer = (
        await stub.UpsertPolicy(
            pb.UpsertPolicyRequest(
                platform_id="plat-a",
                content_class=REPLAY,
                base_days=1500,
                key_room_extension_days=400,
                mode=pb.MODE_COMPLIANCE,
            ),
            metadata=retention.who(),
        )
    ).policy
    assert longer.base_days == 1500 and longer.locked
    listed = (await stub.ListPolicies(pb.ListPoliciesRequest(platform_id="plat-a"), metadata=retention.who())).policies
    assert len(listed) == 6 and {p.content_class for p in listed if p.locked} == {REPLAY}
    assert retention.count("audit_log") == 5  # every accepted change and the lock, hash-chained


async def test_policy_day_counts_are_bounded_and_key_rooms_keep_live_content_longer(retention) -> None:
    """A huge day count would overflow every later artifact's dates (INTERNAL for ever once locked); an
    extension of 0 would keep key rooms' live content no longer. Both are refused, even for an admin."""
    stub = retention.stub
    refused = [
        (REPLAY, 3_000_000, 365, "base_days"),
        (REPLAY, 1096, 36_501, "key_room_extension_days"),
        (pb.CONTENT_CLASS_LIVE_CONTENT, 60, 0, "key_room_extension_days"),
        (LOG, 36_501, 0, "base_days"),
    ]
    for content_class, base_days, extension, field in refused:
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await stub.UpsertPolicy(
                pb.UpsertPolicyRequest(
                    platform_id="plat-a",
                    content_class=content_class,
                    base_days=base_days,
                    key_room_extension_days=extension,
                    mode=pb.MODE_COMPLIANCE,
                    reason="r",
                ),
                metadata=retention.who("ops", "ADMIN"),
            )
        assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert violations(raised.value) == {field}
    assert retention.count("audit_log") == 0
    # Logs are not live content: no extension is fine; the bound itself is accepted and artifacts register.
    log = (
        await stub.UpsertPolicy(
            pb.UpsertPolicyRequest(
                platform_id="plat-a", content_class=LOG, base_days=36_500, key_room_extension_days=0
            ),
            metadata=retention.who(),
        )
    ).policy
    assert (log.base_days, log.key_room_extension_days) == (36_500, 0)
    registered = await retention.register("a/app.log", cls=LOG)
    assert registered.retain_until.ToDatetime(tzinfo=UTC) == ENDED + timedelta(days=36_500)


async def test_key_room_extension_is_set_based_and_leaving_respects_compliance(retention) -> None:
    stub = retention.stub
    await stub.UpsertPolicy(
        pb.UpsertPolicyRequest(
            platform_id="plat-a", content_class=LOG, base_days=60, key_room_extension_days=30, mode=pb.MODE_COMPLIANCE
        ),
        metadata=retention.who(),
    )
    governance = await retention.register("k/replay.mp4")
    compliance = await retention.register("k/chat.log", cls=LOG)
    service = retention.who("plat-a", "SERVICE")
    entered = await stub.SetRoomTier(
        pb.SetRoomTierRequest(platform_id="plat-a", room_id="room-1", tier=pb.ROOM_TIER_KEY, changed_at=ts(NOW)),
        metadata=service,
    )
    assert entered.artifacts_updated == 2

    async def until(artifact_id: str) -> datetime:
        reply = await stub.GetRetention(
            pb.GetRetentionRequest(platform_id="plat-a", artifact_id=artifact_id), metadata=retention.who()
        )
        return reply.retain_until.ToDatetime(tzinfo=UTC)

    assert await until(governance.artifact_id) == ENDED + timedelta(days=1096 + 365)
    assert await until(compliance.artifact_id) == ENDED + timedelta(days=90)
    later = await retention.register("k/late.mp4")  # registered while the room is KEY
    assert later.retain_until.ToDatetime(tzinfo=UTC) == ENDED + timedelta(days=1096 + 365)
    # An older tier message arriving late changes nothing.
    stale = await stub.SetRoomTier(
        pb.SetRoomTierRequest(
            platform_id="plat-a", room_id="room-1", tier=pb.ROOM_TIER_STANDARD, changed_at=ts(NOW - timedelta(hours=1))
        ),
        metadata=service,
    )
    assert stale.artifacts_updated == 0
    await stub.SetRoomTier(
        pb.SetRoomTierRequest(
            platform_id="plat-a", room_id="room-1", tier=pb.ROOM_TIER_STANDARD, changed_at=ts(NOW + timedelta(hours=1))
        ),
        metadata=service,
    )
    assert await until(governance.artifact_id) == ENDED + timedelta(days=1096)
    assert await until(compliance.artifact_id) == ENDED + timedelta(days=90)  # promised, kept
    with pytest.raises(grpc.aio.AioRpcError) as platform_call:
        await stub.SetRoomTier(
            pb.SetRoomTierRequest(platform_id="plat-a", room_id="room-1", tier=pb.ROOM_TIER_KEY),
            metadata=retention.who(),
        )
    assert platform_call.value.code() is grpc.StatusCode.PERMISSION_DENIED


async def test_holds_block_the_purge_and_release_lets_it_go(retention) -> None:
    stub, clock = retention.stub, retention.clock
    held = await retention.register("h/held.log", cls=LOG)
    free = await retention.register("h/free.log", cls=LOG, room="room-2", session="s-2")
    hold = await stub.PlaceLegalHold(
        pb.PlaceLegalHoldRequest(
            platform_id="plat-a", case_id="case-9", reason="court order", room_id="room-1", request_id="h-1"
        ),
        metadata=retention.who(),
    )
    assert hold.artifacts_covered == 1
    again = await stub.PlaceLegalHold(
        pb.PlaceLegalHoldRequest(
            platform_id="plat-a", case_id="case-9", reason="court order", room_id="room-1", request_id="h-1"
        ),
        metadata=retention.who(),
    )
    assert again.hold_id == hold.hold_id
    newcomer = await retention.register("h/new.log", cls=LOG)  # same room: covered by the open case too
    clock.advance(timedelta(days=61))
    plan = await stub.PlanPurge(pb.PlanPurgeRequest(platform_id="plat-a", page_size=10), metadata=retention.who())
    assert [c.artifact_id for c in plan.candidates] == [free.artifact_id] and plan.total_bytes == 100
    done = await stub.ExecutePurge(pb.ExecutePurgeRequest(platform_id="plat-a"), metadata=retention.who())
    assert (done.purged, done.bytes_freed) == (1, 100)
    assert not (retention.root / "h/free.log").exists() and (retention.root / "h/held.log").exists()
    why = await stub.GetRetention(
        pb.GetRetentionRequest(platform_id="plat-a", artifact_id=newcomer.artifact_id), metadata=retention.who()
    )
    assert list(why.active_hold_ids) == [hold.hold_id] and not why.HasField("purgeable_at")

    await stub.ReleaseLegalHold(
        pb.ReleaseLegalHoldRequest(platform_id="plat-a", case_id="case-9", reason="closed"), metadata=retention.who()
    )
    done = await stub.ExecutePurge(pb.ExecutePurgeRequest(platform_id="plat-a"), metadata=retention.who())
    assert done.purged == 2 and not (retention.root / "h/held.log").exists()
    tombstones = (
        await stub.ListTombstones(pb.ListTombstonesRequest(platform_id="plat-a"), metadata=retention.who())
    ).tombstones
    assert {t.artifact_id for t in tombstones} == {held.artifact_id, free.artifact_id, newcomer.artifact_id}
    assert all(len(t.storage_uri_sha256) == 64 and "h/" not in t.storage_uri_sha256 for t in tombstones)


async def test_a_hold_covers_artifacts_registered_while_it_is_placed(retention) -> None:
    """Registrations racing a hold on their room: each one is covered, whichever commits first (on
    PostgreSQL neither transaction sees the other's rows unless the two are serialized)."""
    stub = retention.stub
    for attempt in range(4):
        room = f"race-{attempt}"

        async def register(i: int, room: str = room) -> pb.RegisterArtifactResponse:
            return await retention.register(f"{room}/{i}.log", room=room, session=f"{room}-s", cls=LOG)

        async def hold(room: str = room) -> pb.PlaceLegalHoldResponse:
            await asyncio.sleep(0.01)
            return await stub.PlaceLegalHold(
                pb.PlaceLegalHoldRequest(platform_id="plat-a", case_id=f"case-{room}", reason="order", room_id=room),
                metadata=retention.who(),
            )

        results = await asyncio.gather(hold(), *(register(i) for i in range(30)))
        for artifact in results[1:]:
            why = await stub.GetRetention(
                pb.GetRetentionRequest(platform_id="plat-a", artifact_id=artifact.artifact_id),
                metadata=retention.who(),
            )
            assert list(why.active_hold_ids) == [results[0].hold_id], f"{room}: an artifact escaped the hold"
    retention.clock.advance(timedelta(days=61))
    plan = await stub.PlanPurge(pb.PlanPurgeRequest(platform_id="plat-a", page_size=10), metadata=retention.who())
    assert plan.total_artifacts == 0


async def test_event_hold_restarts_the_clock(retention) -> None:
    stub, clock = retention.stub, retention.clock
    art = await retention.register("e/dispute.log", cls=LOG, session="s-9")
    hold = await stub.PlaceEventHold(
        pb.PlaceEventHoldRequest(platform_id="plat-a", event_ref="dispute-7", reason="buyer dispute", session_id="s-9"),
        metadata=retention.who(),
    )
    clock.advance(timedelta(days=100))
    await stub.ReleaseLegalHold(
        pb.ReleaseLegalHoldRequest(platform_id="plat-a", hold_id=hold.hold_id, reason="dispute settled"),
        metadata=retention.who(),
    )
    why = await stub.GetRetention(
        pb.GetRetentionRequest(platform_id="plat-a", artifact_id=art.artifact_id), metadata=retention.who()
    )
    assert why.retain_until.ToDatetime(tzinfo=UTC) == clock.now() + timedelta(days=60)
    assert any("EVENT_HOLD" in r and "restarted" in r for r in why.reasons)
    plan = await stub.PlanPurge(pb.PlanPurgeRequest(platform_id="plat-a"), metadata=retention.who())
    assert plan.total_artifacts == 0


async def test_plan_pages_are_exactly_what_the_purge_deletes(retention) -> None:
    """Pages in (retain_until, id) order, ties split across pages, instants to the microsecond, totals on the
    first page only; and the plan lists exactly the artifacts ExecutePurge then deletes."""
    stub, clock = retention.stub, retention.clock
    tied = ENDED - timedelta(days=3, microseconds=876_544)  # three artifacts due at the same instant
    ends = [
        ENDED - timedelta(days=9, microseconds=1),  # a fraction of .999999
        tied,
        tied,
        tied,
        ENDED - timedelta(days=2, seconds=7),  # a whole second
        ENDED - timedelta(hours=1, microseconds=500),
    ]
    due = [
        (await retention.register(f"p/{i}.log", cls=LOG, session=f"s-{i}", ended=end, size=100 + i), end, 100 + i)
        for i, end in enumerate(ends)
    ]
    held = await retention.register("p/held.log", cls=LOG, session="s-held", ended=ends[0])
    await stub.PlaceLegalHold(
        pb.PlaceLegalHoldRequest(platform_id="plat-a", case_id="c-1", reason="court", session_id="s-held"),
        metadata=retention.who(),
    )
    await retention.register("p/replay.mp4", ended=ends[0])  # kept for years yet
    clock.advance(timedelta(days=61))
    expected = sorted((end + timedelta(days=60), r.artifact_id, size) for r, end, size in due)

    lines, firsts, token = [], [], ""
    while True:
        page = await stub.PlanPurge(
            pb.PlanPurgeRequest(platform_id="plat-a", page_size=2, page_token=token), metadata=retention.who()
        )
        firsts.append((page.total_artifacts, page.total_bytes))
        lines += [
            (c.retain_until.ToDatetime(tzinfo=UTC), c.artifact_id, c.size_bytes, c.content_class)
            for c in page.candidates
        ]
        token = page.next_page_token
        if not token:
            break
    assert lines == [(until, artifact, size, LOG) for until, artifact, size in expected]
    assert firsts == [(len(due), sum(size for _, _, size in due)), (0, 0), (0, 0)]
    assert held.artifact_id not in {artifact for _, artifact, _, _ in lines}

    before = await stub.PlanPurge(
        pb.PlanPurgeRequest(platform_id="plat-a", as_of=ts(expected[1][0] - timedelta(microseconds=1))),
        metadata=retention.who(),
    )
    assert [c.artifact_id for c in before.candidates] == [expected[0][1]] and before.total_artifacts == 1

    done = await stub.ExecutePurge(pb.ExecutePurgeRequest(platform_id="plat-a"), metadata=retention.who())
    assert (done.purged, done.bytes_freed) == (len(due), sum(size for _, _, size in due))
    tombstones = (
        await stub.ListTombstones(pb.ListTombstonesRequest(platform_id="plat-a"), metadata=retention.who())
    ).tombstones
    assert {t.artifact_id for t in tombstones} == {artifact for _, artifact, _, _ in lines}


async def test_a_crash_mid_purge_resumes_without_double_deletes_or_missing_tombstones(retention) -> None:
    from livetrust.retention import build_retention_service
    from livetrust.runtime import Database

    artifacts = [await retention.register(f"c/{i}.log", cls=LOG, session=f"s-{i}") for i in range(6)]
    retention.clock.advance(timedelta(days=61))

    class Crash(BaseException):
        """Stands for the process dying: not an error anyone handles."""

    real = AdapterRegistry.from_env({"LIVETRUST_RETENTION_STORAGE_ROOT": str(retention.root)})
    deleted: list[str] = []

    class Crashing:
        def for_uri(self, uri: str):
            inner = real.for_uri(uri)

            class Adapter:
                name = inner.name

                def exists(self, u: str) -> bool:
                    return inner.exists(u)

                def delete(self, u: str) -> None:
                    if inner.exists(u):
                        deleted.append(u)
                    inner.delete(u)
                    if len(deleted) == 3:
                        raise Crash  # after the object is gone, before the transaction commits

            return Adapter()

    db = Database(retention.url, migrations_dir=Path(__file__).parents[2] / "services/retention/migrations")
    # One artifact per batch: each is marked and recorded before the next is deleted.
    crashing = build_retention_service(
        retention.config,
        db,
        clock=retention.clock,
        adapters=Crashing(),  # type: ignore[arg-type]
        purge_batch=1,
    )
    from livetrust.runtime import Caller, Role, current_caller

    current_caller.set(Caller("plat-a", Role.PLATFORM, "k"))
    with pytest.raises(Crash):
        await crashing.purge(platform_id="plat-a", limit=100)
    db.close()
    assert retention.count("tombstones") == 2  # the third was deleted but not recorded

    done = await retention.stub.ExecutePurge(pb.ExecutePurgeRequest(platform_id="plat-a"), metadata=retention.who())
    assert done.purged == 4 and done.failed == 0
    assert retention.count("tombstones") == 6
    assert len(deleted) == len(set(deleted)) == 3
    assert not any((retention.root / f"c/{i}.log").exists() for i in range(6))
    again = await retention.stub.ExecutePurge(pb.ExecutePurgeRequest(platform_id="plat-a"), metadata=retention.who())
    assert again.purged == 0
    assert {a.artifact_id for a in artifacts}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            dict(platform_id="", room_id="", session_id="", account_id=""),
            {"platform_id", "room_id", "session_id", "account_id"},
        ),
        (dict(content_class=42), {"content_class"}),
        (dict(size_bytes=-1), {"size_bytes"}),
        (dict(ended_at=None), {"ended_at"}),
        (dict(future=True), {"ended_at"}),
        (dict(storage_uri="ftp://x/y"), {"storage_uri"}),
    ],
)
async def test_bad_registrations_are_invalid_argument_and_write_nothing(retention, fields, expected) -> None:
    request = pb.RegisterArtifactRequest(
        platform_id="plat-a",
        room_id="r",
        session_id="s",
        account_id="a",
        content_class=REPLAY,
        storage_uri=retention.file("bad/x.mp4"),
        size_bytes=1,
        ended_at=ts(ENDED),
    )
    for name, value in fields.items():
        if name == "future":
            request.ended_at.CopyFrom(ts(NOW + timedelta(days=1)))
        elif value is None:
            request.ClearField(name)
        else:
            setattr(request, name, value)
    metadata = retention.who(request.platform_id or "plat-a")
    with pytest.raises(grpc.aio.AioRpcError) as bad:
        await retention.stub.RegisterArtifact(request, metadata=metadata)
    assert bad.value.code() in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.PERMISSION_DENIED)
    if bad.value.code() is grpc.StatusCode.INVALID_ARGUMENT:
        assert violations(bad.value) == expected
    assert retention.count("artifacts") == 0


def test_plus_days_keeps_sub_millisecond_fractions_exact(database_url: str) -> None:
    """SQLite computes dates in milliseconds: .9996 s must not round up a second when days are added."""
    from livetrust.retention import MIGRATIONS_DIR
    from livetrust.retention._storage import ArtifactRow, plus_days
    from livetrust.runtime import Database

    db = Database(migrated("retention", database_url), migrations_dir=MIGRATIONS_DIR, pool_size=1)
    start = datetime(2026, 12, 31, 23, 59, 59, 999_600, tzinfo=UTC)
    try:
        with db.session() as session:
            session.add(
                ArtifactRow(
                    id="a",
                    platform_id="p",
                    room_id="r",
                    session_id="s",
                    account_id="c",
                    content_class="LOG",
                    storage_uri="file:///x",
                    size_bytes=1,
                    ended_at=start,
                    registered_at=start,
                    policy_version=1,
                    policy_mode="GOVERNANCE",
                    base_days=60,
                    extension_days=365,
                    key_room=False,
                    retain_until=start,
                    promised_until=None,
                    active_holds=0,
                    state="RETAINED",
                )
            )
        with db.session() as session:
            session.execute(
                sa.update(ArtifactRow).values(
                    retain_until=plus_days(ArtifactRow.retain_until, ArtifactRow.extension_days, db.dialect)
                )
            )
        with db.session() as session:
            assert session.get(ArtifactRow, "a").retain_until == start + timedelta(days=365)
    finally:
        db.close()
