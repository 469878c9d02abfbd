"""Field encryption, keyed digests and key rotation."""

from __future__ import annotations

import secrets

import pytest
import sqlalchemy as sa
from cryptography.exceptions import InvalidTag

from livetrust.clock import FixedClock
from livetrust.identity import MIGRATIONS_DIR, build_identity_service
from livetrust.identity._crypto import Digester, Keyring
from livetrust.identity._idnumbers import IdType
from livetrust.identity._service import Role
from livetrust.runtime import Database, ServiceConfig
from tests.conftest import acting_as, migrated
from tests.identity.test_identity_service import ADULT, MINOR_17, SHANGHAI_NOON


def test_ciphertext_is_bound_to_its_row_and_column() -> None:
    ring = Keyring({"k1": secrets.token_bytes(32)}, "k1")
    key_id, blob = ring.encrypt("张伟", aad=b"verifications.name:row-1")
    assert ring.decrypt(key_id, blob, aad=b"verifications.name:row-1") == "张伟"
    with pytest.raises(InvalidTag):
        ring.decrypt(key_id, blob, aad=b"verifications.name:row-2")
    assert "张伟".encode() not in blob


def test_keyring_from_env_lists_and_single_key() -> None:
    ring = Keyring.from_env({"LIVETRUST_IDENTITY_ENCRYPTION_KEYS": f"old={'11' * 32},new={'22' * 32}"})
    assert ring.active_key_id == "new"
    pinned = Keyring.from_env(
        {
            "LIVETRUST_IDENTITY_ENCRYPTION_KEYS": f"old={'11' * 32}\nnew={'22' * 32}",
            "LIVETRUST_IDENTITY_ACTIVE_KEY_ID": "old",
        }
    )
    assert pinned.active_key_id == "old"
    with pytest.raises(ValueError, match="16, 24 or 32 bytes"):
        Keyring.from_env({"LIVETRUST_IDENTITY_ENCRYPTION_KEY": "abcd"})
    with pytest.raises(ValueError, match="no encryption key"):
        Keyring.from_env({})


def test_digests_are_keyed_and_stable() -> None:
    a, b = Digester(b"k" * 32), Digester(b"j" * 32)
    assert a.subject_digest(ADULT[1]) == a.subject_digest(ADULT[1])
    assert a.subject_digest(ADULT[1]) != b.subject_digest(ADULT[1])
    assert len(a.subject_digest(ADULT[1])) == 64
    # Full-width forms and spacing of a name do not make another person.
    assert a.name_digest("Zhang  San") == a.name_digest("Ｚｈａｎｇ San")


async def test_rotate_key_reencrypts_every_row(database_url: str, make_env) -> None:
    old, new = "11" * 32, "22" * 32
    env = make_env(
        LIVETRUST_IDENTITY_DATABASE_URL=migrated("identity", database_url),
        LIVETRUST_IDENTITY_ENCRYPTION_KEYS=f"old={old}",
    )
    config = ServiceConfig.from_env("identity", env)
    db = Database(database_url, migrations_dir=MIGRATIONS_DIR)
    clock = FixedClock(SHANGHAI_NOON)
    service = build_identity_service(config, db, clock=clock)
    with acting_as("p"):
        for i, who in enumerate((ADULT, MINOR_17)):
            await service.verify_identity(
                platform_id="p",
                account_id=f"a{i}",
                role=Role.LIVE_MARKETER,
                name=who[0],
                id_type=IdType.RESIDENT_ID,
                id_number=who[1],
            )
    rotated_env = dict(env, LIVETRUST_IDENTITY_ENCRYPTION_KEYS=f"old={old},new={new}")
    rotated = build_identity_service(ServiceConfig.from_env("identity", rotated_env), db, clock=clock)
    assert rotated.rotate_keys(batch_size=1) == 2
    assert rotated.rotate_keys() == 0  # idempotent
    with db.engine.connect() as conn:
        assert set(conn.execute(sa.text("SELECT key_id FROM verifications")).scalars()) == {"new"}
    # Readable with only the new key: the old one can be retired.
    only_new = Keyring({"new": bytes.fromhex(new)}, "new")
    with db.engine.connect() as conn:
        row_id, blob = conn.execute(sa.text("SELECT id, name_ciphertext FROM verifications LIMIT 1")).one()
    assert only_new.decrypt("new", bytes(blob), aad=f"verifications.name:{row_id}".encode()) in {ADULT[0], MINOR_17[0]}
    db.close()
