"""The retention service: policies, key-room extension, legal holds, safe purge."""

from ._app import MIGRATIONS_DIR, SERVICE_NAMES, build_retention_service, build_service

__all__ = ["MIGRATIONS_DIR", "SERVICE_NAMES", "build_retention_service", "build_service"]
