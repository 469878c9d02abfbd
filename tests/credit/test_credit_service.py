"""The credit service over real gRPC sockets, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import grpc
import pytest
import sqlalchemy as sa
from google.protobuf import timestamp_pb2

from livetrust.clock import FixedClock
from livetrust.credit import build_service
from livetrust.credit._scoring import Scorecard
from livetrust.credit.v1 import credit_pb2 as pb
from livetrust.credit.v1 import credit_pb2_grpc
from livetrust.retention.v1 import retention_pb2, retention_pb2_grpc
from livetrust.runtime import ServiceConfig
from tests.conftest import bad_request, free_ports, migrated, running, signed_caller, wait_serving

NOW = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)


def ts(value: datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


def review(event_id: str, stars: int = 5, account: str = "acct-1", when: datetime = NOW) -> pb.CreditEvent:
    return pb.CreditEvent(
        event_id=event_id,
        platform_id="plat-a",
        account_id=account,
        occurred_at=ts(when),
        review=pb.Review(stars=stars, verified_buyer=True),
    )


def complaint(event_id: str, reporter: str, verified: bool = True, account: str = "acct-1") -> pb.CreditEvent:
    return pb.CreditEvent(
        event_id=event_id,
        platform_id="plat-a",
        account_id=account,
        occurred_at=ts(NOW),
        complaint=pb.Complaint(category=pb.COMPLAINT_CATEGORY_COUNTERFEIT, reporter_id=reporter, verified=verified),
    )


def notice(event_id: str, severity: int = pb.SEVERITY_SEVERE, account: str = "acct-1") -> pb.CreditEvent:
    return pb.CreditEvent(
        event_id=event_id,
        platform_id="plat-a",
        account_id=account,
        occurred_at=ts(NOW),
        regulator_notice=pb.RegulatorNotice(severity=severity, authority="Haidian market regulator"),
    )


class FakeRetention(retention_pb2_grpc.RetentionServiceServicer):
    """Stands in for the retention service to observe deliveries (deduplicating by request id)."""

    def __init__(self) -> None:
        self.calls: list[retention_pb2.SetRoomTierRequest] = []
        self.request_ids: set[str] = set()

    async def SetRoomTier(self, request, context):
        if request.request_id not in self.request_ids:
            self.request_ids.add(request.request_id)
            self.calls.append(request)
        return retention_pb2.SetRoomTierResponse(artifacts_updated=0)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
async def credit(database_url: str, make_env, clock: FixedClock):
    (retention_port,) = free_ports(1)
    env = make_env(
        LIVETRUST_CREDIT_DATABASE_URL=migrated("credit", database_url),
        LIVETRUST_RETENTION_ADDR=f"127.0.0.1:{retention_port}",
        LIVETRUST_OUTBOX_INTERVAL_SECONDS="0.1",
        LIVETRUST_OUTBOX_MAX_BACKOFF_SECONDS="0.5",
    )
    config = ServiceConfig.from_env("credit", env)
    async with running(config, build_service(config, clock=clock)) as (_, address):
        await wait_serving(address, "livetrust.credit.v1.CreditService")
        async with grpc.aio.insecure_channel(address) as channel:
            stub = credit_pb2_grpc.CreditServiceStub(channel)
            stub.channel = channel  # type: ignore[attr-defined]  # for the other services credit hosts
            yield stub, config, retention_port, database_url


def me(config: ServiceConfig, platform: str = "plat-a", role: str = "PLATFORM"):
    return signed_caller(config.caller_secret or b"", platform, role)


def count_rows(url: str, table: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar_one()
    finally:
        engine.dispose()


async def test_record_events_new_duplicate_rejected_in_order(credit) -> None:
    stub, config, _, url = credit
    bad_kind = pb.CreditEvent(event_id="e-none", platform_id="plat-a", account_id="acct-1", occurred_at=ts(NOW))
    future = review("e-future", when=NOW + timedelta(days=2))
    batch = [review("e-1"), review("e-1"), review("e-2", stars=9), bad_kind, future, complaint("e-3", "u1")]
    reply = await stub.RecordEvents(pb.RecordEventsRequest(events=batch), metadata=me(config))
    outcomes = [(r.event_id, pb.EventOutcome.Name(r.outcome)) for r in reply.results]
    assert outcomes == [
        ("e-1", "EVENT_OUTCOME_NEW"),
        ("e-1", "EVENT_OUTCOME_DUPLICATE"),
        ("e-2", "EVENT_OUTCOME_REJECTED"),
        ("e-none", "EVENT_OUTCOME_REJECTED"),
        ("e-future", "EVENT_OUTCOME_REJECTED"),
        ("e-3", "EVENT_OUTCOME_NEW"),
    ]
    assert [v.field for v in reply.results[2].violations] == ["events[2].review.stars"]
    assert [v.field for v in reply.results[3].violations] == ["events[3].kind"]
    assert [v.reason for v in reply.results[4].violations] == ["IN_FUTURE"]
    again = await stub.RecordEvents(pb.RecordEventsRequest(events=[review("e-1")]), metadata=me(config))
    assert again.results[0].outcome == pb.EVENT_OUTCOME_DUPLICATE
    score = await stub.GetCreditScore(
        pb.GetCreditScoreRequest(platform_id="plat-a", account_id="acct-1"), metadata=me(config)
    )
    assert score.event_count == 2
    with pytest.raises(grpc.aio.AioRpcError) as too_many:
        await stub.RecordEvents(
            pb.RecordEventsRequest(events=[review(f"x-{i}") for i in range(1001)]), metadata=me(config)
        )
    assert too_many.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM events")).scalar_one() == 2
    engine.dispose()


async def test_concurrent_duplicates_count_once(credit) -> None:
    stub, config, _, _ = credit
    batch = pb.RecordEventsRequest(events=[review(f"c-{i}", account="acct-c") for i in range(50)])
    replies = await asyncio.gather(*(stub.RecordEvents(batch, metadata=me(config)) for _ in range(4)))
    new = sum(r.outcome == pb.EVENT_OUTCOME_NEW for reply in replies for r in reply.results)
    assert new == 50
    score = await stub.GetCreditScore(
        pb.GetCreditScoreRequest(platform_id="plat-a", account_id="acct-c"), metadata=me(config)
    )
    assert score.event_count == 50


async def test_score_explains_itself_and_bands_change_entitlements(credit, clock: FixedClock) -> None:
    stub, config, _, _ = credit
    await stub.RecordEvents(pb.RecordEventsRequest(events=[review(f"r-{i}") for i in range(40)]), metadata=me(config))
    good = await stub.GetCreditScore(
        pb.GetCreditScoreRequest(platform_id="plat-a", account_id="acct-1"), metadata=me(config)
    )
    assert good.model_version == Scorecard.default().version and len(good.inputs_hash) == 64
    assert any(r.code.startswith("REVIEWS") and r.points > 0 and r.hint for r in good.reasons)
    before = await stub.GetEntitlements(
        pb.GetEntitlementsRequest(platform_id="plat-a", account_id="acct-1"), metadata=me(config)
    )
    assert before.entitlements.go_live
    events = [notice(f"n-{i}") for i in range(6)] + [complaint(f"c-{i}", f"user-{i}") for i in range(20)]
    await stub.RecordEvents(pb.RecordEventsRequest(events=events), metadata=me(config))
    bad = await stub.GetCreditScore(
        pb.GetCreditScoreRequest(platform_id="plat-a", account_id="acct-1"), metadata=me(config)
    )
    assert bad.score < good.score and bad.band != good.band
    assert bad.reasons[0].points < 0 and "REGULATOR" in bad.reasons[0].code
    after = await stub.GetEntitlements(
        pb.GetEntitlementsRequest(platform_id="plat-a", account_id="acct-1"), metadata=me(config)
    )
    assert after.entitlements.band == bad.band and after.entitlements != before.entitlements
    # Public: band and label only, without a caller.
    public = await stub.GetPublicCreditStatus(
        pb.GetPublicCreditStatusRequest(platform_id="plat-a", account_id="acct-1")
    )
    assert public.band == bad.band and public.label and public.HasField("as_of")
    # Another platform may not read the full score.
    with pytest.raises(grpc.aio.AioRpcError) as other:
        await stub.GetCreditScore(
            pb.GetCreditScoreRequest(platform_id="plat-a", account_id="acct-1"), metadata=me(config, "plat-b")
        )
    assert other.value.code() is grpc.StatusCode.PERMISSION_DENIED
    # Negatives fade: a year later the score has recovered part of the way.
    clock.advance(timedelta(days=365))
    later = await stub.GetCreditScore(
        pb.GetCreditScoreRequest(platform_id="plat-a", account_id="acct-1"), metadata=me(config)
    )
    assert later.score > bad.score


async def test_overturn_removes_an_events_effect(credit) -> None:
    stub, config, _, _ = credit
    await stub.RecordEvents(pb.RecordEventsRequest(events=[review("r-1"), review("r-2")]), metadata=me(config))
    base = await stub.GetCreditScore(
        pb.GetCreditScoreRequest(platform_id="plat-a", account_id="acct-1"), metadata=me(config)
    )
    await stub.RecordEvents(pb.RecordEventsRequest(events=[notice("n-1"), complaint("c-1", "u1")]), metadata=me(config))
    hit = await stub.GetCreditScore(
        pb.GetCreditScoreRequest(platform_id="plat-a", account_id="acct-1"), metadata=me(config)
    )
    assert hit.score < base.score
    first = await stub.OverturnEvent(
        pb.OverturnEventRequest(platform_id="plat-a", event_id="n-1", reason="appeal upheld"), metadata=me(config)
    )
    await stub.OverturnEvent(
        pb.OverturnEventRequest(platform_id="plat-a", event_id="c-1", reason="withdrawn"), metadata=me(config)
    )
    twice = await stub.OverturnEvent(
        pb.OverturnEventRequest(platform_id="plat-a", event_id="n-1", reason="again"), metadata=me(config)
    )
    assert first.overturned and not twice.overturned
    restored = await stub.GetCreditScore(
        pb.GetCreditScoreRequest(platform_id="plat-a", account_id="acct-1"), metadata=me(config)
    )
    assert restored.score == base.score
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await stub.OverturnEvent(
            pb.OverturnEventRequest(platform_id="plat-a", event_id="nope", reason="x"), metadata=me(config)
        )
    assert missing.value.code() is grpc.StatusCode.NOT_FOUND


async def test_concurrent_overturns_of_one_event_take_effect_once(credit) -> None:
    stub, config, _, _ = credit
    await stub.RecordEvents(pb.RecordEventsRequest(events=[review("r-1"), review("r-2")]), metadata=me(config))
    base = await stub.GetCreditScore(
        pb.GetCreditScoreRequest(platform_id="plat-a", account_id="acct-1"), metadata=me(config)
    )
    await stub.RecordEvents(pb.RecordEventsRequest(events=[notice("n-1")]), metadata=me(config))
    hit = await stub.GetCreditScore(
        pb.GetCreditScoreRequest(platform_id="plat-a", account_id="acct-1"), metadata=me(config)
    )
    overturn = pb.OverturnEventRequest(platform_id="plat-a", event_id="n-1", reason="appeal upheld")
    replies = await asyncio.gather(*(stub.OverturnEvent(overturn, metadata=me(config)) for _ in range(8)))
    assert sum(r.overturned for r in replies) == 1
    restored = await stub.GetCreditScore(
        pb.GetCreditScoreRequest(platform_id="plat-a", account_id="acct-1"), metadata=me(config)
    )
    assert restored.score == base.score
    # Subtracted once: a notice subtracted twice would leave a negative sum that hides the next notice.
    await stub.RecordEvents(pb.RecordEventsRequest(events=[notice("n-2")]), metadata=me(config))
    again = await stub.GetCreditScore(
        pb.GetCreditScoreRequest(platform_id="plat-a", account_id="acct-1"), metadata=me(config)
    )
    assert again.score == hit.score < base.score


async def test_simulate_and_publish_model_rescore(credit) -> None:
    stub, config, _, _ = credit
    events = [review(f"r-{i}", account=f"acct-{i % 5}") for i in range(20)] + [notice("n-1", account="acct-0")]
    await stub.RecordEvents(pb.RecordEventsRequest(events=events), metadata=me(config))
    card = Scorecard.default().to_dict()
    harsher = json.loads(json.dumps(card))
    harsher["version"] = "2026.2"
    doc = json.dumps(harsher)
    simulated = await stub.SimulateScore(
        pb.SimulateScoreRequest(model_json=doc, platform_id="plat-a", account_id="acct-0"), metadata=me(config)
    )
    assert simulated.score.model_version == "2026.2"
    with pytest.raises(grpc.aio.AioRpcError) as not_admin:
        await stub.PublishModel(pb.PublishModelRequest(model_json=doc), metadata=me(config))
    assert not_admin.value.code() is grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.aio.AioRpcError) as invalid:
        await stub.PublishModel(pb.PublishModelRequest(model_json="{not json"), metadata=me(config, "ops", "ADMIN"))
    assert invalid.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    job = (await stub.PublishModel(pb.PublishModelRequest(model_json=doc), metadata=me(config, "ops", "ADMIN"))).job
    assert job.total == 5
    for _ in range(100):
        job = (
            await stub.GetRescoreJob(pb.GetRescoreJobRequest(job_id=job.job_id), metadata=me(config, "ops", "ADMIN"))
        ).job
        if job.status == pb.JOB_STATUS_DONE:
            break
        await asyncio.sleep(0.05)
    assert job.status == pb.JOB_STATUS_DONE and job.processed == 5
    score = await stub.GetCreditScore(
        pb.GetCreditScoreRequest(platform_id="plat-a", account_id="acct-0"), metadata=me(config)
    )
    assert score.model_version == "2026.2" and score.score == simulated.score.score


async def test_deeply_nested_or_oversized_models_are_invalid_arguments(credit) -> None:
    """A document nested deeper than the JSON parser's stack, or longer than any scorecard, is the
    caller's mistake (INVALID_ARGUMENT), not a server fault (INTERNAL)."""
    stub, config, _, url = credit
    nested = "[" * 50_000  # within the length bound: only the nesting is wrong
    deep = '{"version": ' + "[" * 5_000 + "]" * 5_000 + "}"  # well formed, still too deep
    oversized = "[" * 100_000
    for doc, reason in ((nested, "MODEL_FORMAT"), (deep, "MODEL_FORMAT"), (oversized, "TOO_LONG")):
        with pytest.raises(grpc.aio.AioRpcError) as simulated:
            await stub.SimulateScore(
                pb.SimulateScoreRequest(model_json=doc, platform_id="plat-a", account_id="acct-0"), metadata=me(config)
            )
        assert simulated.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert bad_request(simulated.value) == [("model_json", reason)]
        with pytest.raises(grpc.aio.AioRpcError) as published:
            await stub.PublishModel(pb.PublishModelRequest(model_json=doc), metadata=me(config, "ops", "ADMIN"))
        assert published.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert bad_request(published.value) == [("model_json", reason)]
    assert count_rows(url, "models") == 0
    # A real scorecard, even pretty-printed, is well within the bound.
    card = Scorecard.default().to_dict()
    card["version"] = "2026.3"
    doc = json.dumps(card, indent=8)
    simulated_ok = await stub.SimulateScore(
        pb.SimulateScoreRequest(model_json=doc, platform_id="plat-a", account_id="acct-0"), metadata=me(config)
    )
    assert simulated_ok.score.model_version == "2026.3"


async def test_a_measure_with_more_evidence_than_the_blacklist_takes_is_refused(credit) -> None:
    """The blacklist takes at most 50 evidence refs of at most 512 characters: a blacklisting with more
    would be accepted here, then fail its delivery for ever and never list the person."""
    from livetrust.credit.v1 import enforcement_pb2, enforcement_pb2_grpc

    stub, config, _, url = credit
    enforcement = enforcement_pb2_grpc.EnforcementServiceStub(stub.channel)

    def blacklisting(refs: list[str], request_id: str) -> enforcement_pb2.ApplyMeasureRequest:
        return enforcement_pb2.ApplyMeasureRequest(
            platform_id="plat-a",
            account_id="acct-bl",
            measure=enforcement_pb2.MEASURE_TYPE_BLACKLISTING,
            reason="counterfeit goods sold as genuine",
            rule_id="fake-goods-1",
            evidence_refs=refs,
            subject_digest="a" * 64,
            request_id=request_id,
        )

    too_many = [f"clip://{i}" for i in range(51)]
    too_long = ["clip://" + "x" * 506]  # 513 characters
    for refs, expected in ((too_many, ("evidence_refs", "TOO_MANY")), (too_long, ("evidence_refs[0]", "TOO_LONG"))):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await enforcement.ApplyMeasure(blacklisting(refs, "r-refused"), metadata=me(config))
        assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert bad_request(refused.value) == [expected]
    assert count_rows(url, "measures") == count_rows(url, "outbox") == 0
    # At the blacklist's limits the measure is applied and its listing queued.
    applied = await enforcement.ApplyMeasure(
        blacklisting([f"clip://{i}".ljust(512, "x") for i in range(50)], "r-ok"), metadata=me(config)
    )
    assert len(applied.measure.evidence_refs) == 50
    assert count_rows(url, "measures") == 1


async def test_tier_change_reaches_retention_after_it_comes_back(credit, tmp_path) -> None:
    """Credit -> retention through the outbox, with the real retention service down, then up."""
    from livetrust import retention as retention_service

    stub, config, retention_port, _ = credit
    root = tmp_path / "content"
    root.mkdir()
    (root / "replay.mp4").write_bytes(b"x")
    retention_env = dict(
        config.env,
        LIVETRUST_LISTEN_ADDR=f"127.0.0.1:{retention_port}",
        LIVETRUST_RETENTION_DATABASE_URL=migrated("retention", f"sqlite:///{tmp_path / 'retention.db'}"),
        LIVETRUST_RETENTION_STORAGE_ROOT=str(root),
    )
    retention_config = ServiceConfig.from_env("retention", retention_env)
    platform = signed_caller(config.caller_secret or b"", "plat-a")
    ended = ts(datetime.now(UTC) - timedelta(days=1))

    async def retention_up():
        return running(retention_config, retention_service.build_service(retention_config))

    async with await retention_up() as (_, address):
        await wait_serving(address, "livetrust.retention.v1.RetentionService")
        async with grpc.aio.insecure_channel(address) as channel:
            artifact = await retention_pb2_grpc.RetentionServiceStub(channel).RegisterArtifact(
                retention_pb2.RegisterArtifactRequest(
                    platform_id="plat-a",
                    room_id="room-1",
                    session_id="s-1",
                    account_id="acct-1",
                    content_class=retention_pb2.CONTENT_CLASS_LIVE_REPLAY,
                    storage_uri=(root / "replay.mp4").as_uri(),
                    size_bytes=1,
                    ended_at=ended,
                ),
                metadata=platform,
            )
    # Retention is down now; the room becomes KEY.
    key_room = pb.RecordRoomMetricsRequest(
        platform_id="plat-a",
        room_id="room-1",
        account_id="acct-1",
        followers=5_000_000,
        views=10,
        gmv=1.0,
        product_categories=["APPAREL"],
        window_days=30,
    )
    room = (await stub.RecordRoomMetrics(key_room, metadata=me(config))).room
    assert room.tier == pb.TIER_KEY and "FOLLOWERS_ABOVE_KEY_THRESHOLD" in room.reasons
    listed = await stub.ListKeyRooms(pb.ListKeyRoomsRequest(platform_id="plat-a"), metadata=me(config))
    assert [r.room_id for r in listed.rooms] == ["room-1"]
    await asyncio.sleep(0.5)  # deliveries fail and are retried in the background

    async with await retention_up() as (_, address), grpc.aio.insecure_channel(address) as channel:
        retention = retention_pb2_grpc.RetentionServiceStub(channel)
        request = retention_pb2.GetRetentionRequest(platform_id="plat-a", artifact_id=artifact.artifact_id)
        base = artifact.retain_until.ToDatetime(tzinfo=UTC)
        for _ in range(100):
            reply = await retention.GetRetention(request, metadata=platform)
            if reply.retain_until.ToDatetime(tzinfo=UTC) > base:
                break
            await asyncio.sleep(0.05)
        assert reply.retain_until.ToDatetime(tzinfo=UTC) == base + timedelta(days=365)
        assert any("KEY_ROOM_EXTENSION" in r for r in reply.reasons)
        # Leaving KEY is told too, and the extension is undone exactly once.
        key_room.followers = 10
        assert (await stub.RecordRoomMetrics(key_room, metadata=me(config))).room.tier == pb.TIER_STANDARD
        for _ in range(100):
            reply = await retention.GetRetention(request, metadata=platform)
            if reply.retain_until.ToDatetime(tzinfo=UTC) == base:
                break
            await asyncio.sleep(0.05)
        assert reply.retain_until.ToDatetime(tzinfo=UTC) == base


def outcome(
    event_id: str, complaint_id: str, *, upheld: bool = True, when: datetime = NOW, account: str = "acct-1"
) -> pb.CreditEvent:
    return pb.CreditEvent(
        event_id=event_id,
        platform_id="plat-a",
        account_id=account,
        occurred_at=ts(when),
        platform_outcome=pb.PlatformOutcome(
            complaint_event_id=complaint_id,
            outcome=pb.OUTCOME_UPHELD if upheld else pb.OUTCOME_DISMISSED,
            severity=pb.SEVERITY_SERIOUS,
        ),
    )


def at(event: pb.CreditEvent, when: datetime) -> pb.CreditEvent:
    event.occurred_at.CopyFrom(ts(when))
    return event


async def assert_matches_replay(stub, config: ServiceConfig, account: str) -> pb.GetCreditScoreResponse:
    """The stored, incrementally folded score is exactly the score of a replay of the account's history
    (SimulateScore rebuilds from the events): same aggregates, so the same inputs hash."""
    stored = await stub.GetCreditScore(
        pb.GetCreditScoreRequest(platform_id="plat-a", account_id=account), metadata=me(config)
    )
    model = json.dumps(Scorecard.default().to_dict())
    replayed = (
        await stub.SimulateScore(
            pb.SimulateScoreRequest(model_json=model, platform_id="plat-a", account_id=account), metadata=me(config)
        )
    ).score
    assert (stored.score, stored.band, stored.inputs_hash) == (replayed.score, replayed.band, replayed.inputs_hash)
    assert list(stored.reasons) == list(replayed.reasons)
    return stored


async def test_a_batch_of_one_account_folds_like_a_replay(credit, clock: FixedClock) -> None:
    """Many events of one account in one batch, out of order, with repeated reporters (the cap), outcomes
    on complaints of this batch and of an earlier one, a copy within the batch and a resent old event."""
    stub, config, _, _ = credit
    minute = timedelta(minutes=1)
    earlier = [
        at(complaint("c-old", "u1", verified=False), NOW - 90 * minute),
        at(complaint("c-kept", "u9", verified=False), NOW - 85 * minute),
        review("r-old", stars=2, when=NOW - 80 * minute),
    ]
    await stub.RecordEvents(pb.RecordEventsRequest(events=earlier), metadata=me(config))
    clock.advance(minute)
    batch = [review(f"r-{i}", stars=1 + i % 5, when=NOW - (60 - i) * minute) for i in range(0, 40, 3)] + [
        at(complaint("c-1", "u1", verified=False), NOW - 50 * minute),  # u1 again: capped
        at(complaint("c-2", "u1", verified=True), NOW - 49 * minute),
        at(complaint("c-3", "u2", verified=False), NOW - 48 * minute),
        outcome("o-1", "c-3", upheld=True, when=NOW - 30 * minute),  # on a complaint of this batch
        outcome("o-2", "c-old", upheld=False, when=NOW - 29 * minute),  # on an earlier batch's complaint
        outcome("o-3", "c-3", upheld=False, when=NOW - 28 * minute),  # a second outcome: severity only
        outcome("o-4", "c-kept", upheld=True, when=NOW - 27 * minute),
        outcome("o-5", "nope", upheld=True, when=NOW - 26 * minute),  # unknown complaint
        notice("n-1", severity=pb.SEVERITY_MINOR),
        review("r-0", stars=5, when=NOW - 2 * minute),  # a copy within the batch
        review("r-old", stars=2, when=NOW - 80 * minute),  # resent
    ]
    batch.reverse()  # arrival order is not time order
    reply = await stub.RecordEvents(pb.RecordEventsRequest(events=batch), metadata=me(config))
    outcomes = {(r.event_id, pb.EventOutcome.Name(r.outcome)) for r in reply.results}
    assert [r.event_id for r in reply.results] == [e.event_id for e in batch]
    assert ("r-old", "EVENT_OUTCOME_DUPLICATE") in outcomes
    assert [pb.EventOutcome.Name(r.outcome) for r in reply.results if r.event_id == "r-0"] == [
        "EVENT_OUTCOME_NEW",
        "EVENT_OUTCOME_DUPLICATE",
    ]
    stored = await assert_matches_replay(stub, config, "acct-1")
    assert stored.event_count == len(earlier) + len({e.event_id for e in batch}) - 1
    # Outcomes in a later batch still see the standings the earlier outcomes wrote (on complaints of
    # that batch and of the one before).
    clock.advance(minute)
    later = [outcome("o-6", "c-3", upheld=True, when=NOW - minute), outcome("o-7", "c-old", when=NOW - minute)]
    await stub.RecordEvents(pb.RecordEventsRequest(events=later), metadata=me(config))
    await assert_matches_replay(stub, config, "acct-1")


async def test_concurrent_overlapping_batches_count_each_event_once(credit) -> None:
    """Batches sharing events (and brand-new accounts) arrive together: every event counts once, in its
    account's count and in its aggregates."""
    stub, config, _, _ = credit
    events = [
        review(f"o-{i}", stars=1 + i % 5, account=f"acct-{i % 30:02d}", when=NOW - timedelta(minutes=i))
        for i in range(150)
    ]
    batches = [pb.RecordEventsRequest(events=events[k * 25 : k * 25 + 75][:: 1 if k % 2 else -1]) for k in range(5)]
    replies = await asyncio.gather(*(stub.RecordEvents(b, metadata=me(config)) for b in batches))
    new = [r.event_id for reply in replies for r in reply.results if r.outcome == pb.EVENT_OUTCOME_NEW]
    sent = {e.event_id: e.account_id for b in batches for e in b.events}
    assert sorted(new) == sorted(sent)
    for account in sorted(set(sent.values())):
        stored = await assert_matches_replay(stub, config, account)
        assert stored.event_count == sum(a == account for a in sent.values())


async def test_concurrent_repeats_of_a_measure_escalate(credit) -> None:
    """Warnings for one account arriving together: only the first is a plain warning, every later one
    sees it and escalates (the history must not be read by all of them before any writes)."""
    from livetrust.credit.v1 import enforcement_pb2, enforcement_pb2_grpc

    stub, config, _, _ = credit
    enforcement = enforcement_pb2_grpc.EnforcementServiceStub(stub.channel)
    for round_ in range(3):
        warning = enforcement_pb2.ApplyMeasureRequest(
            platform_id="plat-a",
            account_id=f"acct-w{round_}",
            measure=enforcement_pb2.MEASURE_TYPE_WARNING,
            reason="absolute claims",
            rule_id="ad-law-9",
            evidence_refs=["clip://1"],
        )
        replies = await asyncio.gather(*(enforcement.ApplyMeasure(warning, metadata=me(config)) for _ in range(6)))
        plain = [r.measure for r in replies if r.measure.measure == enforcement_pb2.MEASURE_TYPE_WARNING]
        assert len(plain) == 1 and not plain[0].escalation


async def test_a_measure_lifted_on_an_upheld_appeal_does_not_escalate_the_next(credit) -> None:
    """An upheld appeal refunds: the voided measure is no earlier violation. Lifted for another reason
    (e.g. early, after rectification) it still counts."""
    from livetrust.credit.v1 import enforcement_pb2, enforcement_pb2_grpc

    stub, config, _, _ = credit
    enforcement = enforcement_pb2_grpc.EnforcementServiceStub(stub.channel)
    restrict = enforcement_pb2.MEASURE_TYPE_FUNCTION_RESTRICTION
    for account, appeal_upheld, expected in (
        ("acct-appeal", True, restrict),
        ("acct-early", False, enforcement_pb2.MEASURE_TYPE_TRAFFIC_RESTRICTION),
    ):
        request = enforcement_pb2.ApplyMeasureRequest(
            platform_id="plat-a",
            account_id=account,
            measure=restrict,
            reason="off-platform lure",
            rule_id="rule-3",
            evidence_refs=["clip://2"],
        )
        first = (await enforcement.ApplyMeasure(request, metadata=me(config))).measure
        lifted = (
            await enforcement.LiftMeasure(
                enforcement_pb2.LiftMeasureRequest(
                    platform_id="plat-a", measure_id=first.measure_id, reason="review", appeal_upheld=appeal_upheld
                ),
                metadata=me(config),
            )
        ).measure
        assert lifted.status == enforcement_pb2.MEASURE_STATUS_LIFTED and lifted.lifted_on_appeal is appeal_upheld
        again = (await enforcement.ApplyMeasure(request, metadata=me(config))).measure
        assert again.measure == expected
        assert bool(again.escalation) is not appeal_upheld


async def test_concurrent_publishes_leave_one_active_model(credit) -> None:
    stub, config, _, database_url = credit
    card = Scorecard.default().to_dict()
    for round_ in range(3):
        docs = []
        for i in range(4):
            doc = json.loads(json.dumps(card))
            doc["version"] = f"2027.{round_}.{i}"
            docs.append(json.dumps(doc))
        await asyncio.gather(
            *(
                stub.PublishModel(pb.PublishModelRequest(model_json=d), metadata=me(config, "ops", "ADMIN"))
                for d in docs
            )
        )
        engine = sa.create_engine(database_url)
        try:
            with engine.connect() as conn:
                active = conn.execute(sa.text("SELECT COUNT(*) FROM models WHERE active")).scalar_one()
        finally:
            engine.dispose()
        assert active == 1


async def test_concurrent_first_metrics_of_a_room_all_succeed(credit) -> None:
    stub, config, _, _ = credit
    for round_ in range(3):
        requests = [
            pb.RecordRoomMetricsRequest(
                platform_id="plat-a",
                room_id=f"room-new-{round_}",
                account_id="acct-1",
                followers=1000 + i,
                views=10,
                gmv=1.0,
                product_categories=["APPAREL"],
                window_days=30,
            )
            for i in range(6)
        ]
        replies = await asyncio.gather(*(stub.RecordRoomMetrics(r, metadata=me(config)) for r in requests))
        assert len(replies) == 6


async def test_a_band_change_racing_new_room_metrics_keeps_the_tier_in_step(credit) -> None:
    """Ingest re-tiers an account's rooms when its band drops while the room records metrics that make it
    KEY: whichever commits last, the tier must follow the room's stored metrics and the account's band."""
    stub, config, _, _ = credit

    def metrics(room: str, account: str, followers: int) -> pb.RecordRoomMetricsRequest:
        return pb.RecordRoomMetricsRequest(
            platform_id="plat-a",
            room_id=room,
            account_id=account,
            followers=followers,
            views=10,
            gmv=1.0,
            product_categories=["APPAREL"],
            window_days=30,
        )

    for round_ in range(6):
        account, room = f"acct-race-{round_}", f"room-race-{round_}"
        await stub.RecordEvents(
            pb.RecordEventsRequest(events=[review(f"rr-{round_}-{i}", account=account) for i in range(5)]),
            metadata=me(config),
        )
        assert (
            await stub.RecordRoomMetrics(metrics(room, account, 10), metadata=me(config))
        ).room.tier == pb.TIER_STANDARD
        drop = pb.RecordEventsRequest(events=[notice(f"rn-{round_}-{i}", account=account) for i in range(8)])
        await asyncio.gather(
            stub.RecordEvents(drop, metadata=me(config)),
            stub.RecordRoomMetrics(metrics(room, account, 5_000_000), metadata=me(config)),
        )
        tier = await stub.GetRoomTier(pb.GetRoomTierRequest(platform_id="plat-a", room_id=room), metadata=me(config))
        assert tier.room.tier == pb.TIER_KEY, f"round {round_}: {tier.room}"
        assert "FOLLOWERS_ABOVE_KEY_THRESHOLD" in tier.room.reasons
