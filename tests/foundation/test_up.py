"""``livetrust up`` end to end: real processes, real sockets, SIGTERM exits 0."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from tests.conftest import free_ports

ALL_SERVICES = (
    "livetrust.identity.v1.IdentityService",
    "livetrust.blacklist.v1.BlacklistService",
    "livetrust.credit.v1.CreditService",
    "livetrust.retention.v1.RetentionService",
    "livetrust.gateway.v1.ComplianceGateway",
)


@pytest.fixture
def suite(tmp_path: Path):
    ports = free_ports(5)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIVETRUST_", "OTEL_"))}
    for name, port in zip(("gateway", "identity", "blacklist", "credit", "retention"), ports, strict=True):
        env[f"LIVETRUST_{name.upper()}_ADDR"] = f"127.0.0.1:{port}"
    env["LIVETRUST_GRACE_SECONDS"] = "3"
    process = subprocess.Popen(
        [sys.executable, "-m", "livetrust", "up", "--data-dir", str(tmp_path / "data")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # blocks until the suite is up (or it exits)
        assert "livetrust is up" in line, f"unexpected first line: {line!r}"
        yield process, f"127.0.0.1:{ports[0]}", tmp_path / "data"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_up_serves_everything_through_the_gateway_and_stops_on_sigterm(suite) -> None:
    process, gateway, data_dir = suite
    with grpc.insecure_channel(gateway) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        for name in ("", *ALL_SERVICES):
            reply = health.Check(health_pb2.HealthCheckRequest(service=name), timeout=2)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING, name
        reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
        replies = reflection.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
        listed = {s.name for reply in replies for s in reply.list_services_response.service}
        assert set(ALL_SERVICES) <= listed
    assert {p.name for p in data_dir.glob("*.db")} == {
        f"{s}.db" for s in ("identity", "blacklist", "credit", "retention", "gateway")
    }

    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=15) == 0
    assert time.monotonic() - started < 10
