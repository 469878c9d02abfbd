"""The benchmark harness works at tiny sizes and produces well-formed rows.

Structure only: no assertion here looks at a timing, a rate or whether a target was met (timings never
decide a test). ``python -m bench`` is where the numbers are.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import random
from pathlib import Path

import pytest

from bench._harness import (
    HEALTH_CHECK,
    Context,
    LoadGenerator,
    LoadSpec,
    Result,
    Settings,
    Target,
    format_value,
    health_request,
    serve_in_process,
    service_env,
)
from bench._runner import main, render_table
from bench.credit import SHORT_HISTORY, seed_scored_accounts
from bench.retention import _KEY_ROOM, _check_extended, populate
from bench.risk import LEXICON_ID, make_segments, regex_baseline, synthesize_terms, with_lexicon
from livetrust.clock import SystemClock
from livetrust.credit import MIGRATIONS_DIR as CREDIT_MIGRATIONS
from livetrust.credit._risk import RiskEngine, RiskRules, Segment
from livetrust.credit._scoring import Aggregates, Scorecard
from livetrust.credit._service import _rebuild
from livetrust.credit._storage import AccountRow, ReporterWeightRow
from livetrust.retention import MIGRATIONS_DIR as RETENTION_MIGRATIONS
from livetrust.retention import build_retention_service
from livetrust.runtime import Caller, Database, Role, ServiceConfig, current_caller
from tests.conftest import migrated

ROW_KEYS = {
    "bench",
    "figure",
    "size",
    "value",
    "unit",
    "target",
    "met",
    "baseline",
    "baseline_value",
    "ratio",
    "detail",
    "error",
    "quick",
}


def test_result_rows_and_table() -> None:
    qps = Result("x", "QPS", 700.0, "calls/s", "tiny", Target(">=", 0.7, on="ratio"), "health", 1000.0)
    assert qps.ratio == pytest.approx(0.7) and qps.met is True
    memory = Result("x", "memory", 250e6, "B", target=Target("<=", 200e6))
    assert memory.met is False and memory.ratio is None
    broken = Result("x", "crashed", None, "", error="boom")
    assert broken.met is None and broken.as_dict()["error"] == "boom"
    assert format_value(80e6, "B") == "80.0 MB" and format_value(1_500_000, "digests/s") == "1.50M digests/s"
    table = render_table([qps, memory, broken], Settings.quick_run(), 1.0)
    lines = table.splitlines()
    assert "quick" in lines[0]
    assert sum("QPS" in line or "memory" in line or "crashed" in line for line in lines) == 3
    assert "0.70x" in table and "NO" in table and "ERROR: boom" in table


async def test_load_generator_merges_workers(tmp_path: Path) -> None:
    env = service_env(tmp_path, LIVETRUST_IDENTITY_DATABASE_URL=migrated("identity", f"sqlite:///{tmp_path}/i.db"))
    async with serve_in_process("identity", env) as (_, address):
        spec = LoadSpec(address, HEALTH_CHECK, [health_request()], concurrency=3, duration=0.3, warmup=0.1)
        with LoadGenerator(2) as generator:
            # The generator blocks while it waits for its workers; the server needs this loop meanwhile.
            result = await asyncio.to_thread(generator.run, spec)
    assert result.workers == 2 and result.concurrency == 3
    assert result.calls > 0 and result.errors == 0 and result.error_codes == {}
    assert result.qps == result.calls / spec.duration
    assert result.p50_ms <= result.p99_ms <= result.max_ms
    assert not result.reused_requests  # one repeated request is fine unless the spec asks for distinct ones


TINY = [
    "--quick",
    "--entries",
    "1000",
    "--persons",
    "200",
    "--history",
    "200",
    "--accounts",
    "60",
    "--artifacts",
    "2500",
    "--purge-files",
    "20",
    "--room-artifacts",
    "100",
    "--lexicon-terms",
    "300",
    "--duration",
    "0.4",
    "--warmup",
    "0.1",
    "--rounds",
    "1",
    "--inproc-seconds",
    "0.05",
    "--workers",
    "1",
]
FIGURES = {
    ("identity", "ValidateIdNumber in-process"),
    ("identity", "VerifyIdentity in-process, sequential"),
    ("identity", "ValidateIdNumber gRPC c=32 QPS"),
    ("identity", "VerifyIdentity gRPC c=32 QPS"),
    ("blacklist", "ListedIndex.contains_many, batches of 1,000"),
    ("blacklist", "index memory (ListedIndex.memory_bytes)"),
    ("blacklist", "new replica: ListedIndexFollower.load()"),
    ("blacklist", "filter build (first call, in-process)"),
    ("blacklist", "filter size"),
    ("blacklist", "Lookup (1 digest) gRPC c=1 QPS"),
    ("blacklist", "Lookup (1 digest) gRPC c=1 p99 latency"),
    ("blacklist", "Lookup (1 digest) gRPC c=32 QPS"),
    ("credit", "re-score under a new model: PublishModel to GetRescoreJob DONE"),
    ("credit", "RecordEvents ingest, batches of 500, c=2"),
    ("credit", "GetCreditScore p50, 200 events vs 10, c=1"),
    ("retention", "PlanPurge, all pages of 1,000"),
    ("retention", "ExecutePurge, filesystem adapter"),
    ("retention", "SetRoomTier entering KEY (one set-based UPDATE)"),
    ("gateway", "Lookup through the gateway, p50 c=1"),
    ("gateway", "Lookup through the gateway, p50 c=32"),
    ("gateway", "CheckRegistration c=50 QPS"),
    ("gateway", "CheckRegistration c=50 p99 latency"),
    ("risk", "AssessSegment in-process, text throughput"),
    ("risk", "AssessSegment vs one re alternation of the same terms"),
}


@pytest.mark.timeout(300)  # every benchmark, one after another in one run, as `python -m bench` runs them
def test_quick_run_at_tiny_sizes_writes_well_formed_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bench.json"
    code = main([*TINY, "--json", str(out)])
    assert code == 0
    rows = json.loads(out.read_text())
    assert isinstance(rows, list) and rows
    for row in rows:
        assert row.keys() >= ROW_KEYS, row
        assert row["error"] == "", row  # functional problems (wrong answers, failed calls) show up here
        assert isinstance(row["value"], float | int) and math.isfinite(row["value"]), row
        assert row["quick"] is True and row["size"].endswith("(quick)")
        if row["baseline"]:
            assert isinstance(row["baseline_value"], float | int) and isinstance(row["ratio"], float)
        if row["target"]:
            assert row["met"] in (True, False)
    figures = {(row["bench"], row["figure"]) for row in rows}
    expected = FIGURES
    assert expected <= figures, expected - figures
    table = capsys.readouterr().out
    assert table.count("\n") >= len(rows) + 4
    assert all(figure in table for _, figure in expected)


def test_each_benchmark_gets_fresh_databases(tmp_path: Path) -> None:
    """Two benchmarks of one run asking for the same part's database must not share it."""
    with contextlib.ExitStack() as stack:
        ctx = Context(Settings.quick_run(), stack, tmp_path, lambda _message: None)
        first, second = ctx.database("credit"), ctx.database("credit")
    assert first != second


# --- what the new benchmarks seed must be what the services would have stored -----------------------------


def test_seeded_credit_histories_match_a_replay_by_the_service(tmp_path: Path) -> None:
    """Events bulk-inserted with their contributions, and aggregates folded in-process, are what the
    service's own rebuild (the re-scoring path) computes from those events."""
    url = migrated("credit", f"sqlite:///{tmp_path}/credit.db")
    card = Scorecard.default()
    sizes = seed_scored_accounts(url, card, 400, random.Random(3))
    assert sorted(sizes.values()) == [SHORT_HISTORY, 400]
    db = Database(url, migrations_dir=CREDIT_MIGRATIONS, pool_size=1)
    try:
        with db.session() as session:
            for account, count in sizes.items():
                row = session.get(AccountRow, ("bench-score", account))
                assert row is not None and row.event_count == count and row.model_version == card.version
                weights = {
                    w.reporter_id: w.weight
                    for w in session.query(ReporterWeightRow).filter_by(platform_id="bench-score", account_id=account)
                }
                stored = Aggregates.from_dict(row.aggregates)
                rebuilt = _rebuild(session, card, "bench-score", account, store_state=True)
                assert set(stored) == set(rebuilt)
                for key in stored:
                    assert stored[key].ref == rebuilt[key].ref
                    assert stored[key].value == pytest.approx(rebuilt[key].value, rel=1e-9, abs=1e-12)
                rebuilt_weights = {
                    w.reporter_id: w.weight
                    for w in session.query(ReporterWeightRow).filter_by(platform_id="bench-score", account_id=account)
                }
                assert rebuilt_weights == pytest.approx(weights)
    finally:
        db.close()


async def test_seeded_artifacts_are_what_the_retention_service_reads(tmp_path: Path) -> None:
    """Artifacts bulk-inserted for the benchmark are planned, purged and extended by the service itself."""
    url = migrated("retention", f"sqlite:///{tmp_path}/retention.db")
    root = tmp_path / "content"
    populate(url, root, 30, 4, 7)
    env = service_env(tmp_path, LIVETRUST_RETENTION_DATABASE_URL=url, LIVETRUST_RETENTION_STORAGE_ROOT=str(root))
    db = Database(url, migrations_dir=RETENTION_MIGRATIONS, pool_size=2)
    try:
        service = build_retention_service(ServiceConfig.from_env("retention", env), db, clock=SystemClock())
        current_caller.set(Caller("bench-plan", Role.PLATFORM, "test"))
        rows, _, total, _ = await service.plan_purge(
            platform_id="bench-plan", as_of=None, page_size_requested=1000, page_token=""
        )
        assert total == len(rows) == 30
        current_caller.set(Caller("bench-purge", Role.PLATFORM, "test"))
        report = await service.execute_purge(platform_id="bench-purge", limit=0)
        assert (report.purged, report.failed) == (4, 0) and not any((root / "purge").iterdir())
        current_caller.set(Caller("bench-tier", Role.SERVICE, "test"))
        updated = await service.set_room_tier(
            platform_id="bench-tier", room_id=_KEY_ROOM, key=True, changed_at=None, request_id=""
        )
    finally:
        db.close()
    total, exact, rounded = _check_extended(url, _KEY_ROOM)
    assert updated == total == exact + rounded == 7


def test_risk_rules_with_a_synthesized_lexicon_find_its_terms() -> None:
    terms = synthesize_terms(200)
    assert len(set(terms)) == 200
    rules = with_lexicon(RiskRules.default(), terms)
    engine = RiskEngine(rules)  # validates the rules
    requests, planted = make_segments(rules, terms, 2)
    found = sum(
        1
        for request in requests
        for signal in engine.assess(Segment(request.transcript, tuple(request.comments))).signals
        if signal.rule_id == LEXICON_ID
    )
    assert planted > 0 and found >= planted
    pattern = regex_baseline(rules)
    assert pattern.search(f"xx {terms[0]} yy") is not None
