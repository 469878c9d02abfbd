"""The cross-platform blacklist: a registry of keyed digests with review, appeals and fast lookup."""

from ._app import MIGRATIONS_DIR, SERVICE_NAMES, build_service

__all__ = ["MIGRATIONS_DIR", "SERVICE_NAMES", "build_service"]
