"""VerifyIdentity's paths through the database: a new verification is one read and one write, a repeat
is one read and no write, re-verification updates the one row, and concurrent identical requests end
with one row. In process, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import csv
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from livetrust.clock import FixedClock
from livetrust.identity import MIGRATIONS_DIR, build_identity_service
from livetrust.identity import _storage as store
from livetrust.identity._crypto import Digester, Keyring
from livetrust.identity._eligibility import Eligibility, VerificationStatus
from livetrust.identity._idnumbers import IdType
from livetrust.identity._registry import import_registry
from livetrust.identity._service import GuardianRelationship, IdentityService, Role, VerificationView
from livetrust.runtime import Database, ServiceConfig
from tests.conftest import acting_as, migrated
from tests.identity.test_identity_service import ADULT, ADULT_2, MINOR_17, PEOPLE, SHANGHAI_NOON, resident


@dataclass
class Units:
    reads: int = 0
    writes: int = 0


@dataclass
class Setup:
    service: IdentityService
    db: Database
    clock: FixedClock
    units: Units
    env: dict[str, str]
    registry: Path


def _import(setup: Setup, people: tuple[tuple[str, str], ...]) -> None:
    with setup.registry.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "id_number"])
        writer.writerows(people)
    import_registry(
        setup.db, Digester.from_env(setup.env), setup.registry, today=date(2026, 6, 1), now=setup.clock.now()
    )


@pytest.fixture
async def setup(database_url: str, make_env, tmp_path: Path) -> AsyncIterator[Setup]:
    env = make_env(LIVETRUST_IDENTITY_DATABASE_URL=migrated("identity", database_url))
    db = Database(database_url, migrations_dir=MIGRATIONS_DIR)
    clock = FixedClock(SHANGHAI_NOON)
    units = Units()
    run, read = db.run, db.read

    async def counted_run(fn):  # type: ignore[no-untyped-def]
        units.writes += 1
        return await run(fn)

    async def counted_read(fn):  # type: ignore[no-untyped-def]
        units.reads += 1
        return await read(fn)

    db.run, db.read = counted_run, counted_read  # type: ignore[method-assign]
    service = build_identity_service(ServiceConfig.from_env("identity", env), db, clock=clock)
    result = Setup(service, db, clock, units, env, tmp_path / "registry.csv")
    _import(result, PEOPLE)
    units.reads = units.writes = 0
    with acting_as("plat-a"):
        yield result
    db.close()


async def _verify(setup: Setup, who: tuple[str, str], account: str = "acct-1", **kw: object) -> VerificationView:
    return await setup.service.verify_identity(
        platform_id="plat-a",
        account_id=account,
        role=Role.LIVE_MARKETER,
        name=who[0],
        id_type=IdType.RESIDENT_ID,
        id_number=who[1],
        **kw,  # type: ignore[arg-type]
    )


def _rows(db: Database) -> list[sa.Row]:
    with db.engine.connect() as conn:
        return list(conn.execute(sa.select(store.VerificationRow.__table__)).all())


async def test_new_verification_is_one_read_and_one_write(setup: Setup) -> None:
    view = await _verify(setup, ADULT)
    assert (setup.units.reads, setup.units.writes) == (1, 1)  # the registry is asked within the read
    assert view.status is VerificationStatus.VERIFIED and view.eligibility is Eligibility.ELIGIBLE
    assert view.verified_at == SHANGHAI_NOON and view.reverify_by == datetime(2026, 12, 1, 4, 0, tzinfo=UTC)
    # The answer built from what was inserted is the answer read back.
    fetched = await setup.service.get_verification(platform_id="plat-a", verification_id=view.verification_id)
    assert fetched == view
    [row] = _rows(setup.db)
    keyring = Keyring.from_env(setup.env)
    assert keyring.decrypt(row.key_id, row.name_ciphertext, aad=f"verifications.name:{row.id}".encode()) == ADULT[0]
    assert (
        keyring.decrypt(row.key_id, row.id_number_ciphertext, aad=f"verifications.id_number:{row.id}".encode())
        == ADULT[1]
    )
    assert row.subject_digest == view.subject_digest and row.reasons == []


async def test_repeat_is_answered_by_one_read_without_a_write(setup: Setup) -> None:
    first = await _verify(setup, ADULT)
    setup.units.reads = setup.units.writes = 0
    setup.clock.advance(timedelta(minutes=5))
    again = await _verify(setup, ADULT)
    assert (setup.units.reads, setup.units.writes) == (1, 0)
    assert again == first
    # reverify=True asks the provider again and records the answer on the same row.
    setup.clock.advance(timedelta(minutes=5))
    renewed = await _verify(setup, ADULT, reverify=True)
    assert setup.units.writes == 1
    assert renewed.verification_id == first.verification_id
    assert renewed.verified_at == setup.clock.now() and renewed.created_at == first.created_at
    assert len(_rows(setup.db)) == 1


async def test_rejected_then_known_updates_the_same_row(setup: Setup) -> None:
    stranger = ("周杰", resident(date(1990, 1, 1), "011"))  # not in the registry yet
    rejected = await _verify(setup, stranger)
    assert rejected.status is VerificationStatus.REJECTED
    assert rejected.reasons == ("PROVIDER_NO_MATCH", "PROVIDER_UNKNOWN_PERSON")
    assert rejected.verified_at is None and rejected.reverify_by is None
    _import(setup, (stranger,))
    setup.clock.advance(timedelta(hours=1))
    accepted = await _verify(setup, stranger)  # a rejection is not final: a plain call asks again
    assert accepted.verification_id == rejected.verification_id
    assert accepted.status is VerificationStatus.VERIFIED and accepted.reasons == ()
    assert accepted.created_at == rejected.created_at and accepted.updated_at == setup.clock.now()
    assert len(_rows(setup.db)) == 1


async def test_concurrent_identical_requests_make_one_row(setup: Setup) -> None:
    views = await asyncio.gather(*(_verify(setup, ADULT_2) for _ in range(6)))
    assert len({v.verification_id for v in views}) == 1
    assert all(v.status is VerificationStatus.VERIFIED for v in views)
    assert len(_rows(setup.db)) == 1


async def test_minor_view_reads_its_consents_on_repeat(setup: Setup) -> None:
    first = await _verify(setup, MINOR_17)
    assert first.eligibility is Eligibility.NEEDS_GUARDIAN_CONSENT and first.eligibility_reasons == ("CONSENT_MISSING",)
    consent_id = await _request_consent(setup.service, request_id="")
    assert (await _verify(setup, MINOR_17)).eligibility_reasons == ("CONSENT_PENDING",)
    await setup.service.confirm_guardian_consent(
        platform_id="plat-a", consent_id=consent_id, evidence_ref="ref-1", consent_text_version="v1"
    )
    repeat = await _verify(setup, MINOR_17)
    assert repeat.eligibility is Eligibility.ELIGIBLE and repeat.eligibility_reasons == ("CONSENT_GRANTED",)
    renewed = await _verify(setup, MINOR_17, reverify=True)  # the write path reads the consents too
    assert renewed.eligibility is Eligibility.ELIGIBLE and renewed.eligibility_reasons == ("CONSENT_GRANTED",)


async def test_insert_if_absent_and_update(setup: Setup) -> None:
    view = await _verify(setup, ADULT)
    [row] = _rows(setup.db)
    values = dict(row._mapping, id=store.new_id())
    with setup.db.session() as session:
        assert not store.insert_verification(session.connection(), values)  # same person, same account
        assert store.insert_verification(session.connection(), dict(values, account_id="acct-2"))
        updated = store.update_verification(
            session.connection(),
            platform_id="plat-a",
            account_id="acct-1",
            person_digest=row.person_digest,
            values={"status": "NEEDS_REVIEW"},
        )
    assert updated is not None and updated.id == view.verification_id and updated.status == "NEEDS_REVIEW"
    assert len(_rows(setup.db)) == 2


async def _request_consent(service: IdentityService, request_id: str) -> str:
    view = await service.request_guardian_consent(
        platform_id="plat-a",
        account_id="acct-1",
        guardian_name=ADULT[0],
        guardian_id_type=IdType.RESIDENT_ID,
        guardian_id_number=ADULT[1],
        relationship=GuardianRelationship.PARENT,
        request_id=request_id,
    )
    return view.consent_id


def _consent_rows(db: Database) -> int:
    with db.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(store.ConsentRow.__table__)).scalar_one()


async def test_consent_requests_racing_on_two_replicas_make_one_consent(setup: Setup) -> None:
    await _verify(setup, MINOR_17)
    replica = build_identity_service(ServiceConfig.from_env("identity", setup.env), setup.db, clock=setup.clock)
    ids = await asyncio.gather(*(_request_consent(s, "consent-req-r") for s in (setup.service, replica) * 3))
    assert len(set(ids)) == 1 and _consent_rows(setup.db) == 1


async def test_a_duplicate_request_id_insert_is_answered_with_the_first(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second request looks before the first commits (another replica): its insert hits the unique
    constraint, and it answers with the first consent."""
    await _verify(setup, MINOR_17)
    find = store.find_consent_by_request
    lookups = 0

    def unseen_at_first(session, **kw):  # type: ignore[no-untyped-def]
        nonlocal lookups
        lookups += 1
        return None if lookups <= 4 else find(session, **kw)  # both requests' look and save miss it

    monkeypatch.setattr(store, "find_consent_by_request", unseen_at_first)
    first = await _request_consent(setup.service, "consent-req-d")
    second = await _request_consent(setup.service, "consent-req-d")
    assert second == first and lookups == 5 and _consent_rows(setup.db) == 1
