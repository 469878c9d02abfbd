"""Tests for BlacklistMirror against a fake in-process BlacklistService over a real socket."""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

import grpc
import pytest

from livetrust.blacklist._filter import build_filter
from livetrust.blacklist.client import BlacklistMirror
from livetrust.blacklist.v1 import blacklist_pb2, blacklist_pb2_grpc


def digest() -> str:
    return os.urandom(32).hex()


class FakeBlacklist(blacklist_pb2_grpc.BlacklistServiceServicer):
    """An in-memory registry: a listed multiset, a change log, and call counters."""

    def __init__(self) -> None:
        self.listed: Counter[str] = Counter()
        self.changes: list[blacklist_pb2.Change] = []
        self.calls: Counter[str] = Counter()
        self.lookup_requests: list[list[str]] = []
        self.list_changes_requests: list[tuple[int, int]] = []
        self.metadata_seen: list[dict[str, str]] = []
        self.corrupt_sha256 = False
        # StreamFilter: bytes per chunk (small, so a test filter comes in many), or no StreamFilter at all
        # (a registry from before it), or one of the faults a broken stream could show.
        self.chunk_bytes = 1000
        self.streams = True
        self.stream_status: grpc.StatusCode | None = None
        self.stream_fault: str | None = None

    def _record(self, name: str, context: grpc.aio.ServicerContext) -> None:
        self.calls[name] += 1
        self.metadata_seen.append(dict(context.invocation_metadata() or ()))

    def change(self, kind: blacklist_pb2.ChangeKind, *digests: str) -> None:
        if kind == blacklist_pb2.CHANGE_KIND_LISTED:
            self.listed.update(digests)
        else:
            self.listed.subtract(digests)
            self.listed = +self.listed
        self.changes.append(
            blacklist_pb2.Change(version=len(self.changes) + 1, kind=kind, entry_id="e", subject_digests=digests)
        )

    def list(self, *digests: str) -> None:
        self.change(blacklist_pb2.CHANGE_KIND_LISTED, *digests)

    def unlist(self, *digests: str) -> None:
        self.change(blacklist_pb2.CHANGE_KIND_UNLISTED, *digests)

    def _filter(self) -> tuple[bytes, str]:
        data = build_filter(self.listed, expected_items=len(self.listed))
        sha = hashlib.sha256(data).hexdigest()
        if self.corrupt_sha256:
            sha = hashlib.sha256(data + b"x").hexdigest()
        return data, sha

    async def GetFilter(self, request, context):
        self._record("GetFilter", context)
        data, sha = self._filter()
        return blacklist_pb2.GetFilterResponse(
            filter=data, version=len(self.changes), sha256=sha, item_count=len(self.listed), false_positive_rate=1e-6
        )

    async def StreamFilter(self, request, context):
        self._record("StreamFilter", context)
        if not self.streams:
            await context.abort(grpc.StatusCode.UNIMPLEMENTED, "Method not found!")
        if self.stream_status is not None:
            await context.abort(self.stream_status, "refused")
        data, sha = self._filter()
        info = blacklist_pb2.FilterInfo(
            version=len(self.changes),
            sha256=sha,
            size_bytes=len(data),
            item_count=len(self.listed),
            false_positive_rate=1e-6,
        )
        chunks = [data[i : i + self.chunk_bytes] for i in range(0, len(data), self.chunk_bytes)]
        fault = self.stream_fault
        if fault == "truncated":
            chunks = chunks[:-1]
        elif fault == "extra_bytes":
            chunks.append(b"\x00")
        elif fault == "oversized":
            info.size_bytes = 2**40
        messages = [blacklist_pb2.StreamFilterResponse(info=info)]
        messages += [blacklist_pb2.StreamFilterResponse(chunk=c) for c in chunks]
        if fault == "no_info":
            messages = messages[1:]
        elif fault == "info_twice":
            messages.append(blacklist_pb2.StreamFilterResponse(info=info))
        elif fault == "chunk_first":
            messages.insert(0, messages.pop(1))
        elif fault == "unknown_part":
            messages.insert(1, blacklist_pb2.StreamFilterResponse())  # no part set: what a newer kind looks like
        for message in messages:
            yield message

    async def ListChanges(self, request, context):
        self._record("ListChanges", context)
        self.list_changes_requests.append((request.since_version, request.page_size))
        page = self.changes[request.since_version : request.since_version + request.page_size]
        latest = page[-1].version if page else min(request.since_version, len(self.changes))
        return blacklist_pb2.ListChangesResponse(changes=page, latest_version=latest)

    async def Lookup(self, request, context):
        self._record("Lookup", context)
        self.lookup_requests.append(list(request.subject_digests))
        return blacklist_pb2.LookupResponse(
            results=[
                blacklist_pb2.LookupResult(
                    subject_digest=d,
                    listed=self.listed[d] > 0,
                    entry_id="e" if self.listed[d] > 0 else "",
                    category=blacklist_pb2.CATEGORY_SERIOUS_VIOLATION if self.listed[d] > 0 else 0,
                )
                for d in request.subject_digests
            ]
        )


@dataclass
class Harness:
    fake: FakeBlacklist
    channel: grpc.aio.Channel

    def mirror(self, **kwargs) -> BlacklistMirror:
        return BlacklistMirror(self.channel, **kwargs)


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    fake = FakeBlacklist()
    server = grpc.aio.server()
    blacklist_pb2_grpc.add_BlacklistServiceServicer_to_server(fake, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield Harness(fake, channel)
    finally:
        await channel.close()
        await server.stop(None)


def listed_flags(results: Sequence[blacklist_pb2.LookupResult]) -> list[bool]:
    return [r.listed for r in results]


async def test_initial_sync_then_local_answers(harness: Harness) -> None:
    listed = [digest() for _ in range(100)]
    harness.fake.list(*listed)
    mirror = harness.mirror()
    assert mirror.version is None
    await mirror.sync()
    assert mirror.version == 1
    assert harness.fake.calls["StreamFilter"] == 1
    assert all(mirror.might_be_listed(d) for d in listed)
    assert not mirror.might_be_listed(digest())


async def test_might_be_listed_before_sync_and_bad_digests(harness: Harness) -> None:
    mirror = harness.mirror()
    # Nothing rules a digest out yet: "maybe" is the only safe answer.
    assert mirror.might_be_listed(digest())
    for bad in ("ab", digest().upper(), digest() + "0", "g" * 64, 7):
        with pytest.raises(ValueError):
            mirror.might_be_listed(bad)
    with pytest.raises(ValueError):
        await mirror.check([digest(), "nope"])
    assert harness.fake.calls["Lookup"] == 0


async def test_listed_after_the_filter_is_found_after_next_sync(harness: Harness) -> None:
    harness.fake.list(digest())
    mirror = harness.mirror()
    await mirror.sync()
    late = digest()
    harness.fake.list(late)
    assert not mirror.might_be_listed(late)
    await mirror.sync()
    assert mirror.might_be_listed(late)
    assert mirror.version == 2
    assert harness.fake.calls["StreamFilter"] == 1
    assert harness.fake.list_changes_requests[-1] == (1, 1000)
    [result] = await mirror.check([late])
    assert result.listed
    assert result.entry_id == "e"


async def test_check_asks_the_server_only_about_local_hits(harness: Harness) -> None:
    listed = [digest() for _ in range(3)]
    harness.fake.list(*listed)
    mirror = harness.mirror()
    await mirror.sync()
    unknown = [digest() for _ in range(5)]
    asked = [unknown[0], listed[0], unknown[1], unknown[2], listed[1], unknown[3], listed[2], unknown[4]]
    results = await mirror.check(asked)
    assert [r.subject_digest for r in results] == asked
    assert listed_flags(results) == [d in listed for d in asked]
    assert harness.fake.calls["Lookup"] == 1
    assert harness.fake.lookup_requests == [[listed[0], listed[1], listed[2]]]
    assert results[1].category == blacklist_pb2.CATEGORY_SERIOUS_VIOLATION

    # All local misses: no call at all.
    assert listed_flags(await mirror.check(unknown)) == [False] * 5
    assert await mirror.check([]) == []
    assert harness.fake.calls["Lookup"] == 1


async def test_check_batches_lookups_by_1000(harness: Harness) -> None:
    listed = [digest() for _ in range(2_500)]
    harness.fake.list(*listed)
    mirror = harness.mirror()
    await mirror.sync()
    results = await mirror.check(listed)
    assert all(listed_flags(results))
    assert [len(batch) for batch in harness.fake.lookup_requests] == [1000, 1000, 500]
    assert [d for batch in harness.fake.lookup_requests for d in batch] == listed


async def test_unlisted_change_is_confirmed_by_the_server(harness: Harness) -> None:
    gone, kept = digest(), digest()
    harness.fake.list(gone, kept)
    mirror = harness.mirror()
    await mirror.sync()
    harness.fake.unlist(gone)
    await mirror.sync()
    # The filter cannot forget: still a local hit, but the server's answer wins.
    assert mirror.might_be_listed(gone)
    results = await mirror.check([gone, kept])
    assert listed_flags(results) == [False, True]
    assert harness.fake.lookup_requests == [[gone, kept]]


async def test_unlisting_one_of_two_listings_keeps_the_digest(harness: Harness) -> None:
    twice = digest()
    mirror = harness.mirror()
    await mirror.sync()
    harness.fake.list(twice)
    harness.fake.list(twice)  # a second entry, e.g. from another platform
    harness.fake.unlist(twice)
    await mirror.sync()
    assert mirror.might_be_listed(twice)
    assert listed_flags(await mirror.check([twice])) == [True]


async def test_corrupted_sha256_raises(harness: Harness) -> None:
    harness.fake.list(digest())
    harness.fake.corrupt_sha256 = True
    mirror = harness.mirror()
    with pytest.raises(ValueError, match="SHA-256"):
        await mirror.sync()
    assert mirror.version is None


async def test_pagination_over_many_changes(harness: Harness) -> None:
    first = digest()
    harness.fake.list(first)
    mirror = harness.mirror()
    await mirror.sync()
    later = [digest() for _ in range(2_500)]
    for d in later:
        harness.fake.list(d)
    await mirror.sync()
    assert mirror.version == 2_501
    assert all(mirror.might_be_listed(d) for d in later)
    # Initial sync: one empty page. Then 1000 + 1000 + 500 (short page ends it).
    assert harness.fake.list_changes_requests == [(1, 1000), (1, 1000), (1001, 1000), (2001, 1000)]
    assert harness.fake.calls["StreamFilter"] == 1


async def test_exact_multiple_of_page_size_ends_on_an_empty_page(harness: Harness) -> None:
    mirror = harness.mirror()
    await mirror.sync()
    for _ in range(2_000):
        harness.fake.list(digest())
    await mirror.sync()
    assert mirror.version == 2_000
    assert harness.fake.list_changes_requests[1:] == [(0, 1000), (1000, 1000), (2000, 1000)]


async def test_many_changes_trigger_a_new_filter(harness: Harness) -> None:
    mirror = harness.mirror(refilter_after=1_500)
    await mirror.sync()
    later = [digest() for _ in range(3_000)]
    for d in later:
        harness.fake.list(d)
    await mirror.sync()
    assert harness.fake.calls["StreamFilter"] == 2
    assert mirror.version == 3_000
    assert all(mirror.might_be_listed(d) for d in later)
    # It stopped following the old filter's changes once past 1,500 rather than reading all 3,000.
    assert harness.fake.list_changes_requests[1:] == [(0, 1000), (1000, 1000), (3000, 1000)]
    state = mirror._state
    assert state is not None
    assert state.extras == frozenset()
    assert state.changes_since_filter == 0


async def test_a_registry_whose_log_went_back_is_followed_from_a_new_filter(harness: Harness) -> None:
    kept, lost = digest(), [digest(), digest()]
    harness.fake.list(kept)
    harness.fake.list(*lost)
    mirror = harness.mirror()
    await mirror.sync()
    assert mirror.version == 2
    # Restored from a backup taken after the first change. (Noticed only if the mirror syncs before the
    # log grows past its version again; a restore takes far longer than the gateway's 0.5 s between syncs.)
    harness.fake.changes = harness.fake.changes[:1]
    harness.fake.listed = Counter({kept: 1})
    await mirror.sync()
    assert harness.fake.calls["StreamFilter"] == 2
    assert mirror.version == 1
    newer = digest()
    harness.fake.list(newer)  # version 2 again
    await mirror.sync()
    assert mirror.might_be_listed(newer) and mirror.might_be_listed(kept)
    assert not any(mirror.might_be_listed(d) for d in lost)


async def test_metadata_and_stub_are_accepted(harness: Harness) -> None:
    listed = digest()
    harness.fake.list(listed)
    stub = blacklist_pb2_grpc.BlacklistServiceStub(harness.channel)
    mirror = BlacklistMirror(stub, call_timeout=2.0, metadata=[("authorization", "Bearer t0ken")])
    await mirror.sync()
    await mirror.check([listed])
    assert harness.fake.calls["Lookup"] == 1
    assert all(seen.get("authorization") == "Bearer t0ken" for seen in harness.fake.metadata_seen)
    assert len(harness.fake.metadata_seen) == 3  # StreamFilter, ListChanges, Lookup


async def test_state_is_swapped_whole(harness: Harness) -> None:
    harness.fake.list(digest())
    mirror = harness.mirror()
    await mirror.sync()
    before = mirror._state
    harness.fake.list(digest())
    await mirror.sync()
    after = mirror._state
    assert before is not None and after is not None
    assert after is not before
    assert (before.version, len(before.extras)) == (1, 0)  # the old snapshot is untouched
    assert (after.version, len(after.extras)) == (2, 1)


def test_a_blocking_channel_is_refused() -> None:
    channel = grpc.insecure_channel("127.0.0.1:1")
    try:
        with pytest.raises(TypeError):
            BlacklistMirror(channel)
    finally:
        channel.close()


async def test_filter_arrives_in_chunks(harness: Harness) -> None:
    listed = [digest() for _ in range(5_000)]
    harness.fake.list(*listed)
    harness.fake.chunk_bytes = 4096
    mirror = harness.mirror()
    await mirror.sync()
    assert harness.fake.calls["StreamFilter"] == 1 and harness.fake.calls["GetFilter"] == 0
    assert mirror.version == 1
    assert all(mirror.might_be_listed(d) for d in listed)
    assert sum(mirror.might_be_listed(digest()) for _ in range(1_000)) == 0


async def test_registry_without_stream_filter_falls_back_to_get_filter(harness: Harness) -> None:
    listed = digest()
    harness.fake.list(listed)
    harness.fake.streams = False
    mirror = harness.mirror()
    await mirror.sync()
    assert harness.fake.calls["StreamFilter"] == 1 and harness.fake.calls["GetFilter"] == 1
    assert mirror.might_be_listed(listed) and mirror.version == 1


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("truncated", "of the"),
        ("extra_bytes", "more than"),
        ("oversized", "announced a filter"),
        ("no_info", "before its FilterInfo"),
        ("chunk_first", "before its FilterInfo"),
        ("info_twice", "second FilterInfo"),
    ],
)
async def test_a_broken_stream_keeps_the_previous_state(harness: Harness, fault: str, message: str) -> None:
    first = digest()
    harness.fake.list(first)
    mirror = harness.mirror(refilter_after=10)
    await mirror.sync()
    before = mirror._state
    for _ in range(20):  # enough changes that the next sync downloads a new filter
        harness.fake.list(digest())
    harness.fake.stream_fault = fault
    with pytest.raises(ValueError, match=message):
        await mirror.sync()
    assert mirror._state is before and mirror.version == 1
    assert mirror.might_be_listed(first)
    # Once the registry behaves again, the next sync succeeds.
    harness.fake.stream_fault = None
    await mirror.sync()
    assert mirror.version == 21


async def test_a_corrupted_new_filter_is_not_swapped_in(harness: Harness) -> None:
    harness.fake.list(digest())
    mirror = harness.mirror(refilter_after=10)
    await mirror.sync()
    before = mirror._state
    for _ in range(20):
        harness.fake.list(digest())
    harness.fake.corrupt_sha256 = True
    with pytest.raises(ValueError, match="SHA-256"):
        await mirror.sync()
    assert mirror._state is before


async def test_parts_unknown_to_this_client_are_skipped(harness: Harness) -> None:
    listed = digest()
    harness.fake.list(listed)
    harness.fake.stream_fault = "unknown_part"
    mirror = harness.mirror()
    await mirror.sync()
    assert mirror.might_be_listed(listed)


async def test_the_fallback_filter_is_verified_too(harness: Harness) -> None:
    mirror = harness.mirror()
    harness.fake.streams = False
    harness.fake.corrupt_sha256 = True
    with pytest.raises(ValueError, match="SHA-256"):
        await mirror.sync()
    assert mirror.version is None


async def test_other_stream_errors_are_raised_without_fallback(harness: Harness) -> None:
    mirror = harness.mirror()
    harness.fake.stream_status = grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await mirror.sync()
    assert refused.value.code() is grpc.StatusCode.PERMISSION_DENIED
    assert harness.fake.calls["GetFilter"] == 0 and mirror.version is None


def test_filter_timeout_must_be_positive() -> None:
    stub = object()
    with pytest.raises(ValueError):
        BlacklistMirror(stub, filter_timeout=0)  # type: ignore[arg-type]
