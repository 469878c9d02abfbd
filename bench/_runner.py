"""``python -m bench``: run the benchmarks and print one table of figures against in-run baselines."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import sys
import tempfile
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ._harness import Context, Result, Settings, format_value

__all__ = ["BENCHMARKS", "main", "render_table"]

#: Benchmark modules (``bench.<name>``), each with ``run(ctx) -> list[Result]``, in running order.
BENCHMARKS: tuple[str, ...] = ("identity", "blacklist", "credit", "retention", "gateway", "risk")

_COLUMNS = ("bench", "figure", "size", "value", "target", "met", "baseline", "ratio", "detail")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmarks of livetrust. Every figure is printed with a baseline measured in the same run "
        "(ratio = value / baseline): compare ratios between runs, not raw values, on noisy machines.",
    )
    parser.add_argument("--quick", action="store_true", help="scaled-down sizes and short loads (a few minutes)")
    parser.add_argument("--json", metavar="FILE", type=Path, help="also write the results (a list of dicts) here")
    parser.add_argument("--only", nargs="+", metavar="NAME", choices=BENCHMARKS, help="run only these benchmarks")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="admin URL of a PostgreSQL server (e.g. postgresql://postgres@127.0.0.1:5432/postgres): benchmarks "
        "use fresh databases there, dropped afterwards, instead of SQLite",
    )
    parser.add_argument("--workers", type=int, help="load generator processes (default: 2-4 by CPU count)")
    parser.add_argument("--entries", type=int, help="blacklist entries (default 10,000,000; 1,000,000 with --quick)")
    parser.add_argument("--persons", type=int, help="identity registry size (default 10,000)")
    parser.add_argument(
        "--history", type=int, help="credit: events of the long-history account (default 1,000,000; 20,000 quick)"
    )
    parser.add_argument(
        "--accounts", type=int, help="credit: accounts re-scored by a new model (default 1,000,000; 5,000 quick)"
    )
    parser.add_argument(
        "--artifacts", type=int, help="retention: artifacts PlanPurge streams (default 1,000,000; 50,000 quick)"
    )
    parser.add_argument(
        "--purge-files", type=int, help="retention: files ExecutePurge deletes (default 5,000; 1,000 quick)"
    )
    parser.add_argument(
        "--room-artifacts", type=int, help="retention: artifacts of the room made KEY (default 100,000; 10,000 quick)"
    )
    parser.add_argument("--lexicon-terms", type=int, help="risk: synthesized lexicon terms (default 10,000)")
    parser.add_argument("--duration", type=float, help="measured seconds per gRPC load run")
    parser.add_argument("--warmup", type=float, help="unmeasured seconds before each gRPC load run")
    parser.add_argument("--rounds", type=int, help="alternating rounds of baseline and figure (best counts)")
    parser.add_argument("--inproc-seconds", type=float, help="seconds per in-process measurement")
    parser.add_argument(
        "--server-log-level", default="INFO", help="log level of the servers under load (default INFO, as deployed)"
    )
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {"postgres": args.postgres, "server_log_level": args.server_log_level.upper()}
    names = (
        "workers",
        "entries",
        "persons",
        "history",
        "accounts",
        "artifacts",
        "purge_files",
        "room_artifacts",
        "lexicon_terms",
        "duration",
        "warmup",
        "rounds",
        "inproc_seconds",
    )
    for name in names:
        value = getattr(args, name)
        if value is not None:
            overrides[name] = value
    return Settings.quick_run(**overrides) if args.quick else Settings.full(**overrides)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks; 0 when every benchmark ran (missed targets do not fail), 1 if one crashed."""
    args = _parser().parse_args(argv)
    settings = _settings(args)
    selected = args.only or list(BENCHMARKS)
    started_at = datetime.now(UTC)
    started = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f}s] {message}", file=sys.stderr, flush=True)

    results: list[Result] = []
    crashed = False
    with contextlib.ExitStack() as stack:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="livetrust-bench-")))
        ctx = Context(settings, stack, scratch, log)
        for name in dict.fromkeys(selected):
            module = importlib.import_module(f"{__package__}.{name}")
            try:
                results += module.run(ctx)
            except Exception as exc:
                crashed = True
                traceback.print_exc()
                results.append(Result(name, "benchmark crashed", None, "", error=f"{type(exc).__name__}: {exc}"))
    elapsed = time.perf_counter() - started
    print(render_table(results, settings, elapsed))
    if args.json is not None:
        meta = {
            "started_at": started_at.isoformat(),
            "quick": settings.quick,
            "database": "postgresql" if settings.postgres else "sqlite",
            "cpus": os.cpu_count(),
            "workers": settings.workers,
        }
        rows = [{**result.as_dict(), **meta} for result in results]
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
        log(f"results written to {args.json}")
    return 1 if crashed else 0


def _cells(result: Result) -> list[str]:
    baseline = ""
    if result.baseline:
        baseline = f"{result.baseline}: {format_value(result.baseline_value, result.baseline_unit or result.unit)}"
    ratio = result.ratio
    met = result.met
    detail = f"ERROR: {result.error}; {result.detail}" if result.error else result.detail
    return [
        result.bench,
        result.figure,
        result.size,
        format_value(result.value, result.unit) if result.value is not None else "n/a",
        result.target.describe(result.unit) if result.target else "",
        "" if met is None else "yes" if met else "NO",
        baseline,
        "" if ratio is None else f"{ratio:.2f}x",
        detail.rstrip("; "),
    ]


def render_table(results: list[Result], settings: Settings, elapsed: float) -> str:
    """One plain-text table of every result, with a title line saying how it was run."""
    rows = [list(_COLUMNS), *(_cells(r) for r in results)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS) - 1)]

    def line(row: list[str]) -> str:
        return "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[-1]

    mode = "quick (sizes scaled down)" if settings.quick else "full"
    database = "PostgreSQL" if settings.postgres else "SQLite"
    title = (
        f"livetrust benchmarks: {mode}, {database}, {os.cpu_count()} CPUs, {settings.workers} load processes, "
        f"{settings.duration:g}s loads x{settings.rounds} rounds (best kept), {elapsed:.0f}s in total"
    )
    legend = (
        "ratio = value / baseline, both measured in this run; 'met' checks the value (or the ratio) against the target"
    )
    rule = "-" * min(160, max(len(line(row)) for row in rows))
    return "\n".join([title, legend, rule, line(rows[0]), rule, *(line(row) for row in rows[1:]), rule])
