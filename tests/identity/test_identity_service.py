"""The identity service over real gRPC sockets, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import csv
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import grpc
import pytest
import sqlalchemy as sa
from google.protobuf import timestamp_pb2
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from livetrust.clock import FixedClock
from livetrust.common.v1 import common_pb2
from livetrust.identity import build_service
from livetrust.identity._crypto import Digester
from livetrust.identity._idnumbers import resident_id_check_character
from livetrust.identity._registry import LocalRegistryProvider, import_registry
from livetrust.identity.v1 import identity_pb2 as pb
from livetrust.identity.v1 import identity_pb2_grpc
from livetrust.runtime import Database, ServiceConfig
from tests.conftest import SignedAsRequestPlatform, bad_request, migrated, running, wait_serving
from tests.identity.test_http_provider import API_KEY, KNOWN_ID, KNOWN_NAME, simulator  # noqa: F401

SHANGHAI_NOON = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)  # 12:00 in Asia/Shanghai


def resident(birth: date, sequence: str = "001", area: str = "110105") -> str:
    first17 = f"{area}{birth:%Y%m%d}{sequence}"
    return first17 + resident_id_check_character(first17)


ADULT = ("张伟", resident(date(1990, 3, 7)))
ADULT_2 = ("王芳", resident(date(1985, 11, 20), "002"))
MINOR_17 = ("李娜", resident(date(2009, 9, 1), "003"))  # 16 on the clock's day
UNDER_16 = ("刘洋", resident(date(2011, 1, 1), "005"))
SIXTEEN_TOMORROW = ("陈静", resident(date(2010, 6, 2), "007"))
MINOR_GUARDIAN_TOO_YOUNG = ("赵磊", resident(date(2009, 1, 1), "009"))
FEB29 = ("孙丽", resident(date(2008, 2, 29), "004"))
PEOPLE = (ADULT, ADULT_2, MINOR_17, UNDER_16, SIXTEEN_TOMORROW, MINOR_GUARDIAN_TOO_YOUNG, FEB29)


def person(who: tuple[str, str], id_type: int = common_pb2.ID_TYPE_RESIDENT_ID) -> common_pb2.Person:
    return common_pb2.Person(name=who[0], id_type=id_type, id_number=who[1])


def ts(value: datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


def violations(exc: grpc.aio.AioRpcError) -> dict[str, str]:
    pairs = bad_request(exc)
    assert pairs, "no BadRequest detail"
    return dict(pairs)


def reason(exc: grpc.aio.AioRpcError) -> str:
    status = rpc_status.from_call(exc)  # type: ignore[arg-type]
    info = error_details_pb2.ErrorInfo()
    assert status is not None
    status.details[0].Unpack(info)
    return info.reason


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(SHANGHAI_NOON)


def signed(config: ServiceConfig, role: str = "PLATFORM") -> SignedAsRequestPlatform:
    """Calls signed as the gateway would, for the request's own platform."""
    assert config.caller_secret is not None
    return SignedAsRequestPlatform(config.caller_secret, role)


@pytest.fixture
async def identity(database_url: str, make_env, clock: FixedClock, tmp_path: Path):
    env = make_env(LIVETRUST_IDENTITY_DATABASE_URL=migrated("identity", database_url))
    config = ServiceConfig.from_env("identity", env)
    registry = tmp_path / "registry.csv"
    with registry.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "id_number"])
        writer.writerows(PEOPLE)
        writer.writerow(["Broken", "110105199003070019"])  # bad check character: rejected, not imported
    db = Database(database_url, migrations_dir=Path(__file__).parents[2] / "services/identity/migrations")
    report = import_registry(db, Digester.from_env(env), registry, today=date(2026, 6, 1), now=clock.now())
    assert report.imported == len(PEOPLE) and report.rejected_lines == (len(PEOPLE) + 2,)
    async with running(config, build_service(config, clock=clock)) as (_, address):
        await wait_serving(address, "livetrust.identity.v1.IdentityService")
        async with grpc.aio.insecure_channel(address, interceptors=[signed(config)]) as channel:
            yield identity_pb2_grpc.IdentityServiceStub(channel), db
    db.close()


async def verify(stub, who, account="acct-1", platform="plat-a", role=common_pb2.SUBJECT_ROLE_LIVE_MARKETER, **kw):
    reply = await stub.VerifyIdentity(
        pb.VerifyIdentityRequest(platform_id=platform, account_id=account, role=role, person=person(who), **kw)
    )
    return reply.verification


def row_counts(db: Database) -> dict[str, int]:
    tables = ("verifications", "guardian_consents", "broadcast_checks")
    with db.engine.connect() as conn:
        return {t: conn.execute(sa.text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in tables}


async def test_validate_id_number(identity) -> None:
    stub, _ = identity
    ok = await stub.ValidateIdNumber(
        pb.ValidateIdNumberRequest(id_type=common_pb2.ID_TYPE_RESIDENT_ID, id_number="11010519491231002x")
    )
    assert ok.valid and ok.normalized_id_number == "11010519491231002X"
    assert (ok.birth_date.year, ok.birth_date.month, ok.birth_date.day) == (1949, 12, 31)
    assert ok.sex == pb.SEX_FEMALE
    legacy = await stub.ValidateIdNumber(
        pb.ValidateIdNumberRequest(id_type=common_pb2.ID_TYPE_RESIDENT_ID, id_number="110105491231002")
    )
    assert legacy.valid and legacy.normalized_id_number == "11010519491231002X"
    bad = await stub.ValidateIdNumber(
        pb.ValidateIdNumberRequest(id_type=common_pb2.ID_TYPE_RESIDENT_ID, id_number="990105" + "20300230" + "0011")
    )
    assert not bad.valid
    assert {v.reason for v in bad.violations} >= {"ADDRESS_CODE", "BIRTH_DATE_INVALID"}
    uscc = await stub.ValidateIdNumber(
        pb.ValidateIdNumberRequest(id_type=common_pb2.ID_TYPE_USCC, id_number="91110108551385082Q")
    )
    assert uscc.valid and not uscc.HasField("birth_date")
    with pytest.raises(grpc.aio.AioRpcError) as missing_type:
        await stub.ValidateIdNumber(pb.ValidateIdNumberRequest(id_number="91110108551385082Q"))
    assert missing_type.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert violations(missing_type.value) == {"id_type": "REQUIRED"}


async def test_adult_is_verified_idempotently(identity, clock: FixedClock) -> None:
    stub, db = identity
    first = await verify(stub, ADULT)
    assert first.status == pb.VERIFICATION_STATUS_VERIFIED
    assert first.eligibility == pb.ELIGIBILITY_ELIGIBLE
    assert first.age_band == pb.AGE_BAND_ADULT
    assert first.masked_id_number == ADULT[1][:3] + "*" * 11 + ADULT[1][-4:]
    assert len(first.subject_digest) == 64 and first.subject_digest == first.subject_digest.lower()
    assert first.reverify_by.ToDatetime(tzinfo=UTC) == datetime(2026, 12, 1, 4, 0, tzinfo=UTC)
    clock.advance(timedelta(minutes=5))
    again = await verify(stub, ADULT)
    assert again.verification_id == first.verification_id
    assert again.verified_at == first.verified_at
    assert row_counts(db)["verifications"] == 1
    # Same person on another platform: another verification, the same digest.
    other = await verify(stub, ADULT, platform="plat-b")
    assert other.verification_id != first.verification_id and other.subject_digest == first.subject_digest
    fetched = await stub.GetVerification(
        pb.GetVerificationRequest(platform_id="plat-a", verification_id=first.verification_id)
    )
    assert fetched.verification.verification_id == first.verification_id
    with pytest.raises(grpc.aio.AioRpcError) as foreign:
        await stub.GetVerification(
            pb.GetVerificationRequest(platform_id="plat-b", verification_id=first.verification_id)
        )
    assert foreign.value.code() is grpc.StatusCode.NOT_FOUND


async def test_wrong_name_is_rejected(identity) -> None:
    stub, _ = identity
    rejected = await verify(stub, ("冒名者", ADULT[1]))
    assert rejected.status == pb.VERIFICATION_STATUS_REJECTED
    assert "PROVIDER_NAME_MISMATCH" in rejected.reasons
    assert rejected.eligibility == pb.ELIGIBILITY_INELIGIBLE
    eligibility = await stub.CheckEligibility(pb.CheckEligibilityRequest(platform_id="plat-a", account_id="acct-1"))
    assert eligibility.eligibility == pb.ELIGIBILITY_INELIGIBLE
    assert list(eligibility.reasons) == ["NOT_VERIFIED", "VERIFICATION_REJECTED"]
    assert list(rejected.eligibility_reasons) == list(eligibility.reasons)


async def test_under_16_and_the_16th_birthday(identity) -> None:
    stub, _ = identity
    young = await verify(stub, UNDER_16)
    assert young.age_band == pb.AGE_BAND_UNDER_16 and young.eligibility == pb.ELIGIBILITY_INELIGIBLE
    sixteen_tomorrow = await verify(stub, SIXTEEN_TOMORROW, account="acct-16")
    check = await stub.CheckEligibility(pb.CheckEligibilityRequest(platform_id="plat-a", account_id="acct-16"))
    assert check.eligibility == pb.ELIGIBILITY_INELIGIBLE and list(check.reasons) == ["UNDER_16"]
    # The verification carries the same decision, so a registration check needs no second call.
    assert list(sixteen_tomorrow.eligibility_reasons) == ["UNDER_16"]
    assert sixteen_tomorrow.eligibility_changes_at == check.changes_at
    # The answer changes at local midnight of the 16th birthday (2026-06-02 00:00 +08:00).
    turns_16 = datetime(2026, 6, 1, 16, 0, tzinfo=UTC)
    assert check.changes_at.ToDatetime(tzinfo=UTC) == turns_16
    before = await stub.CheckEligibility(
        pb.CheckEligibilityRequest(
            platform_id="plat-a", account_id="acct-16", as_of=ts(turns_16 - timedelta(seconds=1))
        )
    )
    assert before.age_band == pb.AGE_BAND_UNDER_16
    on_the_day = await stub.CheckEligibility(
        pb.CheckEligibilityRequest(platform_id="plat-a", account_id="acct-16", as_of=ts(turns_16))
    )
    assert on_the_day.age_band == pb.AGE_BAND_AGE_16_17
    assert on_the_day.eligibility == pb.ELIGIBILITY_NEEDS_GUARDIAN_CONSENT
    assert list(on_the_day.reasons) == ["CONSENT_MISSING"]


async def test_guardian_consent_lifecycle_and_the_18th_birthday(identity, clock: FixedClock) -> None:
    stub, db = identity
    minor = await verify(stub, MINOR_17, account="acct-minor")
    assert minor.age_band == pb.AGE_BAND_AGE_16_17
    assert minor.eligibility == pb.ELIGIBILITY_NEEDS_GUARDIAN_CONSENT

    # A minor cannot be their own guardian, nor can another minor be one.
    for guardian, expected in ((MINOR_17, "SELF_GUARDIAN"), (MINOR_GUARDIAN_TOO_YOUNG, "GUARDIAN_NOT_ADULT")):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.RequestGuardianConsent(
                pb.RequestGuardianConsentRequest(
                    platform_id="plat-a",
                    account_id="acct-minor",
                    guardian=person(guardian),
                    relationship=pb.GUARDIAN_RELATIONSHIP_PARENT,
                )
            )
        assert refused.value.code() is grpc.StatusCode.FAILED_PRECONDITION
        assert reason(refused.value) == expected
    assert row_counts(db)["guardian_consents"] == 0

    requested = (
        await stub.RequestGuardianConsent(
            pb.RequestGuardianConsentRequest(
                platform_id="plat-a",
                account_id="acct-minor",
                guardian=person(ADULT),
                relationship=pb.GUARDIAN_RELATIONSHIP_PARENT,
            )
        )
    ).consent
    assert requested.status == pb.CONSENT_STATUS_REQUESTED
    assert requested.expires_at.ToDatetime(tzinfo=UTC) == datetime(2027, 8, 31, 16, 0, tzinfo=UTC)
    pending = await stub.CheckEligibility(pb.CheckEligibilityRequest(platform_id="plat-a", account_id="acct-minor"))
    assert list(pending.reasons) == ["CONSENT_PENDING"]

    granted = (
        await stub.ConfirmGuardianConsent(
            pb.ConfirmGuardianConsentRequest(
                platform_id="plat-a",
                consent_id=requested.consent_id,
                evidence_ref="doc://consents/123",
                consent_text_version="v2",
            )
        )
    ).consent
    assert granted.status == pb.CONSENT_STATUS_GRANTED and granted.evidence_ref == "doc://consents/123"
    eligible = await stub.CheckEligibility(pb.CheckEligibilityRequest(platform_id="plat-a", account_id="acct-minor"))
    assert eligible.eligibility == pb.ELIGIBILITY_ELIGIBLE and list(eligible.reasons) == ["CONSENT_GRANTED"]
    with pytest.raises(grpc.aio.AioRpcError) as twice:
        await stub.ConfirmGuardianConsent(
            pb.ConfirmGuardianConsentRequest(
                platform_id="plat-a", consent_id=requested.consent_id, evidence_ref="x", consent_text_version="v2"
            )
        )
    assert twice.value.code() is grpc.StatusCode.FAILED_PRECONDITION

    revoked = (
        await stub.RevokeGuardianConsent(
            pb.RevokeGuardianConsentRequest(
                platform_id="plat-a", consent_id=requested.consent_id, reason="parent withdrew"
            )
        )
    ).consent
    assert revoked.status == pb.CONSENT_STATUS_REVOKED
    after = await stub.CheckEligibility(pb.CheckEligibilityRequest(platform_id="plat-a", account_id="acct-minor"))
    assert after.eligibility == pb.ELIGIBILITY_NEEDS_GUARDIAN_CONSENT and list(after.reasons) == ["CONSENT_REVOKED"]

    # A fresh consent, granted, ends by itself at 18.
    clock.advance(timedelta(days=1))
    second = (
        await stub.RequestGuardianConsent(
            pb.RequestGuardianConsentRequest(
                platform_id="plat-a",
                account_id="acct-minor",
                guardian=person(ADULT_2),
                relationship=pb.GUARDIAN_RELATIONSHIP_OTHER_LEGAL_GUARDIAN,
            )
        )
    ).consent
    await stub.ConfirmGuardianConsent(
        pb.ConfirmGuardianConsentRequest(
            platform_id="plat-a", consent_id=second.consent_id, evidence_ref="doc://2", consent_text_version="v2"
        )
    )
    # Re-verify within the period so the verification itself stays current past the birthday.
    clock.set(datetime(2027, 5, 1, 4, 0, tzinfo=UTC))
    await verify(stub, MINOR_17, account="acct-minor", reverify=True)
    clock.set(datetime(2027, 8, 31, 16, 0, tzinfo=UTC))  # the 18th birthday, local midnight
    listed = await stub.ListGuardianConsents(
        pb.ListGuardianConsentsRequest(platform_id="plat-a", account_id="acct-minor", page_size=1)
    )
    assert [c.status for c in listed.consents] == [pb.CONSENT_STATUS_EXPIRED] and listed.next_page_token
    rest = await stub.ListGuardianConsents(
        pb.ListGuardianConsentsRequest(
            platform_id="plat-a", account_id="acct-minor", page_size=1, page_token=listed.next_page_token
        )
    )
    assert [c.status for c in rest.consents] == [pb.CONSENT_STATUS_REVOKED] and not rest.next_page_token
    adult_now = await stub.CheckEligibility(pb.CheckEligibilityRequest(platform_id="plat-a", account_id="acct-minor"))
    assert adult_now.age_band == pb.AGE_BAND_ADULT and adult_now.eligibility == pb.ELIGIBILITY_ELIGIBLE


@pytest.fixture
def guardian_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The numbers the provider is asked about (VerifyIdentity asks the registry inline, not here)."""
    calls: list[str] = []
    submit = LocalRegistryProvider.submit

    async def counted(self: LocalRegistryProvider, *, name: str, id_number: str):  # type: ignore[no-untyped-def]
        calls.append(id_number)
        return await submit(self, name=name, id_number=id_number)

    monkeypatch.setattr(LocalRegistryProvider, "submit", counted)
    return calls


def consent_request(
    request_id: str = "",
    *,
    account: str = "acct-minor",
    guardian: tuple[str, str] = ADULT,
    relationship: int = pb.GUARDIAN_RELATIONSHIP_PARENT,
    platform: str = "plat-a",
) -> pb.RequestGuardianConsentRequest:
    return pb.RequestGuardianConsentRequest(
        platform_id=platform,
        account_id=account,
        guardian=person(guardian),
        relationship=relationship,
        request_id=request_id,
    )


async def test_guardian_consent_resend_with_request_id_counts_once(
    identity, clock: FixedClock, guardian_checks: list[str]
) -> None:
    stub, db = identity
    await verify(stub, MINOR_17, account="acct-minor")
    first = (await stub.RequestGuardianConsent(consent_request("consent-req-1"))).consent
    clock.advance(timedelta(minutes=1))
    again = (await stub.RequestGuardianConsent(consent_request("consent-req-1"))).consent
    assert again == first and again.status == pb.CONSENT_STATUS_REQUESTED
    assert row_counts(db)["guardian_consents"] == 1 and guardian_checks == [ADULT[1]]

    # A resend after the consent moved on answers it as it stands now, still without asking again.
    await stub.ConfirmGuardianConsent(
        pb.ConfirmGuardianConsentRequest(
            platform_id="plat-a", consent_id=first.consent_id, evidence_ref="doc://1", consent_text_version="v1"
        )
    )
    later = (await stub.RequestGuardianConsent(consent_request("consent-req-1"))).consent
    assert later.consent_id == first.consent_id and later.status == pb.CONSENT_STATUS_GRANTED
    assert row_counts(db)["guardian_consents"] == 1 and len(guardian_checks) == 1

    # request_ids are per platform: the same one elsewhere is another request.
    await verify(stub, MINOR_17, account="acct-minor", platform="plat-b")
    elsewhere = (await stub.RequestGuardianConsent(consent_request("consent-req-1", platform="plat-b"))).consent
    assert elsewhere.consent_id != first.consent_id and elsewhere.platform_id == "plat-b"
    assert row_counts(db)["guardian_consents"] == 2 and len(guardian_checks) == 2


async def test_concurrent_resends_make_one_consent(identity, guardian_checks: list[str]) -> None:
    stub, db = identity
    await verify(stub, MINOR_17, account="acct-minor")
    replies = await asyncio.gather(*(stub.RequestGuardianConsent(consent_request("consent-req-c")) for _ in range(5)))
    assert len({r.consent.consent_id for r in replies}) == 1
    assert row_counts(db)["guardian_consents"] == 1
    assert guardian_checks == [ADULT[1]]  # the later ones waited for the first and found its consent


@pytest.mark.parametrize(
    "changed",
    [
        {"account": "acct-minor-2"},
        {"guardian": ADULT_2},
        {"relationship": pb.GUARDIAN_RELATIONSHIP_GRANDPARENT},
    ],
    ids=["account", "guardian", "relationship"],
)
async def test_request_id_reused_for_another_request_is_refused(
    identity, guardian_checks: list[str], changed: dict
) -> None:
    stub, db = identity
    await verify(stub, MINOR_17, account="acct-minor")
    await verify(stub, MINOR_GUARDIAN_TOO_YOUNG, account="acct-minor-2")  # 17: a minor of their own
    first = (await stub.RequestGuardianConsent(consent_request("consent-req-1"))).consent
    with pytest.raises(grpc.aio.AioRpcError) as reused:
        await stub.RequestGuardianConsent(consent_request("consent-req-1", **changed))
    assert reused.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert violations(reused.value) == {"request_id": "REQUEST_ID_REUSED"}
    assert row_counts(db)["guardian_consents"] == 1 and len(guardian_checks) == 1
    # The first request's resend is still answered with its consent.
    again = (await stub.RequestGuardianConsent(consent_request("consent-req-1"))).consent
    assert again.consent_id == first.consent_id


async def test_request_id_reused_after_the_account_verified_another_minor_is_refused(
    identity, clock: FixedClock
) -> None:
    stub, db = identity
    await verify(stub, MINOR_17, account="acct-minor")
    await stub.RequestGuardianConsent(consent_request("consent-req-1"))
    clock.advance(timedelta(minutes=1))
    await verify(stub, MINOR_GUARDIAN_TOO_YOUNG, account="acct-minor")  # the account's latest person now
    with pytest.raises(grpc.aio.AioRpcError) as reused:
        await stub.RequestGuardianConsent(consent_request("consent-req-1"))
    assert reused.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert violations(reused.value) == {"request_id": "REQUEST_ID_REUSED"}
    assert row_counts(db)["guardian_consents"] == 1


async def test_without_request_id_every_request_is_a_new_consent(identity, guardian_checks: list[str]) -> None:
    stub, db = identity
    await verify(stub, MINOR_17, account="acct-minor")
    first = (await stub.RequestGuardianConsent(consent_request())).consent
    second = (await stub.RequestGuardianConsent(consent_request())).consent
    assert first.consent_id != second.consent_id
    assert row_counts(db)["guardian_consents"] == 2 and guardian_checks == [ADULT[1], ADULT[1]]
    with pytest.raises(grpc.aio.AioRpcError) as bad:
        await stub.RequestGuardianConsent(consent_request("has space"))
    assert bad.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert violations(bad.value) == {"request_id": "CHARSET"}
    assert row_counts(db)["guardian_consents"] == 2 and len(guardian_checks) == 2


async def test_feb_29_birthday_counts_from_march_1(identity) -> None:
    stub, _ = identity
    await verify(stub, FEB29, account="acct-leap")
    turns_18 = datetime(2026, 2, 28, 16, 0, tzinfo=UTC)  # 2026-03-01 00:00 in Shanghai
    before = await stub.CheckEligibility(
        pb.CheckEligibilityRequest(
            platform_id="plat-a", account_id="acct-leap", as_of=ts(turns_18 - timedelta(seconds=1))
        )
    )
    assert before.age_band == pb.AGE_BAND_AGE_16_17
    on = await stub.CheckEligibility(
        pb.CheckEligibilityRequest(platform_id="plat-a", account_id="acct-leap", as_of=ts(turns_18))
    )
    assert on.age_band == pb.AGE_BAND_ADULT


async def test_reverification_expires(identity, clock: FixedClock) -> None:
    stub, _ = identity
    first = await verify(stub, ADULT)
    deadline = first.reverify_by.ToDatetime(tzinfo=UTC)
    ok = await stub.CheckEligibility(
        pb.CheckEligibilityRequest(platform_id="plat-a", account_id="acct-1", as_of=ts(deadline - timedelta(seconds=1)))
    )
    assert ok.eligibility == pb.ELIGIBILITY_ELIGIBLE and ok.changes_at == first.reverify_by
    expired = await stub.CheckEligibility(
        pb.CheckEligibilityRequest(platform_id="plat-a", account_id="acct-1", as_of=ts(deadline))
    )
    assert expired.eligibility == pb.ELIGIBILITY_INELIGIBLE and list(expired.reasons) == ["VERIFICATION_EXPIRED"]
    clock.set(deadline + timedelta(days=1))
    renewed = await verify(stub, ADULT)  # past its deadline, a plain call verifies again
    assert renewed.verification_id == first.verification_id
    assert renewed.reverify_by.ToDatetime(tzinfo=UTC) > deadline


async def test_organisation_operator(identity) -> None:
    stub, _ = identity
    company = ("某某电子商务有限公司", "91110108551385082Q")
    with pytest.raises(grpc.aio.AioRpcError) as marketer:
        await stub.VerifyIdentity(
            pb.VerifyIdentityRequest(
                platform_id="plat-a",
                account_id="acct-co",
                role=common_pb2.SUBJECT_ROLE_LIVE_MARKETER,
                person=person(company, common_pb2.ID_TYPE_USCC),
            )
        )
    assert violations(marketer.value) == {"person.id_type": "NOT_A_PERSON"}
    operator = await stub.VerifyIdentity(
        pb.VerifyIdentityRequest(
            platform_id="plat-a",
            account_id="acct-co",
            role=common_pb2.SUBJECT_ROLE_ROOM_OPERATOR,
            person=person(company, common_pb2.ID_TYPE_USCC),
        )
    )
    # Not in the registry: rejected, and an organisation has no age.
    assert operator.verification.status == pb.VERIFICATION_STATUS_REJECTED
    assert operator.verification.age_band == pb.AGE_BAND_NOT_APPLICABLE


async def test_broadcast_checks(identity, clock: FixedClock) -> None:
    stub, db = identity
    request = pb.RecordBroadcastCheckRequest(
        platform_id="plat-a",
        account_id="acct-1",
        session_id="live-1",
        passed=False,
        method=pb.BROADCAST_CHECK_METHOD_FACE_MATCH,
        request_id="req-1",
    )
    first = (await stub.RecordBroadcastCheck(request)).check
    again = (await stub.RecordBroadcastCheck(request)).check
    assert again.check_id == first.check_id and row_counts(db)["broadcast_checks"] == 1
    clock.advance(timedelta(seconds=30))
    request.passed, request.request_id = True, "req-2"
    await stub.RecordBroadcastCheck(request)
    latest = await stub.GetBroadcastCheck(
        pb.GetBroadcastCheckRequest(platform_id="plat-a", account_id="acct-1", session_id="live-1")
    )
    assert latest.check.passed
    with pytest.raises(grpc.aio.AioRpcError) as none:
        await stub.GetBroadcastCheck(
            pb.GetBroadcastCheckRequest(platform_id="plat-a", account_id="acct-1", session_id="live-2")
        )
    assert none.value.code() is grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as future:
        await stub.RecordBroadcastCheck(
            pb.RecordBroadcastCheckRequest(
                platform_id="plat-a",
                account_id="acct-1",
                session_id="live-3",
                passed=True,
                method=pb.BROADCAST_CHECK_METHOD_LIVENESS,
                checked_at=ts(clock.now() + timedelta(hours=1)),
            )
        )
    assert violations(future.value) == {"checked_at": "IN_FUTURE"}


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        (pb.VerifyIdentityRequest(), {"platform_id", "account_id", "role", "person.name", "person.id_type"}),
        (
            pb.VerifyIdentityRequest(
                platform_id="plat a",
                account_id="x" * 200,
                role=common_pb2.SUBJECT_ROLE_LIVE_MARKETER,
                person=common_pb2.Person(
                    name="张伟", id_type=common_pb2.ID_TYPE_RESIDENT_ID, id_number="110105199003070019"
                ),
            ),
            {"platform_id", "account_id", "person.id_number"},
        ),
        (
            pb.VerifyIdentityRequest(
                platform_id="plat-a",
                account_id="acct-1",
                role=7,
                person=common_pb2.Person(name="张伟", id_type=9, id_number="1"),
            ),
            {"role", "person.id_type"},
        ),
    ],
)
async def test_bad_input_is_invalid_argument_and_writes_nothing(identity, request_, expected) -> None:
    stub, db = identity
    with pytest.raises(grpc.aio.AioRpcError) as bad:
        await stub.VerifyIdentity(request_)
    assert bad.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert set(violations(bad.value)) == expected
    assert row_counts(db) == {"verifications": 0, "guardian_consents": 0, "broadcast_checks": 0}


async def test_as_of_before_birth_is_an_answer(identity) -> None:
    stub, _ = identity
    await verify(stub, ADULT)  # born 1990-03-07
    before_birth = await stub.CheckEligibility(
        pb.CheckEligibilityRequest(
            platform_id="plat-a", account_id="acct-1", as_of=ts(datetime(1980, 1, 1, tzinfo=UTC))
        )
    )
    assert before_birth.eligibility == pb.ELIGIBILITY_INELIGIBLE and list(before_birth.reasons) == ["UNDER_16"]
    assert before_birth.age_band == pb.AGE_BAND_UNDER_16
    # The 16th birthday, local midnight in Shanghai.
    assert before_birth.changes_at.ToDatetime(tzinfo=UTC) == datetime(2006, 3, 6, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "as_of",
    [
        datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),  # overflowed converting to Shanghai time
        datetime(2200, 1, 1, 0, 0, 1, tzinfo=UTC),
        datetime(1899, 12, 31, 23, 59, 59, tzinfo=UTC),
        datetime(1, 1, 1, tzinfo=UTC),
    ],
)
async def test_as_of_out_of_range_is_invalid_argument(identity, as_of: datetime) -> None:
    stub, _ = identity
    await verify(stub, ADULT)
    with pytest.raises(grpc.aio.AioRpcError) as bad:
        await stub.CheckEligibility(
            pb.CheckEligibilityRequest(platform_id="plat-a", account_id="acct-1", as_of=ts(as_of))
        )
    assert bad.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert violations(bad.value) == {"as_of": "OUT_OF_RANGE"}


async def test_as_of_range_bounds_are_accepted(identity) -> None:
    stub, _ = identity
    await verify(stub, ADULT)
    for as_of in (datetime(1900, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC)):
        answer = await stub.CheckEligibility(
            pb.CheckEligibilityRequest(platform_id="plat-a", account_id="acct-1", as_of=ts(as_of))
        )
        assert answer.eligibility == pb.ELIGIBILITY_INELIGIBLE  # unborn, then long past re-verification


def assert_short_length_error(exc: grpc.aio.AioRpcError, field: str) -> None:
    assert exc.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert violations(exc) == {field: "LENGTH"}
    details = exc.details() or ""
    status = rpc_status.from_call(exc)  # type: ignore[arg-type]
    assert status is not None
    assert len(details) < 1000 and len(status.SerializeToString()) < 1000


@pytest.mark.parametrize("length", [2_000, 100_000])
@pytest.mark.parametrize("id_type", [common_pb2.ID_TYPE_RESIDENT_ID, common_pb2.ID_TYPE_USCC])
async def test_overlong_id_number_is_a_short_invalid_argument(identity, length: int, id_type: int) -> None:
    stub, db = identity
    overlong = "Z" * length  # not allowed anywhere in either kind of number: every position is bad
    with pytest.raises(grpc.aio.AioRpcError) as validate:
        await stub.ValidateIdNumber(pb.ValidateIdNumberRequest(id_type=id_type, id_number=overlong))
    assert_short_length_error(validate.value, "id_number")
    with pytest.raises(grpc.aio.AioRpcError) as verify_:
        await stub.VerifyIdentity(
            pb.VerifyIdentityRequest(
                platform_id="plat-a",
                account_id="acct-1",
                role=common_pb2.SUBJECT_ROLE_ROOM_OPERATOR,  # the role either kind of number may hold
                person=common_pb2.Person(name="张伟", id_type=id_type, id_number=overlong),
            )
        )
    assert_short_length_error(verify_.value, "person.id_number")
    assert row_counts(db) == {"verifications": 0, "guardian_consents": 0, "broadcast_checks": 0}


async def test_many_bad_characters_are_described_briefly(identity) -> None:
    stub, _ = identity
    # Within the bound, malformed numbers are still an answer, with every reason but capped positions.
    answer = await stub.ValidateIdNumber(
        pb.ValidateIdNumberRequest(id_type=common_pb2.ID_TYPE_RESIDENT_ID, id_number="Z" * 64)
    )
    assert not answer.valid
    charset = next(v for v in answer.violations if v.reason == "CHARSET")
    assert "positions 1, 2, 3, 4, 5 and 59 more" in charset.description


async def test_bad_page_token_and_consent_ids(identity) -> None:
    stub, _ = identity
    with pytest.raises(grpc.aio.AioRpcError) as token:
        await stub.ListGuardianConsents(
            pb.ListGuardianConsentsRequest(platform_id="plat-a", account_id="a", page_token="garbage!")
        )
    assert violations(token.value) == {"page_token": "PAGE_TOKEN"}
    with pytest.raises(grpc.aio.AioRpcError) as unknown:
        await stub.RevokeGuardianConsent(
            pb.RevokeGuardianConsentRequest(platform_id="plat-a", consent_id="nope", reason="r")
        )
    assert unknown.value.code() is grpc.StatusCode.NOT_FOUND


async def test_http_provider_async_flow(database_url: str, make_env, clock: FixedClock, simulator) -> None:  # noqa: F811
    env = make_env(
        LIVETRUST_IDENTITY_DATABASE_URL=migrated("identity", database_url),
        LIVETRUST_IDENTITY_PROVIDER_URL=simulator.url,
        LIVETRUST_IDENTITY_PROVIDER_API_KEY=API_KEY,
    )
    config = ServiceConfig.from_env("identity", env)
    async with running(config, build_service(config, clock=clock)) as (_, address):
        await wait_serving(address, "livetrust.identity.v1.IdentityService")
        async with grpc.aio.insecure_channel(address, interceptors=[signed(config)]) as channel:
            stub = identity_pb2_grpc.IdentityServiceStub(channel)
            pending = await verify(stub, (KNOWN_NAME, KNOWN_ID), role=common_pb2.SUBJECT_ROLE_ROOM_OPERATOR)
            assert pending.status == pb.VERIFICATION_STATUS_PENDING
            still = await stub.GetVerification(
                pb.GetVerificationRequest(platform_id="plat-a", verification_id=pending.verification_id)
            )
            assert still.verification.status == pb.VERIFICATION_STATUS_PENDING  # first poll: still pending
            done = await stub.GetVerification(
                pb.GetVerificationRequest(platform_id="plat-a", verification_id=pending.verification_id)
            )
            assert done.verification.status == pb.VERIFICATION_STATUS_VERIFIED
            assert done.verification.provider == "http"
            assert all(KNOWN_ID not in r.path for r in simulator.requests)


def test_registry_import_takes_credit_codes_that_start_with_digits(database_url: str, make_env, tmp_path: Path) -> None:
    """Most unified social credit codes begin with digits (91110108551385082Q): a row validates as either kind
    unless an id_type column says which."""
    env = make_env(LIVETRUST_IDENTITY_DATABASE_URL=migrated("identity", database_url))
    plain, typed = tmp_path / "plain.csv", tmp_path / "typed.csv"
    with plain.open("w", newline="") as handle:
        csv.writer(handle).writerows([("name", "id_number"), ("某某科技有限公司", "91110108551385082Q"), *PEOPLE[:1]])
    with typed.open("w", newline="") as handle:
        csv.writer(handle).writerows(
            [
                ("name", "id_number", "id_type"),
                ("某某科技有限公司", "91110108551385082Q", "USCC"),
                ("某某科技有限公司", "91110108551385082Q", "RESIDENT_ID"),  # declared wrongly: rejected
                ("某某科技有限公司", "91110108551385082Q", "PASSPORT"),  # unknown kind: rejected
            ]
        )
    db = Database(database_url, migrations_dir=Path(__file__).parents[2] / "services/identity/migrations")
    try:
        digester = Digester.from_env(env)
        report = import_registry(db, digester, plain, today=date(2026, 6, 1), now=datetime(2026, 6, 1, tzinfo=UTC))
        assert report.imported == 2 and report.rejected_lines == ()
        report = import_registry(db, digester, typed, today=date(2026, 6, 1), now=datetime(2026, 6, 1, tzinfo=UTC))
        assert report.imported == 1 and report.rejected_lines == (3, 4)
    finally:
        db.close()
