"""Maintenance commands of the retention service (``livetrust retention ...``)."""

from __future__ import annotations

import asyncio

from livetrust.runtime import Database, ServiceConfig, configure_logging

from ._app import MIGRATIONS_DIR, build_retention_service
from ._service import PurgeReport

__all__ = ["purge_command"]


def purge_command(config: ServiceConfig, *, platform_id: str | None, batch: int = 1000) -> tuple[bool, str]:
    """Purge everything due (all platforms unless one is named), batch by batch, as the CronJob runs it.
    Returns (no failures, a one-line report)."""
    assert config.database_url is not None
    configure_logging("retention", config.env)  # the CronJob's warnings go out as JSON like the service's
    db = Database(config.database_url, migrations_dir=MIGRATIONS_DIR, pool_size=2)

    async def run() -> PurgeReport:
        service = build_retention_service(config, db)
        total = PurgeReport()
        while True:
            report = await service.purge(platform_id=platform_id, limit=batch)
            total = PurgeReport(
                total.purged + report.purged,
                total.bytes_freed + report.bytes_freed,
                total.skipped + report.skipped,
                total.failed + report.failed,
            )
            if report.purged + report.skipped < batch:  # nothing more is due (failures wait for the next run)
                return total

    try:
        total = asyncio.run(run())
    finally:
        db.close()
    line = (
        f"purged {total.purged} artifact(s), {total.bytes_freed} bytes; skipped {total.skipped}; failed {total.failed}"
    )
    return total.failed == 0, line
