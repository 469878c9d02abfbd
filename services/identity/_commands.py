"""Maintenance commands of the identity service (``livetrust identity ...``)."""

from __future__ import annotations

from pathlib import Path

from livetrust.clock import SystemClock
from livetrust.runtime import Database, ServiceConfig

from ._age import local_date
from ._app import MIGRATIONS_DIR, build_identity_service
from ._crypto import Digester
from ._registry import import_registry
from ._service import IdentitySettings

__all__ = ["import_registry_command", "rotate_key_command"]


def _database(config: ServiceConfig) -> Database:
    assert config.database_url is not None
    return Database(config.database_url, migrations_dir=MIGRATIONS_DIR, pool_size=1)


def import_registry_command(config: ServiceConfig, csv_path: Path) -> str:
    """Load known persons into the local registry; safe to run beside a running service."""
    db = _database(config)
    try:
        now = SystemClock().now()
        today = local_date(now, IdentitySettings.from_env(config.env).default_timezone)
        report = import_registry(db, Digester.from_env(config.env), csv_path, today=today, now=now)
    finally:
        db.close()
    rejected = ", ".join(map(str, report.rejected_lines)) or "none"
    return f"imported {report.imported} person(s); rejected lines: {rejected}"


def rotate_key_command(config: ServiceConfig) -> str:
    """Re-encrypt every stored name and number under the active key (resumable, batch by batch)."""
    db = _database(config)
    try:
        changed = build_identity_service(config, db).rotate_keys()
    finally:
        db.close()
    return f"re-encrypted {changed} row(s) under the active key"
