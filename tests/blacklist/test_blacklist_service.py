"""The blacklist over real gRPC sockets, on SQLite and PostgreSQL: lifecycle, privacy, concurrency,
change feed, audit chain and bad input."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import grpc
import pytest
import sqlalchemy as sa
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from livetrust.blacklist import build_service
from livetrust.blacklist.v1 import blacklist_pb2 as pb
from livetrust.blacklist.v1 import blacklist_pb2_grpc
from livetrust.clock import FixedClock
from livetrust.runtime import CALLER_METADATA_KEY, Caller, Role, ServiceConfig, sign_caller
from tests.conftest import migrated, running, wait_serving

NOW = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)


def digest() -> str:
    return hashlib.sha256(secrets.token_bytes(16)).hexdigest()


class Callers:
    """Gateway-signed metadata for each kind of caller."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def __call__(self, platform: str = "plat-a", role: Role = Role.PLATFORM) -> tuple[tuple[str, str]]:
        # Signed at the real time: the server checks token expiry against the wall clock.
        token = sign_caller(Caller(platform, role, f"key-{platform}"), self._secret, now=datetime.now(UTC))
        return ((CALLER_METADATA_KEY, token),)

    @property
    def reviewer(self) -> tuple[tuple[str, str]]:
        return self("association", Role.REVIEWER)


def details(exc: grpc.aio.AioRpcError) -> dict[str, object]:
    status = rpc_status.from_call(exc)  # type: ignore[arg-type]
    assert status is not None
    out: dict[str, object] = {}
    for detail in status.details:
        for kind in (error_details_pb2.ErrorInfo, error_details_pb2.BadRequest):
            if detail.Is(kind.DESCRIPTOR):
                message = kind()
                detail.Unpack(message)
                out[kind.DESCRIPTOR.name] = message
    return out


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
async def registry(database_url: str, make_env, clock: FixedClock):
    async with _registry(database_url, make_env, clock) as running_registry:
        yield running_registry


@pytest.fixture
async def small_message_registry(database_url: str, make_env, clock: FixedClock):
    """A registry whose messages are limited to 4 KiB: the smallest filter (~3.6 KB) no longer fits one
    message with its other fields, as the 36 MB filter of 10 million listings does not fit 4 MiB."""
    async with _registry(database_url, make_env, clock, LIVETRUST_MAX_MESSAGE_BYTES="4096") as running_registry:
        yield running_registry


@asynccontextmanager
async def _registry(database_url: str, make_env, clock: FixedClock, **extra: str):
    env = make_env(LIVETRUST_BLACKLIST_DATABASE_URL=migrated("blacklist", database_url), **extra)
    config = ServiceConfig.from_env("blacklist", env)
    async with running(config, build_service(config, clock=clock)) as (_, address):
        await wait_serving(address, "livetrust.blacklist.v1.BlacklistService")
        async with grpc.aio.insecure_channel(address) as channel:
            yield blacklist_pb2_grpc.BlacklistServiceStub(channel), Callers(config.caller_secret or b""), database_url


async def submit(stub, who, digests, platform="plat-a", **fields):
    request = pb.SubmitEntryRequest(
        platform_id=platform,
        subject_digests=digests,
        category=pb.CATEGORY_SERIOUS_VIOLATION,
        reason="sold counterfeit goods live, three times",
        legal_basis="E-commerce Law art. 38; platform rule 4.2",
        evidence_refs=["case://123"],
        **fields,
    )
    return (await stub.SubmitEntry(request, metadata=who(platform))).entry


async def listed(stub, who, *digests: str) -> list[bool]:
    reply = await stub.Lookup(pb.LookupRequest(subject_digests=list(digests)), metadata=who("plat-z"))
    return [r.listed for r in reply.results]


async def test_lifecycle_submit_review_appeal_lift(registry, clock: FixedClock) -> None:
    stub, who, _ = registry
    person = digest()
    entry = await submit(stub, who, [person])
    assert entry.status == pb.ENTRY_STATUS_PENDING_REVIEW and entry.version == 1
    assert await listed(stub, who, person) == [False]

    approved = (
        await stub.ReviewEntry(
            pb.ReviewEntryRequest(entry_id=entry.entry_id, decision=pb.REVIEW_DECISION_APPROVE, note="verified"),
            metadata=who.reviewer,
        )
    ).entry
    assert approved.status == pb.ENTRY_STATUS_ACTIVE
    assert approved.listed_from.ToDatetime(tzinfo=UTC) == NOW
    assert approved.listed_until.ToDatetime(tzinfo=UTC) == NOW.replace(year=2031)  # the 5-year default
    # 20 working days after Mon 2026-06-01 (no holidays configured) end with Mon 2026-06-29: the
    # window closes at the following local midnight.
    assert approved.appeal_deadline.ToDatetime(tzinfo=UTC) == datetime(2026, 6, 29, 16, 0, tzinfo=UTC)
    assert approved.appeal_route
    reply = await stub.Lookup(pb.LookupRequest(subject_digests=[digest(), person]), metadata=who("plat-b"))
    assert [r.listed for r in reply.results] == [False, True]
    assert reply.results[1].entry_id == entry.entry_id and reply.results[1].category == pb.CATEGORY_SERIOUS_VIOLATION

    appealed = (
        await stub.FileAppeal(
            pb.FileAppealRequest(entry_id=entry.entry_id, statement="it was my brother's account"),
            metadata=who("plat-b"),
        )
    ).entry
    assert appealed.status == pb.ENTRY_STATUS_APPEALED
    # An appeal does not suspend the listing: only an upheld appeal lifts it.
    assert await listed(stub, who, person) == [True]
    dismissed = (
        await stub.ResolveAppeal(
            pb.ResolveAppealRequest(
                entry_id=entry.entry_id, decision=pb.APPEAL_DECISION_DISMISS, note="evidence holds"
            ),
            metadata=who.reviewer,
        )
    ).entry
    assert dismissed.status == pb.ENTRY_STATUS_ACTIVE
    assert await listed(stub, who, person) == [True]

    with pytest.raises(grpc.aio.AioRpcError) as not_owner:
        await stub.LiftEntry(pb.LiftEntryRequest(entry_id=entry.entry_id, reason="no"), metadata=who("plat-b"))
    assert not_owner.value.code() is grpc.StatusCode.PERMISSION_DENIED
    lifted = (
        await stub.LiftEntry(pb.LiftEntryRequest(entry_id=entry.entry_id, reason="court order"), metadata=who("plat-a"))
    ).entry
    assert lifted.status == pb.ENTRY_STATUS_LIFTED
    assert await listed(stub, who, person) == [False]
    # The same platform may report the person again once the entry is closed.
    assert (await submit(stub, who, [person])).status == pb.ENTRY_STATUS_PENDING_REVIEW


async def test_appeal_upheld_and_review_rejected(registry) -> None:
    stub, who, _ = registry
    person = digest()
    entry = await submit(stub, who, [person])
    await stub.ReviewEntry(
        pb.ReviewEntryRequest(entry_id=entry.entry_id, decision=pb.REVIEW_DECISION_APPROVE), metadata=who.reviewer
    )
    await stub.FileAppeal(pb.FileAppealRequest(entry_id=entry.entry_id, statement="mistaken identity"), metadata=who())
    upheld = (
        await stub.ResolveAppeal(
            pb.ResolveAppealRequest(entry_id=entry.entry_id, decision=pb.APPEAL_DECISION_UPHOLD), metadata=who.reviewer
        )
    ).entry
    assert upheld.status == pb.ENTRY_STATUS_LIFTED and await listed(stub, who, person) == [False]

    other = await submit(stub, who, [digest()])
    rejected = (
        await stub.ReviewEntry(
            pb.ReviewEntryRequest(entry_id=other.entry_id, decision=pb.REVIEW_DECISION_REJECT, note="too thin"),
            metadata=who.reviewer,
        )
    ).entry
    assert rejected.status == pb.ENTRY_STATUS_REJECTED and not rejected.HasField("listed_from")


async def test_expiry_by_time_and_appeal_window(registry, clock: FixedClock) -> None:
    stub, who, _ = registry
    person = digest()
    entry = await submit(stub, who, [person], listed_until=_ts(NOW + timedelta(days=40)))
    await stub.ReviewEntry(
        pb.ReviewEntryRequest(entry_id=entry.entry_id, decision=pb.REVIEW_DECISION_APPROVE), metadata=who.reviewer
    )
    clock.advance(timedelta(days=30))  # past the 20-working-day window
    with pytest.raises(grpc.aio.AioRpcError) as late:
        await stub.FileAppeal(pb.FileAppealRequest(entry_id=entry.entry_id, statement="late"), metadata=who())
    assert late.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert details(late.value)["ErrorInfo"].reason == "APPEAL_WINDOW_CLOSED"  # type: ignore[attr-defined]
    assert await listed(stub, who, person) == [True]
    clock.set(NOW + timedelta(days=40))  # the period ends: no job has run, yet it stops matching at once
    assert await listed(stub, who, person) == [False]
    shown = (await stub.GetEntry(pb.GetEntryRequest(entry_id=entry.entry_id), metadata=who())).entry
    assert shown.status == pb.ENTRY_STATUS_EXPIRED


async def test_duplicates_and_resends(registry) -> None:
    stub, who, _ = registry
    person = digest()
    first = await submit(stub, who, [person], request_id="req-1")
    again = await submit(stub, who, [person], request_id="req-1")
    assert again.entry_id == first.entry_id
    with pytest.raises(grpc.aio.AioRpcError) as duplicate:
        await submit(stub, who, [person, digest()])
    assert duplicate.value.code() is grpc.StatusCode.ALREADY_EXISTS
    assert first.entry_id in (duplicate.value.details() or "")
    assert details(duplicate.value)["ErrorInfo"].metadata["entry_id"] == first.entry_id  # type: ignore[attr-defined]
    # Another platform may report the same person.
    assert (await submit(stub, who, [person], platform="plat-b")).entry_id != first.entry_id


async def test_concurrent_submissions_and_reviews_have_one_winner(registry) -> None:
    stub, who, _ = registry
    person = digest()
    outcomes = await asyncio.gather(*(submit(stub, who, [person]) for _ in range(4)), return_exceptions=True)
    winners = [o for o in outcomes if not isinstance(o, Exception)]
    assert len(winners) == 1
    assert all(o.code() is grpc.StatusCode.ALREADY_EXISTS for o in outcomes if isinstance(o, Exception))

    entry = winners[0]
    reviews = await asyncio.gather(
        stub.ReviewEntry(
            pb.ReviewEntryRequest(entry_id=entry.entry_id, decision=pb.REVIEW_DECISION_APPROVE, expected_version=1),
            metadata=who.reviewer,
        ),
        stub.ReviewEntry(
            pb.ReviewEntryRequest(entry_id=entry.entry_id, decision=pb.REVIEW_DECISION_REJECT, expected_version=1),
            metadata=who.reviewer,
        ),
        return_exceptions=True,
    )
    won = [r for r in reviews if not isinstance(r, Exception)]
    lost = [r for r in reviews if isinstance(r, Exception)]
    assert len(won) == 1 and len(lost) == 1
    assert lost[0].code() in (grpc.StatusCode.ABORTED, grpc.StatusCode.FAILED_PRECONDITION)
    final = (await stub.GetEntry(pb.GetEntryRequest(entry_id=entry.entry_id), metadata=who.reviewer)).entry
    assert final.status == won[0].entry.status and final.version == 2


async def test_private_fields_are_hidden_from_other_platforms(registry) -> None:
    stub, who, _ = registry
    entry = await submit(stub, who, [digest()])
    own = (await stub.GetEntry(pb.GetEntryRequest(entry_id=entry.entry_id), metadata=who("plat-a"))).entry
    other = (await stub.GetEntry(pb.GetEntryRequest(entry_id=entry.entry_id), metadata=who("plat-b"))).entry
    reviewer = (await stub.GetEntry(pb.GetEntryRequest(entry_id=entry.entry_id), metadata=who.reviewer)).entry
    assert own.reason and list(own.evidence_refs) == ["case://123"] and not own.redacted
    assert reviewer.reason and not reviewer.redacted
    assert other.redacted and not other.reason and not other.evidence_refs and not other.notes
    assert other.category == own.category and other.status == own.status
    listed_for_b = await stub.ListEntries(pb.ListEntriesRequest(source_platform_id="plat-a"), metadata=who("plat-b"))
    assert [e.reason for e in listed_for_b.entries] == [""]


async def test_roles_are_enforced(registry) -> None:
    stub, who, _ = registry
    entry = await submit(stub, who, [digest()])
    with pytest.raises(grpc.aio.AioRpcError) as platform_review:
        await stub.ReviewEntry(
            pb.ReviewEntryRequest(entry_id=entry.entry_id, decision=pb.REVIEW_DECISION_APPROVE), metadata=who()
        )
    assert platform_review.value.code() is grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.aio.AioRpcError) as anonymous:
        await stub.Lookup(pb.LookupRequest(subject_digests=[digest()]))
    assert anonymous.value.code() is grpc.StatusCode.UNAUTHENTICATED
    with pytest.raises(grpc.aio.AioRpcError) as for_other:
        await stub.SubmitEntry(
            pb.SubmitEntryRequest(
                platform_id="plat-b",
                subject_digests=[digest()],
                category=pb.CATEGORY_SERIOUS_VIOLATION,
                reason="r",
                legal_basis="b",
            ),
            metadata=who("plat-a"),
        )
    assert for_other.value.code() is grpc.StatusCode.PERMISSION_DENIED


async def test_watch_changes_delivers_a_change_committed_after_the_stream_opened(registry) -> None:
    stub, who, _ = registry
    earlier = await submit(stub, who, [digest()])
    await stub.ReviewEntry(
        pb.ReviewEntryRequest(entry_id=earlier.entry_id, decision=pb.REVIEW_DECISION_APPROVE), metadata=who.reviewer
    )
    stream = stub.WatchChanges(pb.WatchChangesRequest(since_version=0), metadata=who("plat-b"), timeout=10)
    first = await stream.read()
    assert first.change.entry_id == earlier.entry_id and first.change.kind == pb.CHANGE_KIND_LISTED
    person = digest()
    later = await submit(stub, who, [person])
    await stub.ReviewEntry(
        pb.ReviewEntryRequest(entry_id=later.entry_id, decision=pb.REVIEW_DECISION_APPROVE), metadata=who.reviewer
    )
    second = await asyncio.wait_for(stream.read(), 5)
    assert second.change.entry_id == later.entry_id and list(second.change.subject_digests) == [person]
    assert second.change.version == first.change.version + 1
    stream.cancel()
    page = await stub.ListChanges(pb.ListChangesRequest(since_version=first.change.version), metadata=who())
    assert [c.entry_id for c in page.changes] == [later.entry_id] and page.latest_version == second.change.version
    # Nothing newer: the cursor comes back as it went, unless it is past the log's end (a log reset or
    # restored from a backup), and then the log's end tells a follower to start over.
    empty = await stub.ListChanges(pb.ListChangesRequest(since_version=second.change.version), metadata=who())
    assert not empty.changes and empty.latest_version == second.change.version
    ahead = await stub.ListChanges(pb.ListChangesRequest(since_version=second.change.version + 50), metadata=who())
    assert not ahead.changes and ahead.latest_version == second.change.version


async def test_lookup_by_prefix_and_filter(registry) -> None:
    stub, who, _ = registry
    person = digest()
    entry = await submit(stub, who, [person])
    await stub.ReviewEntry(
        pb.ReviewEntryRequest(entry_id=entry.entry_id, decision=pb.REVIEW_DECISION_APPROVE), metadata=who.reviewer
    )
    matches = (
        await stub.LookupByPrefix(pb.LookupByPrefixRequest(prefixes=[person[:8]]), metadata=who("plat-b"))
    ).matches
    assert [m.subject_digest for m in matches] == [person]
    assert not (await stub.LookupByPrefix(pb.LookupByPrefixRequest(prefixes=[digest()[:8]]), metadata=who())).matches

    from livetrust.blacklist._filter import load_filter

    reply = await stub.GetFilter(pb.GetFilterRequest(), metadata=who("plat-b"))
    assert hashlib.sha256(reply.filter).hexdigest() == reply.sha256 and reply.item_count == 1
    assert bytes.fromhex(person) in load_filter(reply.filter)
    # A small filter streams as one chunk, the same bytes and version as GetFilter's.
    header, chunks = await stream_filter(stub, who("plat-b"))
    assert chunks == [reply.filter]
    assert (header.version, header.sha256, header.size_bytes) == (reply.version, reply.sha256, len(reply.filter))

    from livetrust.blacklist.client import BlacklistMirror

    mirror = BlacklistMirror(stub, metadata=who("plat-b"))
    await mirror.sync()
    assert mirror.might_be_listed(person)
    newcomer = digest()
    late = await submit(stub, who, [newcomer])
    await stub.ReviewEntry(
        pb.ReviewEntryRequest(entry_id=late.entry_id, decision=pb.REVIEW_DECISION_APPROVE), metadata=who.reviewer
    )
    await mirror.sync()
    results = await mirror.check([newcomer, digest()])
    assert [r.listed for r in results] == [True, False]


async def stream_filter(stub, metadata) -> tuple[pb.FilterInfo, list[bytes]]:
    info, chunks = None, []
    async for message in stub.StreamFilter(pb.StreamFilterRequest(), metadata=metadata):
        if message.WhichOneof("part") == "info":
            assert info is None and not chunks, "FilterInfo comes first, once"
            info = message.info
        else:
            chunks.append(message.chunk)
    assert info is not None
    return info, chunks


async def test_filter_too_large_for_one_message_is_streamed(small_message_registry) -> None:
    from livetrust.blacklist._filter import load_filter
    from livetrust.blacklist.client import BlacklistMirror

    stub, who, _ = small_message_registry
    person = digest()
    entry = await submit(stub, who, [person])
    await stub.ReviewEntry(
        pb.ReviewEntryRequest(entry_id=entry.entry_id, decision=pb.REVIEW_DECISION_APPROVE), metadata=who.reviewer
    )

    with pytest.raises(grpc.aio.AioRpcError) as too_large:
        await stub.GetFilter(pb.GetFilterRequest(), metadata=who("plat-b"))
    assert too_large.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert "StreamFilter" in (too_large.value.details() or "")
    info = details(too_large.value)["ErrorInfo"]
    assert info.reason == "FILTER_TOO_LARGE"  # type: ignore[attr-defined]
    assert info.metadata["use_rpc"] == "livetrust.blacklist.v1.BlacklistService/StreamFilter"  # type: ignore[attr-defined]
    assert int(info.metadata["size_bytes"]) > 4096 - 1024  # type: ignore[attr-defined]

    header, chunks = await stream_filter(stub, who("plat-b"))
    data = b"".join(chunks)
    assert len(chunks) >= 2 and all(len(c) <= 4096 - 1024 for c in chunks)
    assert header.size_bytes == len(data) == int(info.metadata["size_bytes"])  # type: ignore[attr-defined]
    assert header.sha256 == hashlib.sha256(data).hexdigest()
    assert header.item_count == 1 and header.false_positive_rate == pytest.approx(1e-6)
    latest = (await stub.ListChanges(pb.ListChangesRequest(), metadata=who())).latest_version
    assert header.version == latest
    assert bytes.fromhex(person) in load_filter(data)

    mirror = BlacklistMirror(stub, metadata=who("plat-b"))
    await mirror.sync()
    assert mirror.version == latest
    assert mirror.might_be_listed(person) and not mirror.might_be_listed(digest())
    assert [r.listed for r in await mirror.check([person, digest()])] == [True, False]


async def test_stream_filter_needs_a_caller(registry) -> None:
    stub, _, _ = registry
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stream_filter(stub, ())
    assert refused.value.code() is grpc.StatusCode.UNAUTHENTICATED


async def test_tampering_is_detected(registry) -> None:
    stub, who, url = registry
    entry = await submit(stub, who, [digest()])
    await stub.ReviewEntry(
        pb.ReviewEntryRequest(entry_id=entry.entry_id, decision=pb.REVIEW_DECISION_APPROVE), metadata=who.reviewer
    )
    await submit(stub, who, [digest()])
    intact = await stub.VerifyAuditLog(pb.VerifyAuditLogRequest(), metadata=who.reviewer)
    assert intact.intact and intact.records_checked == 3
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 2"))
    altered = await stub.VerifyAuditLog(pb.VerifyAuditLogRequest(), metadata=who.reviewer)
    assert not altered.intact and altered.first_broken_seq == 2
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_log WHERE seq = 2"))
    removed = await stub.VerifyAuditLog(pb.VerifyAuditLogRequest(), metadata=who.reviewer)
    assert not removed.intact and removed.first_broken_seq == 2
    engine.dispose()


@pytest.mark.parametrize(
    ("digests", "field"),
    [
        (["abc"], "subject_digests[0]"),
        (["g" * 64], "subject_digests[0]"),
        (["A" * 64], "subject_digests[0]"),
        ([], "subject_digests"),
        (["a" * 64] * 1001, "subject_digests"),
    ],
)
async def test_malformed_lookups_are_invalid_argument(registry, digests, field) -> None:
    stub, who, _ = registry
    with pytest.raises(grpc.aio.AioRpcError) as bad:
        await stub.Lookup(pb.LookupRequest(subject_digests=digests), metadata=who())
    assert bad.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert field in {v.field for v in details(bad.value)["BadRequest"].field_violations}  # type: ignore[attr-defined]


async def test_bad_submission_writes_nothing(registry) -> None:
    stub, who, url = registry
    with pytest.raises(grpc.aio.AioRpcError) as bad:
        await stub.SubmitEntry(
            pb.SubmitEntryRequest(platform_id="plat-a", subject_digests=["nothex"], category=99), metadata=who()
        )
    fields = {v.field for v in details(bad.value)["BadRequest"].field_violations}  # type: ignore[attr-defined]
    assert fields == {"subject_digests[0]", "category", "reason", "legal_basis"}
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        counts = [conn.execute(sa.text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in ("entries", "audit_log")]
    engine.dispose()
    assert counts == [0, 0]


def _ts(value: datetime):
    from google.protobuf import timestamp_pb2

    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


async def in_process_service(url: str, make_env, clock: FixedClock):
    """The service object itself (no server) on a migrated database, its index loaded: env, db, follower, service."""
    from livetrust.blacklist import MIGRATIONS_DIR
    from livetrust.blacklist._rules import BlacklistPolicy
    from livetrust.blacklist._service import BlacklistService, ListedIndexFollower
    from livetrust.runtime import Database

    env = make_env(LIVETRUST_BLACKLIST_DATABASE_URL=migrated("blacklist", url))
    db = Database(url, migrations_dir=MIGRATIONS_DIR)
    follower = ListedIndexFollower(db)
    await follower.load()
    service = BlacklistService(db=db, follower=follower, clock=clock, policy=BlacklistPolicy.from_env(env))
    return env, db, follower, service


async def listed_for_three_days(service, person: str) -> str:
    """An entry for ``person``, submitted and approved, listed until NOW + 3 days."""
    from livetrust.blacklist._rules import Category
    from livetrust.runtime import current_caller

    current_caller.set(Caller("plat-a", Role.PLATFORM, "k"))
    entry = await service.submit_entry(
        platform_id="plat-a",
        subject_digests=[person],
        category=Category.SERIOUS_VIOLATION,
        reason="r",
        legal_basis="b",
        evidence_refs=[],
        listed_until=NOW + timedelta(days=3),
        permanent=False,
        request_id="",
    )
    current_caller.set(Caller("assoc", Role.REVIEWER, "k2"))
    await service.review_entry(entry_id=entry.entry_id, approve=True, note="", expected_version=0)
    return entry.entry_id


async def test_expiry_job_marks_and_logs_expired_listings(database_url: str, make_env, clock: FixedClock) -> None:
    from livetrust.blacklist._index import digest_key

    env, db, follower, service = await in_process_service(database_url, make_env, clock)
    person = digest()
    entry_id = await listed_for_three_days(service, person)
    assert follower.index.contains(digest_key(person))
    assert await service.expire_due() == 0
    clock.advance(timedelta(days=3))
    assert await service.expire_due() == 1
    view = await service.get_entry(entry_id=entry_id)
    assert view.status.value == "EXPIRED"
    changes, _ = await service.list_changes(since_version=0, page_size_requested=10)
    assert [c.kind for c in changes] == ["LISTED", "UNLISTED"]
    assert not follower.index.contains(digest_key(person))
    verdict = await service.verify_audit_log()
    assert verdict.intact and verdict.checked == 3

    from livetrust.blacklist._commands import verify_audit_command
    from livetrust.runtime import ServiceConfig as Config

    assert verify_audit_command(Config.from_env("blacklist", env))[0]
    db.close()


async def test_expiry_sweep_skips_an_entry_a_lift_is_changing(postgres_url: str, make_env, clock: FixedClock) -> None:
    """A lift in flight when the sweep runs: the sweep used to read the entry unlocked, wait on the lift's
    row lock to write it, then fail the whole batch with StaleDataError. Now it leaves the entry to the lift."""
    _, db, _, service = await in_process_service(postgres_url, make_env, clock)
    entries = [await listed_for_three_days(service, digest()) for _ in range(2)]
    clock.advance(timedelta(days=3))
    lifting, other = entries
    engine = sa.create_engine(postgres_url)
    try:
        with engine.connect() as lift:
            # The lift has written the row and not committed yet.
            lift.execute(
                sa.text("UPDATE entries SET status = 'LIFTED', version = version + 1 WHERE id = :id"), {"id": lifting}
            )
            sweep = asyncio.ensure_future(service.expire_due())
            await asyncio.sleep(0.5)
            lift.commit()
        assert await sweep == 1
    finally:
        engine.dispose()
    assert (await service.get_entry(entry_id=lifting)).status.value == "LIFTED"
    assert (await service.get_entry(entry_id=other)).status.value == "EXPIRED"
    assert await service.expire_due() == 0
    db.close()


def test_migration_lists_entries_already_under_appeal_again(database_url: str) -> None:
    """Entries appealed under the old rule (an appeal unlisted them) are listed again by the data migration,
    with a LISTED change that every follower and mirror picks up; expired or lifted ones are left alone."""
    from livetrust.blacklist import MIGRATIONS_DIR
    from livetrust.runtime import migrate

    migrate(MIGRATIONS_DIR, database_url, revision="5b1e0c7d9a42")
    engine = sa.create_engine(database_url)
    future, past = datetime(2099, 1, 1), datetime(2000, 1, 1)
    entries = {"e-appealed": ("APPEALED", future), "e-old-appeal": ("APPEALED", past), "e-lifted": ("LIFTED", future)}
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO changes (version, kind, entry_id, subject_digests, at) "
                    "VALUES (7, 'UNLISTED', 'e-appealed', '[]', :at)"
                ),
                {"at": past},
            )
            for n, (entry_id, (status, until)) in enumerate(entries.items()):
                conn.execute(
                    sa.text(
                        "INSERT INTO entries (id, platform_id, category, reason, legal_basis, evidence_refs, status,"
                        " permanent, listed_from, listed_until, notes, version, created_at, updated_at)"
                        " VALUES (:id, 'plat-a', 'SERIOUS_VIOLATION', 'r', 'b', '[]', :status, false, :from_, :until,"
                        " '[]', 3, :from_, :from_)"
                    ),
                    {"id": entry_id, "status": status, "from_": past, "until": until},
                )
                conn.execute(
                    sa.text(
                        "INSERT INTO entry_subjects (entry_id, subject_digest, digest_key, platform_id, is_open,"
                        " is_listed) VALUES (:id, :digest, :key, 'plat-a', :open, false)"
                    ),
                    {"id": entry_id, "digest": f"{n:064x}", "key": n, "open": status == "APPEALED"},
                )
        migrate(MIGRATIONS_DIR, database_url)
        with engine.connect() as conn:
            listed = dict(conn.execute(sa.text("SELECT entry_id, is_listed FROM entry_subjects")).all())
            changes = conn.execute(sa.text("SELECT version, kind, entry_id FROM changes ORDER BY version")).all()
    finally:
        engine.dispose()
    assert {k: bool(v) for k, v in listed.items()} == {"e-appealed": True, "e-old-appeal": False, "e-lifted": False}
    assert [tuple(c) for c in changes] == [(7, "UNLISTED", "e-appealed"), (8, "LISTED", "e-appealed")]
