"""The credit service: explainable credit scores, entitlements, public status, room tiers."""

from ._app import MIGRATIONS_DIR, SERVICE_NAMES, build_service

__all__ = ["MIGRATIONS_DIR", "SERVICE_NAMES", "build_service"]
