"""The benchmark harness works at tiny sizes and produces well-formed rows.

Structure only: no assertion here looks at a timing, a rate or whether a target was met (timings never
decide a test). ``python -m bench`` is where the numbers are.
"""

from __future__ import annotations

import asyncio
import json
import math
from pathlib import Path

import pytest

from bench._harness import (
    HEALTH_CHECK,
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


def test_quick_run_at_tiny_sizes_writes_well_formed_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bench.json"
    code = main(
        [
            "--quick",
            "--entries",
            "1000",
            "--persons",
            "200",
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
            "--json",
            str(out),
        ]
    )
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
    expected = {
        ("identity", "ValidateIdNumber in-process"),
        ("identity", "VerifyIdentity in-process, sequential"),
        ("identity", "ValidateIdNumber gRPC c=32 QPS"),
        ("identity", "VerifyIdentity gRPC c=32 QPS"),
        ("blacklist", "ListedIndex.contains_many, batches of 1,000"),
        ("blacklist", "index memory (ListedIndex.memory_bytes)"),
        ("blacklist", "new replica: ListedIndexFollower.load()"),
        ("blacklist", "GetFilter build (first call, in-process)"),
        ("blacklist", "GetFilter filter size"),
        ("blacklist", "Lookup (1 digest) gRPC c=1 QPS"),
        ("blacklist", "Lookup (1 digest) gRPC c=1 p99 latency"),
        ("blacklist", "Lookup (1 digest) gRPC c=32 QPS"),
    }
    assert expected <= figures, expected - figures
    table = capsys.readouterr().out
    assert table.count("\n") >= len(rows) + 4
    assert all(figure in table for _, figure in expected)
