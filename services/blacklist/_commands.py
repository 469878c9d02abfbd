"""Maintenance commands of the blacklist (``livetrust blacklist ...``)."""

from __future__ import annotations

from livetrust.runtime import Database, ServiceConfig, verify_audit

from . import _storage as store
from ._app import MIGRATIONS_DIR

__all__ = ["verify_audit_command"]


def verify_audit_command(config: ServiceConfig) -> tuple[bool, str]:
    """Walk the audit chain in the database; (intact, a one-line report)."""
    assert config.database_url is not None
    db = Database(config.database_url, migrations_dir=MIGRATIONS_DIR, pool_size=1)
    try:
        verdict = db.run_sync(lambda session: verify_audit(session, store.AUDIT))
    finally:
        db.close()
    if verdict.intact:
        return True, f"audit log intact: {verdict.checked} record(s) verified"
    return False, f"audit log BROKEN at record {verdict.first_broken_seq}: {verdict.problem}"
