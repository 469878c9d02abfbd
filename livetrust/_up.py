"""``livetrust up``: the whole suite on one machine, on SQLite, until Ctrl-C or SIGTERM."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from livetrust.runtime import SERVICES, ServiceConfig, migrate, service_address

from ._parts import PARTS, load_part

__all__ = ["dev_environment", "run_up"]

_START_TIMEOUT_SECONDS = 60.0
# Secrets a development suite needs; generated once per data dir, never committed.
_DEV_SECRETS = {
    "LIVETRUST_CALLER_SECRET": 32,
    "LIVETRUST_CONSORTIUM_KEY": 32,
    "LIVETRUST_IDENTITY_ENCRYPTION_KEY": 32,
}


def dev_environment(data_dir: Path, base: Mapping[str, str]) -> dict[str, str]:
    """The environment of a local suite: SQLite under ``data_dir``, dev secrets in files there."""
    env = dict(base)
    env["LIVETRUST_DATA_DIR"] = str(data_dir)
    secret_dir = data_dir / "secrets"
    secret_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    for name, size in _DEV_SECRETS.items():
        if env.get(name) or env.get(f"{name}_FILE"):
            continue
        path = secret_dir / name.lower()
        if not path.exists():
            path.touch(mode=0o600)
            path.write_text(secrets.token_hex(size))
        env[f"{name}_FILE"] = str(path)
    return env


async def _wait_serving(gateway: str, names: list[str], children: dict[str, subprocess.Popen[bytes]]) -> None:
    deadline = time.monotonic() + _START_TIMEOUT_SECONDS
    async with grpc.aio.insecure_channel(gateway) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        pending = list(names)
        while pending:
            dead = [name for name, child in children.items() if child.poll() is not None]
            if dead:
                raise RuntimeError(f"{', '.join(dead)} exited during start-up (see its log above)")
            if time.monotonic() > deadline:
                raise RuntimeError(f"not SERVING after {_START_TIMEOUT_SECONDS:.0f}s: {', '.join(pending)}")
            try:
                reply = await stub.Check(health_pb2.HealthCheckRequest(service=pending[0]), timeout=1.0)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    pending.pop(0)
                    continue
            except grpc.aio.AioRpcError:
                pass
            await asyncio.sleep(0.2)


def _stop_all(children: dict[str, subprocess.Popen[bytes]], grace: float) -> None:
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace + 2
    for child in children.values():
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def run_up(data_dir: Path) -> int:
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    env = dev_environment(data_dir, os.environ)
    for name in PARTS:  # SQLite: the suite migrates its own files
        config = ServiceConfig.from_env(name, env)
        assert config.database_url is not None
        migrate(load_part(name).migrations_dir, config.database_url)

    stop = False

    def request_stop(*_: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    # Children start before any gRPC object exists here (gRPC does not survive fork).
    children = {
        name: subprocess.Popen([sys.executable, "-m", "livetrust", "serve", name], env=env)
        for name in (*SERVICES, "gateway")
    }
    gateway = service_address("gateway", env)
    grace = ServiceConfig.from_env("gateway", env).grace_seconds
    from livetrust.gateway._services import BACKEND_SERVICES, GATEWAY_SERVICE

    names = ["", GATEWAY_SERVICE, *(svc for svcs in BACKEND_SERVICES.values() for svc in svcs)]
    try:
        asyncio.run(_wait_serving(gateway, names, children))
    except (RuntimeError, KeyboardInterrupt) as exc:
        print(f"livetrust: start-up failed: {exc}", file=sys.stderr)
        _stop_all(children, grace)
        return 1
    print(f"livetrust is up: gateway at {gateway} (data in {data_dir}); Ctrl-C stops it", flush=True)
    while not stop:
        exited = [name for name, child in children.items() if child.poll() is not None]
        if exited:
            print(f"livetrust: {', '.join(exited)} exited; stopping", file=sys.stderr)
            _stop_all(children, grace)
            return 1
        time.sleep(0.2)
    print("livetrust: stopping", flush=True)
    _stop_all(children, grace)
    return 0
