"""The retention service wired into the shared server."""

from __future__ import annotations

from pathlib import Path

import grpc

from livetrust.clock import Clock, SystemClock
from livetrust.runtime import Database, ServiceConfig, ServiceDefinition, database_service

from ._service import RetentionService
from ._servicer import RetentionServicer
from ._storage_adapters import AdapterRegistry
from .v1 import retention_pb2, retention_pb2_grpc

__all__ = ["MIGRATIONS_DIR", "SERVICE_NAMES", "build_retention_service", "build_service"]

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SERVICE_NAMES = tuple(s.full_name for s in retention_pb2.DESCRIPTOR.services_by_name.values())


def build_retention_service(
    config: ServiceConfig, db: Database, *, clock: Clock | None = None, adapters: AdapterRegistry | None = None
) -> RetentionService:
    """The use-case layer with its dependencies from ``config`` (the purge command reuses it)."""
    return RetentionService(
        db=db, clock=clock or SystemClock(), adapters=adapters or AdapterRegistry.from_env(config.env)
    )


def build_service(
    config: ServiceConfig, *, clock: Clock | None = None, adapters: AdapterRegistry | None = None
) -> ServiceDefinition:
    def register(server: grpc.aio.Server, db: Database) -> None:
        service = build_retention_service(config, db, clock=clock, adapters=adapters)
        retention_pb2_grpc.add_RetentionServiceServicer_to_server(RetentionServicer(service), server)

    return database_service(config, service_names=SERVICE_NAMES, migrations_dir=MIGRATIONS_DIR, register=register)
