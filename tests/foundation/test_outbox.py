"""The outbox relay: order per destination, backoff, permanent refusals, and one dead destination not
holding up the others."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
import sqlalchemy as sa

from livetrust.clock import FixedClock
from livetrust.runtime import Database, OutboxRelay, enqueue, make_metadata, outbox_table


class _Refused(grpc.aio.AioRpcError):
    def __init__(self, code: grpc.StatusCode) -> None:
        super().__init__(code, grpc.aio.Metadata(), grpc.aio.Metadata(), details="refused")


@pytest.fixture
def outbox(tmp_path: Path):
    metadata = make_metadata()
    table = outbox_table(metadata)
    db = Database(
        f"sqlite:///{tmp_path / 'outbox.db'}", migrations_dir=Path(__file__).parents[2] / "gateway/migrations"
    )
    metadata.create_all(db.engine)
    yield db, table
    db.close()


async def test_a_down_destination_does_not_delay_the_others(outbox) -> None:
    db, table = outbox
    clock = FixedClock(datetime(2026, 6, 1, tzinfo=UTC))
    for n, destination in enumerate(("down", "down", "up", "down", "up")):
        db.run_sync(
            lambda s, n=n, d=destination: enqueue(
                s, table, destination=d, dedup_key=f"k{n}", payload=f"{d}{n}".encode(), now=clock.now()
            )
        )
        clock.advance(timedelta(seconds=1))
    tried: list[bytes] = []

    async def down(payload: bytes, _id: str) -> None:
        tried.append(payload)
        raise _Refused(grpc.StatusCode.UNAVAILABLE)

    async def up(payload: bytes, _id: str) -> None:
        tried.append(payload)

    relay = OutboxRelay(db=db, table=table, deliverers={"down": down, "up": up}, clock=clock)
    assert await relay.deliver_due() == 2
    # One attempt at the down destination per pass; both rows for the healthy one went through.
    assert tried == [b"down0", b"up2", b"up4"]
    rows = {
        r.dedup_key: r
        for r in db.run_sync(
            lambda s: s.execute(
                sa.select(table.c.dedup_key, table.c.attempts, table.c.next_attempt_at, table.c.delivered_at)
            ).all()
        )
    }
    assert rows["k2"].delivered_at is not None and rows["k4"].delivered_at is not None
    assert rows["k0"].attempts == 1 and rows["k1"].attempts == 0 and rows["k3"].attempts == 0
    assert rows["k0"].next_attempt_at == rows["k1"].next_attempt_at == rows["k3"].next_attempt_at > clock.now()

    # Nothing is due before the retry time; after it, the rows go in their order once the service is back.
    tried.clear()
    assert await relay.deliver_due() == 0 and tried == []
    clock.advance(timedelta(seconds=5))
    relay = OutboxRelay(db=db, table=table, deliverers={"down": up, "up": up}, clock=clock)
    assert await relay.deliver_due() == 3
    assert tried == [b"down0", b"down1", b"down3"]


@pytest.mark.parametrize(
    "code",
    [
        grpc.StatusCode.INVALID_ARGUMENT,
        # The blacklist's answer to a second entry for a person this platform already reported: retried, it
        # used to hold back every later ban for 10,000 attempts.
        grpc.StatusCode.ALREADY_EXISTS,
        grpc.StatusCode.FAILED_PRECONDITION,
    ],
)
async def test_a_permanent_refusal_is_dead_at_once_and_does_not_block_its_destination(outbox, code) -> None:
    db, table = outbox
    clock = FixedClock(datetime(2026, 6, 1, tzinfo=UTC))
    for n in range(2):
        db.run_sync(
            lambda s, n=n: enqueue(s, table, destination="svc", dedup_key=f"k{n}", payload=b"%d" % n, now=clock.now())
        )
        clock.advance(timedelta(seconds=1))
    delivered: list[bytes] = []

    async def picky(payload: bytes, _id: str) -> None:
        if payload == b"0":
            raise _Refused(code)
        delivered.append(payload)

    relay = OutboxRelay(db=db, table=table, deliverers={"svc": picky}, clock=clock)
    assert await relay.deliver_due() == 1 and delivered == [b"1"]
    dead = db.run_sync(
        lambda s: s.execute(sa.select(table.c.dead_at, table.c.last_error).where(table.c.dedup_key == "k0")).one()
    )
    assert dead.dead_at is not None and dead.last_error.startswith(code.name)
    # The same dedup key is enqueued once.
    first = db.run_sync(lambda s: s.scalar(sa.select(table.c.id).where(table.c.dedup_key == "k1")))
    assert (
        db.run_sync(lambda s: enqueue(s, table, destination="svc", dedup_key="k1", payload=b"x", now=clock.now()))
        == first
    )
