"""The retention service wired into the shared server."""

from __future__ import annotations

from pathlib import Path

import grpc

from livetrust.clock import Clock, SystemClock
from livetrust.runtime import Database, ServiceConfig, ServiceDefinition, database_service

from ._service import DEFAULT_PURGE_BATCH, RetentionService
from ._servicer import RetentionServicer
from ._storage_adapters import AdapterRegistry
from .v1 import retention_pb2, retention_pb2_grpc

__all__ = ["MIGRATIONS_DIR", "SERVICE_NAMES", "build_retention_service", "build_service"]

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SERVICE_NAMES = tuple(s.full_name for s in retention_pb2.DESCRIPTOR.services_by_name.values())


def build_retention_service(
    config: ServiceConfig,
    db: Database,
    *,
    clock: Clock | None = None,
    adapters: AdapterRegistry | None = None,
    purge_batch: int | None = None,
) -> RetentionService:
    """The use-case layer with its dependencies from ``config`` (the purge command reuses it).
    ``LIVETRUST_RETENTION_PURGE_BATCH`` sets how many artifacts each purge transaction handles."""
    return RetentionService(
        db=db,
        clock=clock or SystemClock(),
        adapters=adapters or AdapterRegistry.from_env(config.env),
        purge_batch=purge_batch or int(config.env.get("LIVETRUST_RETENTION_PURGE_BATCH", DEFAULT_PURGE_BATCH)),
    )


def build_service(
    config: ServiceConfig, *, clock: Clock | None = None, adapters: AdapterRegistry | None = None
) -> ServiceDefinition:
    def register(server: grpc.aio.Server, db: Database) -> None:
        service = build_retention_service(config, db, clock=clock, adapters=adapters)
        retention_pb2_grpc.add_RetentionServiceServicer_to_server(RetentionServicer(service), server)

    return database_service(config, service_names=SERVICE_NAMES, migrations_dir=MIGRATIONS_DIR, register=register)
