"""After real verifications by a real process: no raw identity number or name in the database, the
logs or the exported spans."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
from pathlib import Path

import grpc
import pytest
import sqlalchemy as sa

from livetrust.common.v1 import common_pb2
from livetrust.identity.v1 import identity_pb2 as pb
from livetrust.identity.v1 import identity_pb2_grpc
from tests.conftest import SignedAsRequestPlatform, free_ports
from tests.identity.test_identity_service import ADULT, ADULT_2, MINOR_17, UNDER_16, person

SECRET_PEOPLE = (ADULT, ADULT_2, MINOR_17, UNDER_16)
IMPOSTOR = ("冒名顶替者", ADULT_2[1])


def _livetrust(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "livetrust", *args], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout + done.stderr


def _database_text(url: str) -> bytes:
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            tables = [r[0] for r in conn.execute(sa.text("SELECT tablename FROM pg_tables WHERE schemaname='public'"))]
            rows = [str(r[0]) for t in tables for r in conn.execute(sa.text(f"SELECT t::text FROM {t} t"))]
    finally:
        engine.dispose()
    assert any("verifications" in t for t in tables)
    return "\n".join(rows).encode()


async def test_no_personal_data_in_database_logs_or_spans(database_url: str, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    (port,) = free_ports(1)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIVETRUST_", "OTEL_"))}
    env.update(
        LIVETRUST_DATA_DIR=str(data_dir),
        LIVETRUST_IDENTITY_ADDR=f"127.0.0.1:{port}",
        LIVETRUST_IDENTITY_DATABASE_URL=database_url,
        LIVETRUST_CONSORTIUM_KEY="ab" * 32,
        LIVETRUST_IDENTITY_ENCRYPTION_KEY="cd" * 32,
        LIVETRUST_CALLER_SECRET="ef" * 32,
        LIVETRUST_LOG_LEVEL="DEBUG",
        OTEL_TRACES_EXPORTER="console",
        OTEL_METRICS_EXPORTER="console",
        OTEL_METRIC_EXPORT_INTERVAL="500",
    )
    registry = tmp_path / "registry.csv"
    with registry.open("w", newline="") as handle:
        csv.writer(handle).writerows([("name", "id_number"), *SECRET_PEOPLE])
    outputs = [
        _livetrust("migrate", "identity", env=env),
        _livetrust("identity", "import-registry", str(registry), env=env),
    ]

    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "livetrust", "serve", "identity"], env=env, stdout=log, stderr=log
        )
    try:
        from tests.conftest import wait_serving

        await wait_serving(f"127.0.0.1:{port}", "livetrust.identity.v1.IdentityService", within=20)
        signed = SignedAsRequestPlatform(("ef" * 32).encode())
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}", interceptors=[signed]) as channel:
            stub = identity_pb2_grpc.IdentityServiceStub(channel)
            for i, who in enumerate((*SECRET_PEOPLE, IMPOSTOR)):
                await stub.VerifyIdentity(
                    pb.VerifyIdentityRequest(
                        platform_id="plat-a",
                        account_id=f"acct-{i}",
                        role=common_pb2.SUBJECT_ROLE_LIVE_MARKETER,
                        person=person(who),
                    )
                )
            await stub.RequestGuardianConsent(
                pb.RequestGuardianConsentRequest(
                    platform_id="plat-a",
                    account_id="acct-2",
                    guardian=person(ADULT),
                    relationship=pb.GUARDIAN_RELATIONSHIP_PARENT,
                )
            )
            with pytest.raises(grpc.aio.AioRpcError):  # a bad request: its number must not be echoed either
                await stub.VerifyIdentity(
                    pb.VerifyIdentityRequest(
                        platform_id="plat-a",
                        account_id="acct-x",
                        role=common_pb2.SUBJECT_ROLE_LIVE_MARKETER,
                        person=common_pb2.Person(
                            name=ADULT[0], id_type=common_pb2.ID_TYPE_RESIDENT_ID, id_number=ADULT[1][:-1] + "0"
                        ),
                    )
                )
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=20) == 0

    logs = log_path.read_text() + "".join(outputs)
    assert "VerifyIdentity" in logs and '"trace_id"' in logs, "spans and trace-stamped logs were exported"
    stored = _database_text(database_url)
    assert stored, "the database was read"
    for name, number in (*SECRET_PEOPLE, IMPOSTOR):
        for secret in (name, number, number[:-1] + "0"):
            assert secret not in logs, "personal data in logs or spans"
            assert secret.encode() not in stored, "personal data stored in clear"
