"""The identity service wired into the shared server."""

from __future__ import annotations

from pathlib import Path

import grpc

from livetrust.clock import Clock, SystemClock
from livetrust.runtime import Database, ServiceConfig, ServiceDefinition, database_service

from ._crypto import Digester, Keyring
from ._http_provider import HttpProvider, HttpProviderConfig
from ._providers import VerificationProvider
from ._registry import LocalRegistryProvider
from ._service import IdentityService, IdentitySettings
from ._servicer import IdentityServicer
from .v1 import identity_pb2, identity_pb2_grpc

__all__ = ["MIGRATIONS_DIR", "SERVICE_NAMES", "build_identity_service", "build_service"]

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SERVICE_NAMES = tuple(s.full_name for s in identity_pb2.DESCRIPTOR.services_by_name.values())


def build_identity_service(config: ServiceConfig, db: Database, *, clock: Clock | None = None) -> IdentityService:
    """The use-case layer with its dependencies from ``config`` (the CLI reuses it for maintenance)."""
    digester = Digester.from_env(config.env)
    http = HttpProviderConfig.from_env(config.env)
    provider: VerificationProvider = (
        HttpProvider(http) if http is not None else LocalRegistryProvider(db=db, digester=digester)
    )
    return IdentityService(
        db=db,
        keyring=Keyring.from_env(config.env),
        digester=digester,
        provider=provider,
        clock=clock or SystemClock(),
        settings=IdentitySettings.from_env(config.env),
    )


def build_service(config: ServiceConfig, *, clock: Clock | None = None) -> ServiceDefinition:
    def register(server: grpc.aio.Server, db: Database) -> None:
        servicer = IdentityServicer(build_identity_service(config, db, clock=clock))
        identity_pb2_grpc.add_IdentityServiceServicer_to_server(servicer, server)

    return database_service(config, service_names=SERVICE_NAMES, migrations_dir=MIGRATIONS_DIR, register=register)
