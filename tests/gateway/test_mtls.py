"""Mutual TLS between the gateway and a service when certificates are configured."""

from __future__ import annotations

import datetime as dt
import ipaddress
from pathlib import Path

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from livetrust import identity
from livetrust.common.v1 import common_pb2
from livetrust.gateway import build_gateway
from livetrust.identity.v1 import identity_pb2, identity_pb2_grpc
from livetrust.runtime import ServiceConfig
from tests.conftest import bearer, free_port, gateway_key, migrated, running, service_env, wait_serving


def _write_pki(folder: Path) -> dict[str, str]:
    """A CA and one certificate for 127.0.0.1 signed by it (every part shares it in this test)."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "livetrust test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "livetrust")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    files = {
        "LIVETRUST_TLS_CA_FILE": folder / "ca.pem",
        "LIVETRUST_TLS_CERT_FILE": folder / "cert.pem",
        "LIVETRUST_TLS_KEY_FILE": folder / "key.pem",
    }
    files["LIVETRUST_TLS_CA_FILE"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files["LIVETRUST_TLS_CERT_FILE"].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files["LIVETRUST_TLS_KEY_FILE"].write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return {k: str(v) for k, v in files.items()}


async def test_services_require_mutual_tls_and_the_gateway_speaks_it(tmp_path: Path) -> None:
    pki = _write_pki(tmp_path)
    identity_addr = f"127.0.0.1:{free_port()}"
    env = service_env(tmp_path, LIVETRUST_IDENTITY_ADDR=identity_addr, **pki)
    env["LIVETRUST_IDENTITY_DATABASE_URL"] = migrated("identity", f"sqlite:///{tmp_path / 'identity.db'}")
    env["LIVETRUST_GATEWAY_DATABASE_URL"] = f"sqlite:///{tmp_path / 'gateway.db'}"
    key = bearer(gateway_key(env["LIVETRUST_GATEWAY_DATABASE_URL"]))
    request = identity_pb2.ValidateIdNumberRequest(
        id_type=common_pb2.ID_TYPE_RESIDENT_ID, id_number="11010519491231002X"
    )

    identity_config = ServiceConfig.from_env("identity", dict(env, LIVETRUST_LISTEN_ADDR=identity_addr))
    async with running(identity_config, identity.build_service(identity_config)):
        # Plaintext, and TLS without a client certificate, are both refused.
        async with grpc.aio.insecure_channel(identity_addr) as plain:
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await identity_pb2_grpc.IdentityServiceStub(plain).ValidateIdNumber(request, timeout=2)
            assert refused.value.code() is grpc.StatusCode.UNAVAILABLE
        server_only = grpc.ssl_channel_credentials(root_certificates=Path(pki["LIVETRUST_TLS_CA_FILE"]).read_bytes())
        async with grpc.aio.secure_channel(identity_addr, server_only) as anonymous:
            with pytest.raises(grpc.aio.AioRpcError) as no_client_cert:
                await identity_pb2_grpc.IdentityServiceStub(anonymous).ValidateIdNumber(request, timeout=2)
            assert no_client_cert.value.code() is grpc.StatusCode.UNAVAILABLE

        gateway_config = ServiceConfig.from_env("gateway", env)
        definition = build_gateway(
            gateway_config,
            addresses={"identity": identity_addr},
            routes={"livetrust.identity.v1.IdentityService": "identity"},
        )
        async with running(gateway_config, definition) as (_, gateway):
            await wait_serving(gateway, "livetrust.identity.v1.IdentityService")
            async with grpc.aio.insecure_channel(gateway) as channel:
                reply = await identity_pb2_grpc.IdentityServiceStub(channel).ValidateIdNumber(
                    request, metadata=key, timeout=5
                )
                assert reply.valid


async def test_probe_command_speaks_mtls(tmp_path: Path) -> None:
    import asyncio
    import os
    import sys

    pki = _write_pki(tmp_path)
    addr = f"127.0.0.1:{free_port()}"
    env = service_env(tmp_path, LIVETRUST_IDENTITY_ADDR=addr, **pki)
    env["LIVETRUST_IDENTITY_DATABASE_URL"] = migrated("identity", f"sqlite:///{tmp_path / 'identity.db'}")
    config = ServiceConfig.from_env("identity", dict(env, LIVETRUST_LISTEN_ADDR=addr))
    async with running(config, identity.build_service(config)):
        await asyncio.sleep(0.5)

        async def probe(*args: str, tls: bool = True) -> int:
            child_env = {k: v for k, v in os.environ.items() if not k.startswith("LIVETRUST_")}
            if tls:
                child_env.update(pki)
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "livetrust",
                "probe",
                addr,
                *args,
                env=child_env,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
            return await process.wait()

        assert await probe() == 0
        assert await probe("--service", "livetrust.identity.v1.IdentityService") == 0
        assert await probe(tls=False) == 1  # without the certificates the service refuses it
