"""The credit service wired into the shared server."""

from __future__ import annotations

from pathlib import Path

import grpc

from livetrust.runtime import Database, ServiceConfig, ServiceDefinition, database_service

from .v1 import credit_pb2, credit_pb2_grpc

__all__ = ["MIGRATIONS_DIR", "SERVICE_NAMES", "build_service"]

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SERVICE_NAMES = tuple(s.full_name for s in credit_pb2.DESCRIPTOR.services_by_name.values())


def build_service(config: ServiceConfig) -> ServiceDefinition:
    def register(server: grpc.aio.Server, db: Database) -> None:
        credit_pb2_grpc.add_CreditServiceServicer_to_server(credit_pb2_grpc.CreditServiceServicer(), server)

    return database_service(config, service_names=SERVICE_NAMES, migrations_dir=MIGRATIONS_DIR, register=register)
