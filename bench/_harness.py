"""What every benchmark shares: result rows, settings, scratch databases, servers started on port 0 (in
this process or in a spawned one), and a multi-process gRPC load generator.

Rules this module keeps (project guide, ``../shared/GRPC-NOTES.md``):

- every figure is reported with a baseline measured in the same run, because these 2-core machines are
  noisy; timings never decide a test;
- the load generator must not be the bottleneck, so calls come from several processes, each running one
  asyncio loop with many concurrent callers on one channel;
- processes are started with ``spawn`` only, never ``fork``, because gRPC objects may already exist here.

Worker processes import this module to find their entry points, so its top level imports the standard
library only; gRPC, numpy, SQLAlchemy and livetrust are imported where they are used.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import multiprocessing
import os
import secrets
import time
import traceback
import uuid
from array import array
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

__all__ = [
    "HEALTH_CHECK",
    "Context",
    "LoadGenerator",
    "LoadResult",
    "LoadSpec",
    "Result",
    "ServerProcess",
    "Settings",
    "Target",
    "best_rates",
    "caller_metadata",
    "health_request",
    "in_subprocess",
    "rss_bytes",
    "serve_in_process",
    "service_env",
    "wait_serving",
]

SPAWN = multiprocessing.get_context("spawn")

#: The baseline of every gRPC figure: the bare health check on the same server, in the same run.
HEALTH_CHECK = "/grpc.health.v1.Health/Check"

_ROUND_TRIP_TIMEOUT = 60.0


# --- result rows ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Target:
    """A goal for a figure: ``value`` (or the ``ratio`` to the baseline) ``op`` ``threshold``."""

    op: str
    threshold: float
    on: str = "value"
    source: str = "issue"
    """Where the goal comes from: ``issue`` (the performance issue) or ``config`` (a configured limit)."""

    def met(self, value: float | None, ratio: float | None) -> bool | None:
        observed = ratio if self.on == "ratio" else value
        if observed is None or math.isnan(observed):
            return None
        return {
            ">=": observed >= self.threshold,
            ">": observed > self.threshold,
            "<=": observed <= self.threshold,
            "<": observed < self.threshold,
        }[self.op]

    def describe(self, unit: str) -> str:
        if self.on == "ratio":
            text = f"ratio {self.op} {self.threshold:.2f}"
        else:
            text = f"{self.op} {format_value(self.threshold, unit)}"
        return text if self.source == "issue" else f"{text} ({self.source})"


@dataclass(slots=True)
class Result:
    """One row of the table (and of the JSON file)."""

    bench: str
    figure: str
    value: float | None
    unit: str
    size: str = ""
    target: Target | None = None
    baseline: str = ""
    baseline_value: float | None = None
    baseline_unit: str = ""
    """Defaults to ``unit``."""
    detail: str = ""
    error: str = ""

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.baseline_value:
            return None
        return self.value / self.baseline_value

    @property
    def met(self) -> bool | None:
        if self.error:
            return False if self.target is not None else None
        return None if self.target is None else self.target.met(self.value, self.ratio)

    def as_dict(self) -> dict[str, Any]:
        return {
            "bench": self.bench,
            "figure": self.figure,
            "size": self.size,
            "value": self.value,
            "unit": self.unit,
            "target": self.target.describe(self.unit) if self.target else "",
            "target_op": self.target.op if self.target else None,
            "target_threshold": self.target.threshold if self.target else None,
            "target_on": self.target.on if self.target else None,
            "met": self.met,
            "baseline": self.baseline,
            "baseline_value": self.baseline_value,
            "baseline_unit": self.baseline_unit or self.unit,
            "ratio": self.ratio,
            "detail": self.detail,
            "error": self.error,
        }


def format_value(value: float | None, unit: str) -> str:
    """``value`` with its unit, rounded for a table: bytes as MB, rates with k/M, times in s or ms."""
    if value is None or math.isnan(value):
        return "n/a"
    if unit == "B":
        return f"{value / 1e6:,.1f} MB"
    if unit == "ms":
        return f"{value:.2f} ms"
    if unit == "MB/s":
        return f"{value:,.2f} MB/s"
    if unit == "s":
        return f"{value:.2f} s" if value < 100 else f"{value:,.0f} s"
    if unit.endswith("/s"):
        if value >= 1e6:
            return f"{value / 1e6:.2f}M {unit}"
        if value >= 1e4:
            return f"{value / 1e3:.1f}k {unit}"
        return f"{value:,.0f} {unit}"
    return f"{value:,.4g} {unit}".strip()


def count_label(n: int) -> str:
    """10,000,000 -> "10M", 1,500 -> "1.5k"."""
    for scale, suffix in ((1_000_000, "M"), (1_000, "k")):
        if n >= scale:
            return f"{n / scale:g}{suffix}"
    return str(n)


# --- settings and context -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Settings:
    """How big and how long; ``--quick`` scales everything down to a few minutes in total."""

    quick: bool = False
    workers: int = field(default_factory=lambda: max(2, min(4, os.cpu_count() or 2)))
    """Load generator processes (each one asyncio loop): 2 on this 2-core machine, up to 4 elsewhere."""
    duration: float = 5.0
    """Measured seconds per load run."""
    warmup: float = 1.0
    """Seconds of calls before each measured window (connections, caches)."""
    rounds: int = 2
    """Baseline and figure runs alternate this many times; the best of each counts."""
    inproc_seconds: float = 1.0
    """Seconds per in-process measurement (per round)."""
    entries: int = 10_000_000
    persons: int = 10_000
    history: int = 1_000_000
    """Credit: events behind the long-history account whose GetCreditScore is timed."""
    accounts: int = 1_000_000
    """Credit: accounts re-scored when a new model is published."""
    artifacts: int = 1_000_000
    """Retention: due artifacts PlanPurge streams."""
    purge_files: int = 5_000
    """Retention: real files ExecutePurge deletes."""
    room_artifacts: int = 100_000
    """Retention: artifacts of the room SetRoomTier makes KEY."""
    lexicon_terms: int = 10_000
    """Risk: synthesized terms added to the default rules."""
    concurrency: tuple[int, ...] = (1, 32)
    postgres: str | None = None
    """Admin URL of a PostgreSQL server: benchmarks then run there (fresh databases, dropped after)."""
    server_log_level: str = "INFO"

    @classmethod
    def full(cls, **overrides: Any) -> Settings:
        return cls(**overrides)

    @classmethod
    def quick_run(cls, **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "quick": True,
            "duration": 0.8,
            "warmup": 0.25,
            "rounds": 2,
            "inproc_seconds": 0.3,
            "entries": 1_000_000,
            "history": 20_000,
            "accounts": 5_000,
            "artifacts": 50_000,
            "purge_files": 1_000,
            "room_artifacts": 10_000,
        }
        values.update(overrides)
        return cls(**values)

    def size(self, text: str) -> str:
        return f"{text} (quick)" if self.quick else text


class Context:
    """One run: settings, a scratch directory, databases, a shared load generator, and clean-up."""

    def __init__(
        self, settings: Settings, stack: contextlib.ExitStack, scratch: Path, log: Callable[[str], None]
    ) -> None:
        self.settings = settings
        self.stack = stack
        self.scratch = scratch
        self.log = log
        self._load: LoadGenerator | None = None
        self._secrets = {
            "LIVETRUST_CALLER_SECRET": secrets.token_hex(32),
            "LIVETRUST_CONSORTIUM_KEY": secrets.token_hex(32),
            "LIVETRUST_IDENTITY_ENCRYPTION_KEY": secrets.token_hex(32),
        }

    @property
    def dialect(self) -> str:
        return "postgresql" if self.settings.postgres else "sqlite"

    def env(self, **extra: str) -> dict[str, str]:
        """A complete service environment: port 0, throwaway secrets shared by the whole run."""
        env = service_env(self.scratch, log_level=self.settings.server_log_level)
        env.update(self._secrets)
        env.update(extra)
        return env

    def database(self, part: str) -> str:
        """A fresh database for ``part`` at its Alembic head (SQLite file here, or a new PostgreSQL one)."""
        from livetrust._parts import load_part
        from livetrust.runtime import migrate

        if self.settings.postgres:
            url = self.stack.enter_context(_postgres_database(self.settings.postgres, part))
        else:
            # Another benchmark of the run may have used ``part`` already: fresh means a file of its own.
            path, copies = self.scratch / f"{part}.db", 1
            while path.exists():
                copies += 1
                path = self.scratch / f"{part}-{copies}.db"
            url = f"sqlite:///{path}"
        migrations = load_part(part).migrations_dir
        assert migrations is not None
        migrate(migrations, url)
        return url

    def load_generator(self) -> LoadGenerator:
        """The run's load generator, started on first use (its worker processes are reused)."""
        if self._load is None:
            self._load = self.stack.enter_context(LoadGenerator(self.settings.workers))
        return self._load

    def server(self, part: str, env: dict[str, str], *, ready_within: float = 900.0) -> ServerProcess:
        log = self.scratch / f"{part}-server-{uuid.uuid4().hex[:6]}.log"
        return ServerProcess(part, env, log_path=log, ready_within=ready_within)


@contextlib.contextmanager
def _postgres_database(admin_url: str, part: str) -> Iterator[str]:
    import psycopg

    name = f"lt_bench_{part}_{uuid.uuid4().hex[:10]}"
    admin = admin_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{admin.rsplit('/', 1)[0]}/{name}".replace("postgresql://", "postgresql+psycopg://", 1)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def service_env(scratch: Path, *, log_level: str = "INFO", **extra: str) -> dict[str, str]:
    """Like the tests' environment: port 0, throwaway secrets; readiness as in production."""
    env = {
        "LIVETRUST_DATA_DIR": str(scratch / "data"),
        "LIVETRUST_LISTEN_ADDR": "127.0.0.1:0",
        "LIVETRUST_READINESS_INTERVAL_SECONDS": "2",
        "LIVETRUST_GRACE_SECONDS": "2",
        "LIVETRUST_CALLER_SECRET": secrets.token_hex(32),
        "LIVETRUST_CONSORTIUM_KEY": secrets.token_hex(32),
        "LIVETRUST_IDENTITY_ENCRYPTION_KEY": secrets.token_hex(32),
        "LIVETRUST_LOG_FORMAT": "json",
        "LIVETRUST_LOG_LEVEL": log_level,
        # As deployed unless the run says otherwise (LIVETRUST_EVENT_LOOP=asyncio to compare loops).
        "LIVETRUST_EVENT_LOOP": os.environ.get("LIVETRUST_EVENT_LOOP", "uvloop"),
    }
    env.update(extra)
    return env


def caller_metadata(env: dict[str, str], platform_id: str = "bench", role: str = "PLATFORM") -> tuple[tuple[str, str]]:
    """Gateway-signed caller metadata (valid for two hours), as every call through the gateway carries."""
    from datetime import UTC, datetime, timedelta

    from livetrust.runtime import CALLER_METADATA_KEY, Caller, Role, sign_caller

    secret = env["LIVETRUST_CALLER_SECRET"].encode()
    caller = Caller(platform_id, Role(role), f"bench-{platform_id}")
    token = sign_caller(caller, secret, now=datetime.now(UTC), ttl=timedelta(hours=2))
    return ((CALLER_METADATA_KEY, token),)


def health_request() -> bytes:
    from grpc_health.v1 import health_pb2

    return health_pb2.HealthCheckRequest(service="").SerializeToString()


# --- measuring in-process ---------------------------------------------------------------------------


def best_rates(contenders: Sequence[tuple[str, Callable[[], float]]], rounds: int) -> dict[str, float]:
    """Run each ``measure()`` (returning a rate) ``rounds`` times, alternating, and keep each best.

    Alternating spreads slow moments of a noisy machine over all contenders instead of one of them.
    """
    best: dict[str, float] = {}
    for _ in range(max(1, rounds)):
        for name, measure in contenders:
            best[name] = max(best.get(name, 0.0), measure())
    return best


def rate_of(step: Callable[[], int], seconds: float) -> float:
    """Items per second of ``step()`` (which returns how many items it did), run for ``seconds``."""
    done = 0
    started = time.perf_counter()
    while True:
        done += step()
        elapsed = time.perf_counter() - started
        if elapsed >= seconds:
            return done / elapsed


async def async_rate_of(step: Callable[[], Any], seconds: float) -> float:
    """Calls per second of the coroutine function ``step``, awaited one after another for ``seconds``."""
    done = 0
    started = time.perf_counter()
    while True:
        await step()
        done += 1
        elapsed = time.perf_counter() - started
        if elapsed >= seconds:
            return done / elapsed


def rss_bytes(kind: str = "VmRSS", pid: int | str = "self") -> int | None:
    """Resident set size (``VmRSS``) or its peak (``VmHWM``) of a process, from /proc; None elsewhere."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(kind + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def reset_peak_rss() -> bool:
    """Make ``VmHWM`` start again from the current RSS (Linux ``clear_refs``); False if not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU seconds of a process so far (all its threads), from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def in_subprocess(fn: Callable[..., Any], *args: Any, timeout: float = 1800.0) -> Any:
    """``fn(*args)`` in a fresh spawned process (a cold interpreter, like a new replica); its result."""
    with ProcessPoolExecutor(max_workers=1, mp_context=SPAWN) as pool:
        return pool.submit(fn, *args).result(timeout=timeout)


# --- servers ------------------------------------------------------------------------------------------


async def wait_serving(address: str, service: str = "", within: float = 30.0) -> None:
    """Return once the server's health says SERVING for ``service``."""
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    async with grpc.aio.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while True:
            try:
                reply = await stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=1.0)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.aio.AioRpcError:
                pass
            if loop.time() > deadline:
                raise TimeoutError(f"{address} {service!r} not SERVING after {within}s")
            await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def serve_in_process(part: str, env: dict[str, str], *, within: float = 60.0, **kwargs: Any) -> Any:
    """A server for ``part`` in this process's event loop, SERVING; yields ``(server, "127.0.0.1:port")``."""
    from livetrust._parts import load_part
    from livetrust.runtime import ServiceConfig, create_server

    config = ServiceConfig.from_env(part, env)
    definition = load_part(part).build(config)
    server, port = create_server(config, definition, **kwargs)
    await server.start()
    try:
        address = f"127.0.0.1:{port}"
        await wait_serving(address, definition.service_names[0] if definition.service_names else "", within)
        yield server, address
    finally:
        await server.stop(grace=1.0)


class ServerProcess:
    """A service server in a spawned process on port 0, as ``livetrust serve`` runs it: JSON logs at the
    configured level (written to ``log_path``), health following readiness. Use as a context manager;
    entering returns once it reports SERVING (the blacklist only after loading its index)."""

    def __init__(self, part: str, env: dict[str, str], *, log_path: Path, ready_within: float = 900.0) -> None:
        self.part = part
        self.env = dict(env)
        self.log_path = log_path
        self.ready_within = ready_within
        self.address = ""
        self.pid = 0
        self.ready_seconds = 0.0
        """Wall time from process start to SERVING (imports, index load, ...)."""
        self._process: Any = None
        self._conn: Connection | None = None

    def __enter__(self) -> ServerProcess:
        parent, child = SPAWN.Pipe()
        started = time.perf_counter()
        self._process = SPAWN.Process(
            target=_server_main,
            args=(self.part, self.env, str(self.log_path), child, self.ready_within),
            name=f"bench-{self.part}-server",
            daemon=True,
        )
        self._process.start()
        child.close()
        self._conn = parent
        self.pid = self._process.pid
        if not parent.poll(self.ready_within + 30):
            self.__exit__(None, None, None)
            raise TimeoutError(f"{self.part} server did not report within {self.ready_within}s; see {self.log_path}")
        try:
            message = parent.recv()
        except EOFError:
            message = ("error", "the server process died; see " + str(self.log_path))
        if message[0] != "ready":
            self.__exit__(None, None, None)
            raise RuntimeError(f"{self.part} server failed to start:\n{message[1]}")
        self.address = f"127.0.0.1:{message[1]}"
        self.ready_seconds = time.perf_counter() - started
        return self

    def __exit__(self, *exc: object) -> None:
        if self._conn is not None:
            with contextlib.suppress(OSError, EOFError, BrokenPipeError):
                self._conn.send("stop")
            self._conn.close()
            self._conn = None
        if self._process is not None:
            self._process.join(15)
            if self._process.is_alive():
                self._process.terminate()
                self._process.join(5)
            self._process = None

    def cpu_seconds(self) -> float | None:
        return cpu_seconds(self.pid)

    def rss_bytes(self) -> int | None:
        return rss_bytes("VmRSS", self.pid)

    def log_offset(self) -> int:
        try:
            return self.log_path.stat().st_size
        except OSError:
            return 0

    def rpc_durations(self, method: str, since: int = 0) -> list[float]:
        """Server-side milliseconds of each ``method`` call logged after byte ``since`` of the log (the
        interceptor's one JSON line per call: handler time, without gRPC transport; INFO level only)."""
        import json

        durations = []
        with self.log_path.open("rb") as log:
            log.seek(since)
            for line in log:
                if b'"rpc"' in line and method.encode() in line:
                    with contextlib.suppress(ValueError):
                        record = json.loads(line)
                        if record.get("rpc.method") == method and "duration_ms" in record:
                            durations.append(float(record["duration_ms"]))
        return durations


def _server_main(part: str, env: dict[str, str], log_path: str, conn: Connection, ready_within: float) -> None:
    # Logs go to a file, as a container's stderr goes to its log collector: same cost, clean terminal.
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 2)
    os.close(fd)
    try:
        from livetrust.runtime import configure_logging

        configure_logging(part, env)
        from livetrust.runtime import ServiceConfig, run_event_loop

        event_loop = ServiceConfig.from_env(part, env).event_loop
        run_event_loop(_serve_until_told(part, env, conn, ready_within), event_loop=event_loop)
    except Exception:
        with contextlib.suppress(OSError):
            conn.send(("error", traceback.format_exc()))
        raise


async def _serve_until_told(part: str, env: dict[str, str], conn: Connection, ready_within: float) -> None:
    from livetrust._parts import load_part
    from livetrust.runtime import ServiceConfig, create_server

    config = ServiceConfig.from_env(part, env)
    definition = load_part(part).build(config)
    server, port = create_server(config, definition)
    await server.start()
    try:
        service = definition.service_names[0] if definition.service_names else ""
        await wait_serving(f"127.0.0.1:{port}", service, within=ready_within)
        conn.send(("ready", port))
        loop = asyncio.get_running_loop()
        with contextlib.suppress(EOFError, OSError):
            await loop.run_in_executor(None, conn.recv)
    finally:
        await server.stop(grace=1.0)


# --- load generator -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LoadSpec:
    """Who to call with what: ``requests`` are serialized messages, cycled; each worker gets a disjoint
    share of them (``requests[i::workers]``), and each caller a disjoint share of its worker's."""

    target: str
    method: str
    requests: Sequence[bytes]
    concurrency: int = 1
    """Total concurrent callers, spread over the workers (concurrency 1 uses one worker)."""
    duration: float = 2.0
    warmup: float = 0.5
    metadata: tuple[tuple[str, str], ...] = ()
    timeout: float = 10.0
    options: tuple[tuple[str, Any], ...] = ()
    distinct: bool = False
    """The requests must not repeat (each changes state): a result says so if some caller ran out."""
    calls_per_second_per_caller: float | None = None
    """Paced (open-loop) callers: each starts a call on a fixed schedule at this rate (callers staggered)
    and a latency counts from the scheduled start, so a caller that falls behind is charged for the wait
    (no coordinated omission). None: each caller calls again as soon as its last call ends."""


@dataclass(slots=True)
class LoadResult:
    calls: int
    """Successful calls completed inside the measured window, all workers together."""
    errors: int
    seconds: float
    qps: float
    p50_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    workers: int
    concurrency: int
    error_codes: dict[str, int] = field(default_factory=dict)
    client_cpu: float = 0.0
    """CPU cores the load generator used during the window (sum over its processes)."""
    server_cpu: float | None = None
    """CPU cores the server process used during the window, when known."""
    server_p50_ms: float | None = None
    server_p99_ms: float | None = None
    """Handler time inside the server (from its log), every call of the run; None if not logged."""
    reused_requests: bool = False
    """True if some caller ran out of distinct requests and started over."""

    def summary(self) -> str:
        parts = [f"p50 {self.p50_ms:.2f} ms", f"p99 {self.p99_ms:.2f} ms"]
        if self.server_p50_ms is not None and self.server_p99_ms is not None:
            parts.append(f"in handler p50 {self.server_p50_ms:.2f} p99 {self.server_p99_ms:.2f} ms")
        if self.server_cpu is not None:
            parts.append(f"server cpu {self.server_cpu:.0%}")
        parts.append(f"client cpu {self.client_cpu:.0%} ({self.workers}x{math.ceil(self.concurrency / self.workers)})")
        if self.errors:
            parts.append("errors " + ",".join(f"{k}:{v}" for k, v in sorted(self.error_codes.items())))
        if self.reused_requests:
            parts.append("requests reused")
        return ", ".join(parts)


class LoadGenerator:
    """``workers`` spawned processes, kept for the whole run, each running one asyncio loop per job with
    its share of the concurrent callers on one channel. Latencies of every worker are merged."""

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ValueError("at least one worker")
        self.workers = workers
        self._processes: list[Any] = []
        self._conns: list[Connection] = []

    def __enter__(self) -> LoadGenerator:
        for i in range(self.workers):
            parent, child = SPAWN.Pipe()
            process = SPAWN.Process(target=_worker_main, args=(child,), name=f"bench-load-{i}", daemon=True)
            process.start()
            child.close()
            self._processes.append(process)
            self._conns.append(parent)
        return self

    def __exit__(self, *exc: object) -> None:
        for conn in self._conns:
            with contextlib.suppress(OSError, BrokenPipeError):
                conn.send(None)
            conn.close()
        for process in self._processes:
            process.join(10)
            if process.is_alive():
                process.terminate()
                process.join(5)
        self._conns.clear()
        self._processes.clear()

    def run(self, spec: LoadSpec, *, server: ServerProcess | None = None) -> LoadResult:
        """One load run; with ``server`` (a :class:`ServerProcess`), its CPU use and logged handler times."""
        import numpy as np

        if not self._conns:
            raise RuntimeError("start the load generator first (use it as a context manager)")
        if spec.concurrency < 1 or not spec.requests:
            raise ValueError("need at least one caller and one request")
        active = min(self.workers, spec.concurrency)
        shares = [spec.concurrency // active + (1 if i < spec.concurrency % active else 0) for i in range(active)]
        conns = self._conns[:active]
        for i, conn in enumerate(conns):
            share = list(spec.requests[i::active]) or list(spec.requests)
            conn.send(
                {
                    "target": spec.target,
                    "method": spec.method,
                    "requests": share,
                    "callers": shares[i],
                    "duration": spec.duration,
                    "warmup": spec.warmup,
                    "metadata": spec.metadata,
                    "timeout": spec.timeout,
                    "options": spec.options,
                    "pace": spec.calls_per_second_per_caller,
                    "stagger": (sum(shares[:i]), spec.concurrency),
                }
            )
        for conn in conns:
            reply = self._receive(conn, _ROUND_TRIP_TIMEOUT)
            if reply[0] != "ready":
                raise RuntimeError(f"load worker failed: {reply[1]}")
        log_offset = server.log_offset() if server is not None else 0
        for conn in conns:
            conn.send("go")
        server_cpu = None
        if server is not None:
            time.sleep(spec.warmup)
            before = server.cpu_seconds()
            started = time.perf_counter()
            time.sleep(spec.duration)
            after = server.cpu_seconds()
            if before is not None and after is not None:
                server_cpu = (after - before) / (time.perf_counter() - started)
        reports = [
            self._receive(conn, spec.warmup + spec.duration + spec.timeout + _ROUND_TRIP_TIMEOUT) for conn in conns
        ]
        failures = [r[1] for r in reports if r[0] != "done"]
        if failures:
            raise RuntimeError("load worker failed: " + failures[0])
        latencies = np.concatenate([np.frombuffer(r[1]["latencies"], dtype=np.float64) for r in reports])
        codes: Counter[str] = Counter()
        for r in reports:
            codes.update(r[1]["errors"])
        handler = server.rpc_durations(spec.method, log_offset) if server is not None else []
        server_p50 = server_p99 = None
        if handler:
            server_p50, server_p99 = (float(x) for x in np.percentile(handler, [50, 99]))
        calls = int(latencies.size)
        if calls:
            p50, p99 = (float(x) * 1000 for x in np.percentile(latencies, [50, 99]))
            mean, worst = float(latencies.mean()) * 1000, float(latencies.max()) * 1000
        else:
            p50 = p99 = mean = worst = math.nan
        return LoadResult(
            calls=calls,
            errors=sum(codes.values()),
            seconds=spec.duration,
            qps=calls / spec.duration,
            p50_ms=p50,
            p99_ms=p99,
            mean_ms=mean,
            max_ms=worst,
            workers=active,
            concurrency=spec.concurrency,
            error_codes=dict(codes),
            client_cpu=sum(r[1]["cpu"] for r in reports) / spec.duration,
            server_cpu=server_cpu,
            server_p50_ms=server_p50,
            server_p99_ms=server_p99,
            reused_requests=spec.distinct and any(r[1]["reused"] for r in reports),
        )

    @staticmethod
    def _receive(conn: Connection, timeout: float) -> Any:
        if not conn.poll(timeout):
            raise TimeoutError(f"no word from a load worker within {timeout:.0f}s")
        return conn.recv()


def _worker_main(conn: Connection) -> None:
    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        if job is None:
            return
        try:
            report = asyncio.run(_worker_job(job, conn))
        except Exception:
            conn.send(("failed", traceback.format_exc()))
            continue
        conn.send(("done", report))


async def _worker_job(job: dict[str, Any], conn: Connection) -> dict[str, Any]:
    import grpc

    loop = asyncio.get_running_loop()
    requests: list[bytes] = job["requests"]
    callers: int = job["callers"]
    metadata = job["metadata"] or None
    timeout: float = job["timeout"]
    latencies = array("d")
    errors: Counter[str] = Counter()
    reused = False
    async with grpc.aio.insecure_channel(job["target"], options=list(job["options"])) as channel:
        await asyncio.wait_for(channel.channel_ready(), 30)
        call = channel.unary_unary(job["method"])  # no (de)serializers: bytes in, bytes out
        conn.send(("ready",))
        await loop.run_in_executor(None, conn.recv)  # "go": every worker starts together
        window_start = time.perf_counter() + job["warmup"]
        window_end = window_start + job["duration"]
        cpu: dict[str, float] = {}

        pace: float | None = job["pace"]
        first_caller, all_callers = job["stagger"]
        go = time.perf_counter()

        async def caller(first: int) -> None:
            nonlocal reused
            i, n = first, len(requests)
            if pace:  # spread the callers' schedules over one interval
                period = 1.0 / pace
                scheduled = go + period * (first_caller + first) / all_callers
            while True:
                if pace:
                    await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
                    started, scheduled = scheduled, scheduled + period
                else:
                    started = time.perf_counter()
                if started >= window_end:
                    return
                if i >= n:
                    reused = True
                request = requests[i % n]
                i += callers
                try:
                    await call(request, metadata=metadata, timeout=timeout)
                except grpc.aio.AioRpcError as exc:
                    if window_start <= time.perf_counter() <= window_end:
                        errors[exc.code().name] += 1
                    continue
                finished = time.perf_counter()
                if window_start <= finished <= window_end:
                    latencies.append(finished - started)

        async def cpu_meter() -> None:
            await asyncio.sleep(max(0.0, window_start - time.perf_counter()))
            cpu["start"] = time.process_time()
            await asyncio.sleep(max(0.0, window_end - time.perf_counter()))
            cpu["end"] = time.process_time()

        await asyncio.gather(cpu_meter(), *(caller(k) for k in range(callers)))
    return {
        "latencies": latencies.tobytes(),
        "errors": dict(errors),
        "cpu": cpu.get("end", 0.0) - cpu.get("start", 0.0),
        "reused": reused,
    }


def best_loads(
    generator: LoadGenerator,
    specs: dict[str, Callable[[int], LoadSpec]],
    rounds: int,
    *,
    server: ServerProcess | None = None,
) -> dict[str, LoadResult]:
    """Run each load (``spec(round)`` builds it) ``rounds`` times, alternating, and keep each one's
    best-QPS run. On a shared 2-core machine a neighbour's burst slows one run; alternating and keeping
    the best spreads that over the baseline and the figure alike."""
    best: dict[str, LoadResult] = {}
    for round_no in range(max(1, rounds)):
        for name, spec in specs.items():
            result = generator.run(spec(round_no), server=server)
            if name not in best or result.qps > best[name].qps:
                best[name] = result
    return best


def grpc_rows(
    bench: str,
    figure: str,
    subject: LoadResult,
    health: LoadResult,
    size: str,
    *,
    qps_target: Target | None = None,
    p99_target: Target | None = None,
) -> list[Result]:
    """A QPS row (ratio to the health check's QPS on the same server) and, with a target, a p99 row."""
    rows = [
        Result(
            bench,
            f"{figure} QPS",
            subject.qps,
            "calls/s",
            size,
            target=qps_target,
            baseline=f"health check c={health.concurrency}",
            baseline_value=health.qps,
            detail=subject.summary() + f"; health p50 {health.p50_ms:.2f} p99 {health.p99_ms:.2f} ms",
            error=_load_error(subject),
        )
    ]
    if p99_target is not None:
        rows.append(
            Result(
                bench,
                f"{figure} p99 latency",
                subject.p99_ms,
                "ms",
                size,
                target=p99_target,
                baseline=f"health check p99 c={health.concurrency}",
                baseline_value=health.p99_ms,
                detail=f"p50 {subject.p50_ms:.2f} ms, max {subject.max_ms:.2f} ms over {subject.calls:,} calls",
                error=_load_error(subject),
            )
        )
    return rows


def _load_error(result: LoadResult) -> str:
    if result.calls == 0:
        return "no call succeeded"
    if result.errors:
        return f"{result.errors} failed calls: {result.error_codes}"
    if result.reused_requests:
        return "ran out of distinct requests (repeats take the idempotent path)"
    return ""
