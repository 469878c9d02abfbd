"""The gateway's blacklist mirror: certain misses answered in the gateway, everything else by the registry,
and never from a mirror that is not known to be current (real registry, real sockets)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

import grpc
import pytest

from livetrust.blacklist.v1 import blacklist_pb2, blacklist_pb2_grpc
from livetrust.clock import SystemClock
from livetrust.gateway._blacklist_mirror import FreshMirror, MirrorConfig, proxy_hooks
from livetrust.gateway.v1 import gateway_pb2 as pb
from livetrust.gateway.v1 import gateway_pb2_grpc
from livetrust.runtime import service_caller_metadata
from tests.conftest import signed_caller, unavailable_dependency
from tests.gateway.test_flows import blacklist_person, registration
from tests.identity.test_identity_service import ADULT, ADULT_2

LOOKUP = "/livetrust.blacklist.v1.BlacklistService/Lookup"


def lookup_bytes(*digests: str) -> bytes:
    return blacklist_pb2.LookupRequest(subject_digests=list(digests)).SerializeToString()


def digest(n: int) -> str:
    return f"{n:064x}"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def registry_channel(suite) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(suite.addresses["blacklist"]) as channel:
        yield channel


def mirror_on(suite, channel: grpc.aio.Channel, clock: Callable[[], float] = time.monotonic) -> FreshMirror:
    secret = suite.env["LIVETRUST_CALLER_SECRET"].encode()
    return FreshMirror(
        channel,
        config=MirrorConfig(sync_seconds=0.5, max_staleness_seconds=2.0),
        metadata=lambda: service_caller_metadata("gateway", secret, platform_id="livetrust", now=SystemClock().now()),
        call_timeout_seconds=2.0,
        monotonic=clock,
    )


async def test_certain_misses_are_answered_and_everything_else_is_left_to_the_registry(suite, registry_channel) -> None:
    mirror = mirror_on(suite, registry_channel)
    assert mirror.answer_lookup(lookup_bytes(digest(1))) is None  # never synced: nothing is certain

    listed = (
        await gateway_pb2_grpc.ComplianceGatewayStub(suite.channel).CheckRegistration(
            registration(ADULT_2, "acct-9", "plat-b"), metadata=suite.key("plat-b")
        )
    ).subject_digest
    await blacklist_person(suite, listed)
    assert await mirror.sync()
    assert mirror.version and mirror.version > 0

    answer = mirror.answer_lookup(lookup_bytes(digest(1), digest(2)))
    assert answer is not None
    results = blacklist_pb2.LookupResponse.FromString(answer).results
    assert [(r.subject_digest, r.listed) for r in results] == [(digest(1), False), (digest(2), False)]
    assert mirror.certainly_unlisted(digest(1)) and not mirror.certainly_unlisted(listed)

    # The registry answers: a possible hit, a request it must refuse, fields this gateway does not know.
    assert mirror.answer_lookup(lookup_bytes(digest(1), listed)) is None
    assert mirror.answer_lookup(lookup_bytes()) is None
    assert mirror.answer_lookup(lookup_bytes(*(digest(n) for n in range(1001)))) is None
    assert mirror.answer_lookup(lookup_bytes("ABC")) is None
    assert mirror.answer_lookup(lookup_bytes(digest(0xABC).upper())) is None
    assert mirror.answer_lookup(b"\xff\xff") is None
    unknown_field = lookup_bytes(digest(1)) + b"\x10\x01"  # field 2, varint 1
    assert mirror.answer_lookup(unknown_field) is None
    assert not mirror.certainly_unlisted("not a digest")


async def test_no_local_answer_once_stale_or_while_the_registry_is_away(suite, registry_channel) -> None:
    clock = FakeClock()
    mirror = mirror_on(suite, registry_channel, clock)
    assert await mirror.sync()
    assert mirror.certainly_unlisted(digest(3))
    clock.now += 2.01  # no successful sync for longer than max_staleness
    assert not mirror.certainly_unlisted(digest(3))
    assert await mirror.sync()
    assert mirror.certainly_unlisted(digest(3))

    # A registry that stops is noticed by its connection, before any sync fails.
    await suite.stop("blacklist")
    deadline = time.monotonic() + 2
    while mirror.fresh() and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    assert not mirror.certainly_unlisted(digest(3))
    assert not await mirror.sync()
    await suite.start("blacklist")
    for _ in range(50):
        if await mirror.sync():
            break
        await asyncio.sleep(0.1)
    assert mirror.certainly_unlisted(digest(3))


async def test_a_write_fences_the_mirror_off_until_a_sync_started_after_it(suite, registry_channel) -> None:
    clock = FakeClock()
    mirror = mirror_on(suite, registry_channel, clock)
    assert await mirror.sync()
    before = mirror.version
    listed = (
        await gateway_pb2_grpc.ComplianceGatewayStub(suite.channel).CheckRegistration(
            registration(ADULT_2, "acct-8", "plat-b"), metadata=suite.key("plat-b")
        )
    ).subject_digest
    mirror.write_started()
    assert not mirror.fresh()
    # A sync that runs while the write is in flight may or may not see its commit: it does not count.
    during = asyncio.ensure_future(mirror.sync())
    await asyncio.sleep(0)
    await blacklist_person(suite, listed)
    mirror.write_finished(grpc.StatusCode.OK)
    assert await during
    assert not mirror.fresh()
    assert await mirror.sync()
    assert mirror.version is not None and before is not None and mirror.version > before
    assert mirror.fresh() and not mirror.certainly_unlisted(listed) and mirror.certainly_unlisted(digest(4))

    # Refused: nothing was written, the next sync restores local answers.
    mirror.write_started()
    mirror.write_finished(grpc.StatusCode.INVALID_ARGUMENT)
    assert not mirror.fresh()
    assert await mirror.sync() and mirror.fresh()

    # Unclear (the call failed on the way): a commit may still land, so local answers wait out the bound.
    mirror.write_started()
    mirror.write_finished(grpc.StatusCode.DEADLINE_EXCEEDED)
    assert await mirror.sync()
    assert not mirror.fresh()
    clock.now += 2.5
    assert await mirror.sync() and mirror.fresh()


async def test_the_follow_loop_syncs_at_once_after_a_write(suite, registry_channel) -> None:
    mirror = FreshMirror(
        registry_channel,
        config=MirrorConfig(sync_seconds=30, max_staleness_seconds=60),
        metadata=lambda: signed_caller(suite.env["LIVETRUST_CALLER_SECRET"].encode(), "livetrust", "SERVICE"),
        call_timeout_seconds=2.0,
    )
    follow = asyncio.ensure_future(mirror.follow())
    try:
        for _ in range(100):
            if mirror.fresh():
                break
            await asyncio.sleep(0.02)
        assert mirror.fresh()
        mirror.write_started()
        mirror.write_finished(grpc.StatusCode.OK)
        for _ in range(100):  # far sooner than the 30 s tick
            if mirror.fresh():
                break
            await asyncio.sleep(0.02)
        assert mirror.fresh()
    finally:
        follow.cancel()


def test_hooks_cover_lookup_and_every_unary_write() -> None:
    hooks = proxy_hooks(object.__new__(FreshMirror))
    service = "/livetrust.blacklist.v1.BlacklistService/"
    assert hooks[LOOKUP].answer is not None and hooks[LOOKUP].before_forward is None
    writes = {m.removeprefix(service) for m, h in hooks.items() if h.before_forward and h.after_forward}
    assert writes == {"SubmitEntry", "ReviewEntry", "FileAppeal", "ResolveAppeal", "LiftEntry"}


def test_config_from_env() -> None:
    assert MirrorConfig.from_env({}) == MirrorConfig(enabled=True, sync_seconds=0.5, max_staleness_seconds=2.0)
    assert not MirrorConfig.from_env({"LIVETRUST_GATEWAY_BLACKLIST_MIRROR": "off"}).enabled
    with pytest.raises(ValueError, match="on or off"):
        MirrorConfig.from_env({"LIVETRUST_GATEWAY_BLACKLIST_MIRROR": "maybe"})
    with pytest.raises(ValueError, match="at least the sync interval"):
        MirrorConfig.from_env({"LIVETRUST_GATEWAY_BLACKLIST_MIRROR_MAX_STALENESS_SECONDS": "0.1"})
    with pytest.raises(ValueError, match="positive"):
        MirrorConfig.from_env({"LIVETRUST_GATEWAY_BLACKLIST_MIRROR_SYNC_SECONDS": "0"})


# --- through the gateway ---------------------------------------------------------------------------------


async def test_a_listing_through_the_gateway_is_seen_by_the_very_next_lookup(suite) -> None:
    flows = gateway_pb2_grpc.ComplianceGatewayStub(suite.channel)
    registry = blacklist_pb2_grpc.BlacklistServiceStub(suite.channel)
    key = suite.key("plat-a")
    await asyncio.sleep(0.6)  # the gateway's mirror has synced at least once
    for n, who in enumerate((ADULT, ADULT_2)):
        subject = (await flows.CheckRegistration(registration(who, f"acct-l{n}"), metadata=key)).subject_digest
        before = await registry.Lookup(blacklist_pb2.LookupRequest(subject_digests=[subject]), metadata=key)
        assert not before.results[0].listed
        entry_id = await blacklist_person(suite, subject)
        after = await registry.Lookup(blacklist_pb2.LookupRequest(subject_digests=[subject]), metadata=key)
        assert after.results[0].listed and after.results[0].entry_id == entry_id
        denied = await flows.CheckRegistration(registration(who, f"acct-m{n}"), metadata=key, timeout=5)
        assert denied.verdict == pb.REGISTRATION_VERDICT_DENY_BLACKLISTED


async def test_a_listing_made_behind_the_gateway_reaches_it_within_the_sync_interval(suite) -> None:
    """Another gateway replica (or credit's enforcement ladder) lists someone: this gateway learns of it
    by its next sync, as the registry's own replicas learn of each other's writes."""
    flows = gateway_pb2_grpc.ComplianceGatewayStub(suite.channel)
    key = suite.key("plat-a")
    subject = (await flows.CheckRegistration(registration(ADULT, "acct-x"), metadata=key)).subject_digest
    secret = suite.env["LIVETRUST_CALLER_SECRET"].encode()
    async with grpc.aio.insecure_channel(suite.addresses["blacklist"]) as channel:
        entry_id = await blacklist_person(
            suite,
            subject,
            stub=blacklist_pb2_grpc.BlacklistServiceStub(channel),
            submitter=signed_caller(secret, "plat-b"),
            reviewer=signed_caller(secret, "association", "REVIEWER"),
        )
    listed_at = time.monotonic()
    registry = blacklist_pb2_grpc.BlacklistServiceStub(suite.channel)
    while True:
        reply = await registry.Lookup(blacklist_pb2.LookupRequest(subject_digests=[subject]), metadata=key)
        if reply.results[0].listed:
            break
        assert time.monotonic() - listed_at < 2.0, "the gateway still answers from a mirror older than its bound"
        await asyncio.sleep(0.02)
    assert reply.results[0].entry_id == entry_id


async def test_with_the_registry_down_a_lookup_is_unavailable_not_answered_from_the_mirror(suite) -> None:
    registry = blacklist_pb2_grpc.BlacklistServiceStub(suite.channel)
    key = suite.key("plat-a")
    miss = blacklist_pb2.LookupRequest(subject_digests=[digest(5)])
    await asyncio.sleep(0.6)
    assert not (await registry.Lookup(miss, metadata=key)).results[0].listed
    await suite.stop("blacklist")
    with pytest.raises(grpc.aio.AioRpcError) as down:
        await registry.Lookup(miss, metadata=key, timeout=3)
    assert unavailable_dependency(down.value) == "blacklist"
    await suite.start("blacklist")
    again = await suite.eventually(registry.Lookup, miss, metadata=key, timeout=3)
    assert not again.results[0].listed
