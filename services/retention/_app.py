"""The retention service wired into the shared server."""

from __future__ import annotations

from pathlib import Path

import grpc

from livetrust.runtime import Database, ServiceConfig, ServiceDefinition, database_service

from .v1 import retention_pb2, retention_pb2_grpc

__all__ = ["MIGRATIONS_DIR", "SERVICE_NAMES", "build_service"]

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SERVICE_NAMES = tuple(s.full_name for s in retention_pb2.DESCRIPTOR.services_by_name.values())


def build_service(config: ServiceConfig) -> ServiceDefinition:
    def register(server: grpc.aio.Server, db: Database) -> None:
        retention_pb2_grpc.add_RetentionServiceServicer_to_server(retention_pb2_grpc.RetentionServiceServicer(), server)

    return database_service(config, service_names=SERVICE_NAMES, migrations_dir=MIGRATIONS_DIR, register=register)
