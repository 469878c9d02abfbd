"""The replica's bulk read of listed keys, on SQLite (driver cursor) and PostgreSQL (binary COPY)."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import numpy as np
import pytest

from livetrust.blacklist import MIGRATIONS_DIR
from livetrust.blacklist import _storage as store
from livetrust.blacklist._index import digest_key
from livetrust.runtime import Database
from tests.conftest import migrated

NOW = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)


def _entry(entry_id: str) -> store.EntryRow:
    return store.EntryRow(
        id=entry_id,
        platform_id="plat-a",
        category="SERIOUS_VIOLATION",
        status="ACTIVE",
        reason="r",
        legal_basis="b",
        evidence_refs=[],
        notes=[],
        permanent=True,
        created_at=NOW,
        updated_at=NOW,
    )


@pytest.mark.parametrize("count", [0, 1, 7, 25])
def test_listed_keys_reads_every_listed_key_in_chunks(database_url: str, count: int) -> None:
    db = Database(migrated("blacklist", database_url), migrations_dir=MIGRATIONS_DIR, pool_size=1)
    try:
        listed = [os.urandom(32).hex() for _ in range(count)]
        # The extremes of int64 and a key listed twice (two entries) must come back exactly.
        listed[:2] = ["80" + "00" * 31, "7f" + "ff" * 31][: min(count, 2)]
        unlisted = os.urandom(32).hex()
        with db.session() as session:
            session.add_all([_entry("e-1"), _entry("e-2")])
            session.flush()
            rows = store.subject_rows("e-1", "plat-a", [*listed, unlisted])
            rows += store.subject_rows("e-2", "plat-b", listed[:1])  # another platform lists it too
            for row in rows:
                row.is_listed = row.subject_digest != unlisted
            session.add_all(rows)
        expected = sorted(digest_key(d) for d in [*listed, *listed[:1]])
        for chunk in (1, 3, 262_144):
            keys = db.read_sync(lambda s, c=chunk: store.listed_keys(s, chunk=c))
            assert keys.dtype == np.int64
            assert sorted(keys.tolist()) == expected
    finally:
        db.close()
