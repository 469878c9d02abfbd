"""The whole suite as real processes: each part a ``livetrust serve`` subprocess on a fixed port (so it
can be killed and restarted where the others dial it), each with its own database, plus a private
PostgreSQL server that a test may stop and start without touching the machine's shared cluster."""

from __future__ import annotations

import contextlib
import csv
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, timedelta
from pathlib import Path

import grpc
import psycopg
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.conftest import free_ports

PARTS: tuple[str, ...] = ("identity", "blacklist", "credit", "retention", "gateway")
BACKENDS: tuple[str, ...] = PARTS[:4]
#: The readiness name of each part (the overall name "" is liveness).
READINESS: Mapping[str, str] = {
    "identity": "livetrust.identity.v1.IdentityService",
    "blacklist": "livetrust.blacklist.v1.BlacklistService",
    "credit": "livetrust.credit.v1.CreditService",
    "retention": "livetrust.retention.v1.RetentionService",
    "gateway": "livetrust.gateway.v1.ComplianceGateway",
}
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


def make_persons(count: int, seed: int = 11) -> list[tuple[str, str]]:
    """``count`` distinct adults as (name, valid resident ID number)."""
    from livetrust.identity._idnumbers import resident_id_check_character

    rng = random.Random(seed)
    seen: set[str] = set()
    people: list[tuple[str, str]] = []
    while len(people) < count:
        birth = date(1960, 1, 1) + timedelta(days=rng.randrange(15_000))
        first17 = f"110105{birth:%Y%m%d}{rng.randrange(1000):03d}"
        if first17 not in seen:
            seen.add(first17)
            people.append(
                (
                    rng.choice("王李张刘陈杨黄赵") + rng.choice("伟芳娜敏静丽强磊"),
                    first17 + resident_id_check_character(first17),
                )
            )
    return people


# --- databases ----------------------------------------------------------------------------------------


def _plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@contextlib.contextmanager
def postgres_databases(admin_url: str, parts: Sequence[str] = PARTS) -> Iterator[dict[str, str]]:
    """A fresh PostgreSQL database per part (``postgresql+psycopg://`` URLs), dropped afterwards."""
    admin = _plain(admin_url)
    names = {part: f"lt_rel_{part}_{uuid.uuid4().hex[:10]}" for part in parts}
    base = admin.rsplit("/", 1)[0]
    created: list[str] = []
    try:
        with psycopg.connect(admin, autocommit=True) as conn:
            for name in names.values():
                conn.execute(f'CREATE DATABASE "{name}"')
                created.append(name)
        yield {
            part: f"{base}/{name}".replace("postgresql://", "postgresql+psycopg://", 1) for part, name in names.items()
        }
    finally:
        with contextlib.suppress(psycopg.OperationalError), psycopg.connect(admin, autocommit=True) as conn:
            for name in created:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sqlite_databases(directory: Path, parts: Sequence[str] = PARTS) -> dict[str, str]:
    directory.mkdir(parents=True, exist_ok=True)
    return {part: f"sqlite:///{directory / part}.db" for part in parts}


def scalar(url: str, sql: str, params: Mapping[str, object] | None = None) -> object:
    """One value read straight from a part's database (SQLAlchemy URL)."""
    from sqlalchemy import create_engine, text

    from livetrust.runtime import normalize_url

    engine = create_engine(normalize_url(url))
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), dict(params or {})).scalar()
    finally:
        engine.dispose()


class PrivatePostgres:
    """A PostgreSQL server of the test's own (initdb into a temporary directory, a free port), run as the
    ``postgres`` OS user when the tests run as root. ``stop()`` and ``start()`` restart it for real."""

    def __init__(self) -> None:
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
        found = shutil.which("pg_ctl")
        pg_ctl = bins[-1] if bins else (Path(found) if found else None)
        if pg_ctl is None:
            raise RuntimeError("no pg_ctl found (PostgreSQL server binaries are not installed)")
        self.bin = pg_ctl.parent
        self.port = free_ports(1)[0]
        self.root = Path(tempfile.mkdtemp(prefix="lt-reliability-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self._as: list[str] = []
        if os.geteuid() == 0:
            runuser = shutil.which("runuser")
            if runuser is None:
                raise RuntimeError("running as root without runuser: cannot run PostgreSQL as another user")
            self._as = [runuser, "-u", "postgres", "--"]
            shutil.chown(self.root, "postgres")
        self.root.chmod(0o700)

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 60) -> None:
        subprocess.run([*self._as, *args], check=True, capture_output=True, timeout=timeout, cwd=self.root)

    def init(self) -> None:
        self._run(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def running(self) -> bool:
        result = subprocess.run(
            [*self._as, str(self.bin / "pg_ctl"), "-D", str(self.data), "status"], capture_output=True, cwd=self.root
        )
        return result.returncode == 0

    def destroy(self) -> None:
        with contextlib.suppress(Exception):
            if self.running():
                self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


# --- health ---------------------------------------------------------------------------------------------


def health(address: str, service: str = "", timeout: float = 1.0) -> int | None:
    """The health status a server reports for ``service``; None when it does not answer."""
    with grpc.insecure_channel(address) as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=service), timeout=timeout
            )
        except grpc.RpcError:
            return None
    return reply.status


def wait_health(address: str, service: str, want: int, within: float) -> float:
    """Seconds until ``address`` reports ``want`` for ``service``; TimeoutError after ``within``."""
    started = time.monotonic()
    while True:
        if health(address, service) == want:
            return time.monotonic() - started
        if time.monotonic() - started > within:
            name = health_pb2.HealthCheckResponse.ServingStatus.Name(want)
            raise TimeoutError(f"{address} {service!r} not {name} after {within}s")
        time.sleep(0.05)


# --- the suite --------------------------------------------------------------------------------------------


class Cluster:
    """The five parts as ``livetrust serve`` processes. ``prepare()`` migrates, imports the persons and
    creates API keys; ``start_all()`` starts everything and waits for SERVING."""

    def __init__(self, workdir: Path, urls: Mapping[str, str], **extra_env: str) -> None:
        self.workdir = workdir
        self.urls = dict(urls)
        self.addresses = {part: f"127.0.0.1:{port}" for part, port in zip(PARTS, free_ports(len(PARTS)), strict=True)}
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LIVETRUST_", "OTEL_"))}
        env.update(
            {
                "LIVETRUST_DATA_DIR": str(workdir / "data"),
                "LIVETRUST_CALLER_SECRET": secrets.token_hex(32),
                "LIVETRUST_CONSORTIUM_KEY": secrets.token_hex(32),
                "LIVETRUST_IDENTITY_ENCRYPTION_KEY": secrets.token_hex(32),
                "LIVETRUST_RETENTION_STORAGE_ROOT": str(workdir / "content"),
                "LIVETRUST_READINESS_INTERVAL_SECONDS": "0.5",
                "LIVETRUST_GRACE_SECONDS": "10",
                "LIVETRUST_OUTBOX_INTERVAL_SECONDS": "0.2",
                "LIVETRUST_OUTBOX_MAX_BACKOFF_SECONDS": "2",
                "LIVETRUST_GATEWAY_CALL_TIMEOUT_SECONDS": "10",
                "LIVETRUST_CREDIT_CALL_TIMEOUT_SECONDS": "5",
                "LIVETRUST_LOG_FORMAT": "json",
                "LIVETRUST_LOG_LEVEL": "INFO",
            }
        )
        for part in PARTS:
            env[f"LIVETRUST_{part.upper()}_ADDR"] = self.addresses[part]
            env[f"LIVETRUST_{part.upper()}_DATABASE_URL"] = self.urls[part]
        env.update(extra_env)
        self.env = env
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.logs: dict[str, Path] = {}

    # setup

    def prepare(self, persons: Sequence[tuple[str, str]]) -> None:
        from livetrust._parts import load_part
        from livetrust.clock import SystemClock
        from livetrust.identity._crypto import Digester
        from livetrust.identity._registry import import_registry
        from livetrust.runtime import Database, migrate

        for part in PARTS:
            migrations = load_part(part).migrations_dir
            assert migrations is not None
            migrate(migrations, self.urls[part])
        registry = self.workdir / "registry.csv"
        with registry.open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows([("name", "id_number"), *persons])
        db = Database(self.urls["identity"], migrations_dir=load_part("identity").migrations_dir, pool_size=1)
        try:
            report = import_registry(
                db, Digester.from_env(self.env), registry, today=date.today(), now=SystemClock().now()
            )
        finally:
            db.close()
        assert report.imported == len(persons), report

    def key(self, platform: str, role: str = "PLATFORM", *, rate: float = 100_000, burst: int = 100_000) -> str:
        """A new API key in the gateway's store; returns the bearer token."""
        from livetrust._parts import load_part
        from livetrust.clock import SystemClock
        from livetrust.gateway._keys import create_key
        from livetrust.runtime import Database

        db = Database(self.urls["gateway"], migrations_dir=load_part("gateway").migrations_dir, pool_size=1)
        try:
            _, token = create_key(
                db, platform_id=platform, role=role, now=SystemClock().now(), rate_per_second=rate, burst=burst
            )
        finally:
            db.close()
        return token

    # processes

    def start(self, part: str) -> None:
        """Start ``part`` (again) on its address; returns at once (see :meth:`wait_ready`)."""
        assert part not in self.processes or self.processes[part].poll() is not None, f"{part} is running"
        log = self.workdir / f"{part}.log"
        self.logs[part] = log
        with log.open("ab") as out:
            self.processes[part] = subprocess.Popen(
                [sys.executable, "-m", "livetrust", "serve", part],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.workdir,
            )

    def wait_ready(self, part: str, within: float = 60.0) -> float:
        """Seconds until ``part`` reports SERVING on its readiness name (and, for a backend, until the
        gateway mirrors that)."""
        started = time.monotonic()
        deadline = started + within
        while health(self.addresses[part], READINESS[part]) != SERVING:
            process = self.processes.get(part)
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"{part} exited with {process.returncode}; log:\n{self.tail(part)}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{part} not SERVING after {within}s; log:\n{self.tail(part)}")
            time.sleep(0.05)
        if part != "gateway" and "gateway" in self.processes and self.processes["gateway"].poll() is None:
            wait_health(self.addresses["gateway"], READINESS[part], SERVING, max(1.0, deadline - time.monotonic()))
        return time.monotonic() - started

    def start_all(self, within: float = 180.0) -> None:
        for part in PARTS:
            self.start(part)
        for part in PARTS:
            self.wait_ready(part, within)

    def pid(self, part: str) -> int:
        return self.processes[part].pid

    def alive(self, part: str) -> bool:
        return part in self.processes and self.processes[part].poll() is None

    def kill(self, part: str) -> None:
        """kill -9: no clean-up, no goodbye to clients or the database."""
        process = self.processes[part]
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)

    def terminate(self, part: str) -> None:
        os.kill(self.processes[part].pid, signal.SIGTERM)

    def wait_exit(self, part: str, timeout: float) -> int:
        return self.processes[part].wait(timeout)

    def tail(self, part: str, lines: int = 30) -> str:
        log = self.logs.get(part)
        if log is None or not log.exists():
            return ""
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])

    def close(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
