"""Re-scoring under a new model, in process on SQLite and PostgreSQL: set-based batches across platforms,
resumable from the stored cursor, leaving every account, event and reporter weight as a replay under the
new model would, so later increments and overturns stay exact."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from livetrust.clock import FixedClock
from livetrust.credit import _scoring as scoring
from livetrust.credit._app import MIGRATIONS_DIR
from livetrust.credit._service import CreditService, EventInput
from livetrust.credit._tiering import TierPolicy
from livetrust.runtime import Caller, Database, Role, current_caller, migrate

NOW = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)
PLATFORMS = ("plat-a", "plat-b")
ACCOUNTS = tuple(f"acct-{i}" for i in range(4))


@pytest.fixture
async def service(database_url: str) -> AsyncIterator[tuple[CreditService, Database, FixedClock]]:
    migrate(MIGRATIONS_DIR, database_url)
    db = Database(database_url, migrations_dir=MIGRATIONS_DIR, pool_size=2)
    clock = FixedClock(NOW)
    token = current_caller.set(Caller("ops", Role.ADMIN, "key-ops"))
    try:
        yield CreditService(db=db, clock=clock, tier_policy=TierPolicy.default()), db, clock
    finally:
        current_caller.reset(token)
        db.close()


def history(platform_id: str, account_id: str) -> list[EventInput]:
    """Reviews, complaints by a repeated reporter (the cap), an outcome that upholds one and a notice."""

    def event(n: int, body: Any, minutes: int) -> EventInput:
        return EventInput(f"{account_id}-e{n}", platform_id, account_id, NOW - timedelta(minutes=minutes), body)

    return [
        event(0, scoring.Review(4, True), 60),
        event(1, scoring.Review(2, False), 55),
        event(2, scoring.Complaint(scoring.ComplaintCategory.COUNTERFEIT, "u1", False), 50),
        event(3, scoring.Complaint(scoring.ComplaintCategory.OTHER, "u1", False), 45),
        event(4, scoring.Complaint(scoring.ComplaintCategory.PRICE_FRAUD, "u2", True), 40),
        event(
            5,
            scoring.PlatformOutcome(f"{account_id}-e2", scoring.Outcome.UPHELD, scoring.Severity.MINOR),
            30,
        ),
        event(6, scoring.RegulatorNotice(scoring.Severity.MINOR, "market regulator"), 20),
    ]


def new_model() -> scoring.Scorecard:
    document = scoring.Scorecard.default().to_dict()
    document.update(version="2026.9", base_score=620, reporter_cap=0.3, unverified_complaint_weight=0.25)
    return scoring.Scorecard.from_dict(document)


async def assert_replays(service: CreditService, platform_id: str, account_id: str, card: scoring.Scorecard) -> None:
    stored = await service.get_score(platform_id=platform_id, account_id=account_id)
    replayed = await service.simulate(
        model_json=json.dumps(card.to_dict()), platform_id=platform_id, account_id=account_id
    )
    assert stored.result.model_version == card.version
    assert stored.result == replayed.result


async def test_rescore_in_batches_resumes_and_leaves_a_consistent_state(service) -> None:
    credit, db, clock = service
    for platform_id in PLATFORMS:
        for account_id in ACCOUNTS:
            await credit.record_events(events=history(platform_id, account_id))
    card = new_model()
    job = await credit.publish_model(model_json=json.dumps(card.to_dict()))
    assert job.total == len(PLATFORMS) * len(ACCOUNTS)
    # One batch, then a "restart": a new service instance resumes after the stored cursor.
    assert db.run_sync(lambda s: credit._rescore_batch(s, 3)) == 3
    restarted = CreditService(db=db, clock=clock, tier_policy=TierPolicy.default())
    assert await restarted.run_rescore_jobs(batch=3) == job.total - 3
    done = await restarted.get_job(job_id=job.job_id)
    assert (done.status, done.processed, done.total) == ("DONE", job.total, job.total)
    with db.engine.connect() as conn:
        stale = conn.execute(
            sa.text("SELECT COUNT(*) FROM events WHERE model_version <> :v"), {"v": card.version}
        ).scalar_one()
        assert stale == 0
        weights = dict(
            conn.execute(
                sa.text(
                    "SELECT reporter_id, weight FROM reporter_weights WHERE platform_id = 'plat-b' AND account_id = 'acct-0'"
                )
            ).all()
        )
        assert weights == pytest.approx({"u1": card.reporter_cap, "u2": card.reporter_cap})
    for platform_id in PLATFORMS:
        for account_id in ACCOUNTS:
            await assert_replays(restarted, platform_id, account_id, card)
    # Increments and overturns after the re-scoring build on what it stored.
    clock.advance(timedelta(minutes=1))
    later = EventInput(
        "late-outcome",
        "plat-a",
        "acct-1",
        NOW,
        scoring.PlatformOutcome("acct-1-e3", scoring.Outcome.DISMISSED, scoring.Severity.MINOR),
    )
    [result] = await restarted.record_events(events=[later])
    assert result.outcome == "NEW"
    await assert_replays(restarted, "plat-a", "acct-1", card)
    overturned, _ = await restarted.overturn_event(platform_id="plat-a", event_id="acct-1-e4", reason="withdrawn")
    assert overturned
    await assert_replays(restarted, "plat-a", "acct-1", card)
