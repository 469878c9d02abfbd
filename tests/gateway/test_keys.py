"""The API key store on SQLite and PostgreSQL: concurrent changes each move the store's version."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

from livetrust.clock import SystemClock
from livetrust.gateway import MIGRATIONS_DIR
from livetrust.gateway._keys import KeyStoreVersion, create_key, revoke_key
from livetrust.runtime import Database
from tests.conftest import migrated


def _version(db: Database) -> int:
    return db.run_sync(lambda s: s.scalar(sa.select(KeyStoreVersion.version).where(KeyStoreVersion.id == 1)) or 0)


def test_concurrent_key_changes_each_move_the_version(database_url: str) -> None:
    """Replicas reload the keys only when the version moves: a change whose move is lost to a concurrent
    one (both writing version + 1) leaves a replica that loaded in between serving a revoked key."""
    db = Database(migrated("gateway", database_url), migrations_dir=MIGRATIONS_DIR, pool_size=8)
    try:
        now = SystemClock().now()
        keys = [create_key(db, platform_id="plat-a", role="PLATFORM", now=now)[0] for _ in range(2)]
        for _ in range(3):
            before = _version(db)
            with ThreadPoolExecutor(8) as pool:
                created = [
                    pool.submit(create_key, db, platform_id="plat-a", role="PLATFORM", now=now) for _ in range(8)
                ]
                for future in created:
                    keys.append(future.result()[0])
            assert _version(db) == before + 8
            before = _version(db)
            to_revoke = [k for k in keys if k.revoked_at is None][:8]
            with ThreadPoolExecutor(8) as pool:
                for future in [pool.submit(revoke_key, db, key_id=k.key_id, now=now) for k in to_revoke]:
                    future.result()
            assert _version(db) == before + len(to_revoke)
            keys = [k for k in keys if k not in to_revoke]
    finally:
        db.close()
