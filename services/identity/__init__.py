"""The identity service: real-name verification, age, guardian consent, broadcast checks."""

from ._app import MIGRATIONS_DIR, SERVICE_NAMES, build_identity_service, build_service

__all__ = ["MIGRATIONS_DIR", "SERVICE_NAMES", "build_identity_service", "build_service"]
