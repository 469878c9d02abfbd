"""The identity service's use cases: validation, verification, eligibility, guardian consent and
broadcast checks. Keyword-only methods; the servicer translates protobuf to these and back."""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import AsyncIterator, Hashable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from opentelemetry import metrics
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from livetrust.clock import Clock
from livetrust.errors import (
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PreconditionViolation,
    require,
)
from livetrust.runtime import Database, require_caller
from livetrust.runtime import Role as CallerRole  # who calls; Role below is the subject's role
from livetrust.validation import (
    check_identifier,
    check_not_future,
    check_text,
    decode_page_token,
    encode_page_token,
    page_size,
)

from . import _storage as store
from ._age import DEFAULT_TIMEZONE, AgeBand, age_band, local_date
from ._crypto import Digester, Keyring
from ._eligibility import (
    ConsentFacts,
    ConsentStatus,
    Eligibility,
    EligibilityDecision,
    VerificationFacts,
    VerificationStatus,
    add_months,
    consent_expiry,
    consent_status_at,
    decide_eligibility,
)
from ._idnumbers import IdNumberCheck, IdType, id_number_too_long, mask_id_number, validate_id_number
from ._providers import InlineProvider, ProviderOutcome, ProviderResult, VerificationProvider

__all__ = [
    "BroadcastCheckView",
    "ConsentView",
    "EligibilityView",
    "GuardianRelationship",
    "IdentityService",
    "IdentitySettings",
    "Role",
    "VerificationView",
]

_log = logging.getLogger("livetrust.identity")
_verifications = metrics.get_meter("livetrust").create_counter(
    "livetrust.identity.verifications", description="Provider answers recorded, by resulting status"
)
_MAX_NAME = 100
# Ages are computed on local calendars: an instant near year 1 or 9999 overflows on conversion, and no
# real question about eligibility lies outside these bounds (birth dates start at 1900, see _idnumbers).
_EARLIEST_AS_OF = datetime(1900, 1, 1, tzinfo=UTC)
_LATEST_AS_OF = datetime(2200, 1, 1, tzinfo=UTC)


class Role(enum.Enum):
    ROOM_OPERATOR = "ROOM_OPERATOR"
    LIVE_MARKETER = "LIVE_MARKETER"


class GuardianRelationship(enum.Enum):
    PARENT = "PARENT"
    GRANDPARENT = "GRANDPARENT"
    SIBLING = "SIBLING"
    COURT_APPOINTED = "COURT_APPOINTED"
    OTHER_LEGAL_GUARDIAN = "OTHER_LEGAL_GUARDIAN"


class BroadcastCheckMethod(enum.Enum):
    FACE_MATCH = "FACE_MATCH"
    LIVENESS = "LIVENESS"
    FACE_MATCH_AND_LIVENESS = "FACE_MATCH_AND_LIVENESS"


@dataclass(frozen=True, slots=True)
class IdentitySettings:
    """Platform policy of the identity service (REGULATION.md: numbers a platform chooses are config)."""

    default_timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo(DEFAULT_TIMEZONE))
    """``LIVETRUST_IDENTITY_TIMEZONE``: where ages are counted unless a platform has its own."""

    platform_timezones: Mapping[str, ZoneInfo] = field(default_factory=dict)
    """``LIVETRUST_IDENTITY_PLATFORM_TIMEZONES``: ``platform=Area/City`` entries, comma-separated."""

    reverify_months: int = 6
    """``LIVETRUST_IDENTITY_REVERIFY_MONTHS``: a verification expires this many months after it."""

    def timezone_for(self, platform_id: str) -> ZoneInfo:
        return self.platform_timezones.get(platform_id, self.default_timezone)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> IdentitySettings:
        def zone(name: str) -> ZoneInfo:
            try:
                return ZoneInfo(name.strip())
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(f"unknown time zone {name!r}") from exc

        platform_timezones = {}
        for entry in env.get("LIVETRUST_IDENTITY_PLATFORM_TIMEZONES", "").split(","):
            if entry.strip():
                platform, _, tz = entry.partition("=")
                platform_timezones[platform.strip()] = zone(tz)
        months = int(env.get("LIVETRUST_IDENTITY_REVERIFY_MONTHS", 6))
        if not 1 <= months <= 6:
            raise ValueError(
                "LIVETRUST_IDENTITY_REVERIFY_MONTHS must be 1-6 (the rules require at least every 6 months)"
            )
        return cls(
            default_timezone=zone(env.get("LIVETRUST_IDENTITY_TIMEZONE", DEFAULT_TIMEZONE)),
            platform_timezones=platform_timezones,
            reverify_months=months,
        )


@dataclass(frozen=True, slots=True)
class VerificationView:
    verification_id: str
    platform_id: str
    account_id: str
    role: Role
    id_type: IdType
    status: VerificationStatus
    reasons: tuple[str, ...]
    masked_id_number: str
    age_band: AgeBand | None
    eligibility: Eligibility
    subject_digest: str
    provider: str
    verified_at: datetime | None
    reverify_by: datetime | None
    created_at: datetime
    updated_at: datetime
    eligibility_reasons: tuple[str, ...] = ()
    eligibility_changes_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class EligibilityView:
    decision: EligibilityDecision
    verification_id: str
    subject_digest: str
    reverify_by: datetime | None


@dataclass(frozen=True, slots=True)
class ConsentView:
    consent_id: str
    platform_id: str
    account_id: str
    minor_verification_id: str
    status: ConsentStatus
    relationship: GuardianRelationship
    guardian_masked_id_number: str
    guardian_subject_digest: str
    evidence_ref: str
    consent_text_version: str
    requested_at: datetime
    granted_at: datetime | None
    revoked_at: datetime | None
    revoke_reason: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class BroadcastCheckView:
    check_id: str
    platform_id: str
    account_id: str
    session_id: str
    passed: bool
    method: BroadcastCheckMethod
    checked_at: datetime


def _aad(table: str, column: str, row_id: str) -> bytes:
    return f"{table}.{column}:{row_id}".encode()


def _consent_facts(row: store.ConsentRow) -> ConsentFacts:
    return ConsentFacts(ConsentStatus(row.status), row.expires_at, row.updated_at)


def _verification_facts(row: store.VerificationRecord) -> VerificationFacts:
    return VerificationFacts(VerificationStatus(row.status), IdType(row.id_type), row.birth_date, row.reverify_by)


def _consent_view(row: store.ConsentRow, now: datetime) -> ConsentView:
    return ConsentView(
        consent_id=row.id,
        platform_id=row.platform_id,
        account_id=row.account_id,
        minor_verification_id=row.minor_verification_id,
        status=consent_status_at(_consent_facts(row), now),
        relationship=GuardianRelationship(row.relationship),
        guardian_masked_id_number=row.guardian_masked_id_number,
        guardian_subject_digest=row.guardian_subject_digest,
        evidence_ref=row.evidence_ref,
        consent_text_version=row.consent_text_version,
        requested_at=row.requested_at,
        granted_at=row.granted_at,
        revoked_at=row.revoked_at,
        revoke_reason=row.revoke_reason,
        expires_at=row.expires_at,
    )


def _replayed_consent(
    row: store.ConsentRow,
    *,
    account_id: str,
    minor_verification_id: str | None,
    guardian_subject_digest: str,
    relationship: GuardianRelationship,
    now: datetime,
) -> ConsentView:
    """The answer to a resend of the RequestGuardianConsent that created ``row`` (same request_id): the
    first consent, as it stands now. A request_id reused for another request is refused."""
    same = (
        row.account_id == account_id
        and row.minor_verification_id == minor_verification_id
        and row.guardian_subject_digest == guardian_subject_digest
        and row.relationship == relationship.value
    )
    if not same:
        raise InvalidArgument(
            [
                FieldViolation(
                    "request_id",
                    "already used for a guardian consent of another account, minor, guardian or relationship",
                    "REQUEST_ID_REUSED",
                )
            ],
            reason="REQUEST_ID_REUSED",
        )
    return _consent_view(row, now)


class _SingleFlight:
    """Per-key mutual exclusion within this process: concurrent identical requests run one after
    another, so that the later ones find what the first wrote instead of asking the provider again.
    (Across replicas the database's unique constraint still decides; this only saves provider calls.)"""

    def __init__(self) -> None:
        self._locks: dict[Hashable, tuple[asyncio.Lock, list[int]]] = {}

    @asynccontextmanager
    async def hold(self, key: Hashable) -> AsyncIterator[None]:
        lock, waiting = self._locks.setdefault(key, (asyncio.Lock(), [0]))
        waiting[0] += 1
        try:
            async with lock:
                yield
        finally:
            waiting[0] -= 1
            if not waiting[0]:
                del self._locks[key]


def _check_view(row: store.BroadcastCheckRow) -> BroadcastCheckView:
    return BroadcastCheckView(
        check_id=row.id,
        platform_id=row.platform_id,
        account_id=row.account_id,
        session_id=row.session_id,
        passed=row.passed,
        method=BroadcastCheckMethod(row.method),
        checked_at=row.checked_at,
    )


_STATUS_BY_OUTCOME = {
    ProviderOutcome.MATCH: VerificationStatus.VERIFIED,
    ProviderOutcome.NO_MATCH: VerificationStatus.REJECTED,
    ProviderOutcome.PENDING: VerificationStatus.PENDING,
    ProviderOutcome.INCONCLUSIVE: VerificationStatus.NEEDS_REVIEW,
}
_DEFAULT_REASONS = {
    ProviderOutcome.MATCH: (),
    ProviderOutcome.NO_MATCH: ("PROVIDER_NO_MATCH",),
    ProviderOutcome.PENDING: ("PROVIDER_PENDING",),
    ProviderOutcome.INCONCLUSIVE: ("PROVIDER_INCONCLUSIVE",),
}


_PENDING = VerificationStatus.PENDING.value
_VERIFIED = VerificationStatus.VERIFIED.value


@dataclass(frozen=True, slots=True)
class _Lookup:
    """What VerifyIdentity's read found: the person's verification for the account, if any, and either
    the finished answer (``view``), a pending check to poll, or the inline provider's answer."""

    row: store.VerificationRecord | None
    view: VerificationView | None = None
    pending: bool = False
    answer: ProviderResult | None = None


@dataclass(frozen=True, slots=True)
class _NewVerification:
    """A verification as just inserted (the columns of its row, attribute by attribute)."""

    id: str
    platform_id: str
    account_id: str
    person_digest: str
    role: str
    id_type: str
    subject_digest: str
    key_id: str
    name_ciphertext: bytes
    id_number_ciphertext: bytes
    masked_id_number: str
    birth_date: date | None
    status: str
    reasons: list[str]
    provider: str
    provider_reference: str
    verified_at: datetime | None
    reverify_by: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class _Person:
    name: str
    id_type: IdType
    check: IdNumberCheck
    normalized: str
    subject_digest: str
    person_digest: str


class IdentityService:
    def __init__(
        self,
        *,
        db: Database,
        keyring: Keyring,
        digester: Digester,
        provider: VerificationProvider,
        clock: Clock,
        settings: IdentitySettings,
    ) -> None:
        self._db = db
        self._keyring = keyring
        self._digester = digester
        self._provider = provider
        self._clock = clock
        self._settings = settings
        # The local registry lives in this same database: VerifyIdentity asks it within its own read.
        self._inline_provider = provider.inline_answer(db) if isinstance(provider, InlineProvider) else None
        self._consent_requests = _SingleFlight()

    # --- validation ---------------------------------------------------------------------------

    def validate_id_number(self, *, id_type: IdType | None, id_number: str, platform_id: str = "") -> IdNumberCheck:
        """Stateless; violations are part of the answer, not an error."""
        require_caller()
        if id_type is None:
            require([FieldViolation("id_type", "must be RESIDENT_ID or USCC", "REQUIRED")])
        assert id_type is not None
        today = local_date(self._clock.now(), self._settings.timezone_for(platform_id))
        check = validate_id_number(id_type, id_number, today=today)
        if id_number_too_long(id_number):
            # Too long to be a number of any type: a malformed request, not a candidate to report on.
            require([FieldViolation(v.field, v.description, v.reason) for v in check.violations])
        return check

    def _person(
        self,
        violations: list[FieldViolation],
        prefix: str,
        *,
        name: str,
        id_type: IdType | None,
        id_number: str,
        platform_id: str,
    ) -> _Person | None:
        check_text(violations, f"{prefix}.name", name, max_length=_MAX_NAME)
        if id_type is None:
            violations.append(FieldViolation(f"{prefix}.id_type", "must be RESIDENT_ID or USCC", "REQUIRED"))
            return None
        today = local_date(self._clock.now(), self._settings.timezone_for(platform_id))
        check = validate_id_number(id_type, id_number, today=today)
        violations.extend(FieldViolation(f"{prefix}.{v.field}", v.description, v.reason) for v in check.violations)
        if not check.valid or check.normalized is None:
            return None
        return _Person(
            name=name.strip(),
            id_type=id_type,
            check=check,
            normalized=check.normalized,
            subject_digest=self._digester.subject_digest(check.normalized),
            person_digest=self._digester.person_digest(check.normalized, name),
        )

    # --- verification -------------------------------------------------------------------------

    def _view(
        self, session: Session, row: store.VerificationRecord, now: datetime, *, new: bool = False
    ) -> VerificationView:
        # A verification created in this transaction has no consent referring to it yet.
        consents = () if new else store.consent_facts_of(session.connection(), row)
        return self._verification_view(row, consents, now)

    def _verification_view(
        self, row: store.VerificationRecord, consents: Iterable[Any], now: datetime
    ) -> VerificationView:
        """The view of ``row`` with its eligibility at ``now``; ``consents`` are the (status, expires_at,
        updated_at) of the consents given for this verification's minor."""
        decision = decide_eligibility(
            _verification_facts(row),
            [ConsentFacts(ConsentStatus(c.status), c.expires_at, c.updated_at) for c in consents],
            as_of=now,
            tz=self._settings.timezone_for(row.platform_id),
        )
        return VerificationView(
            verification_id=row.id,
            platform_id=row.platform_id,
            account_id=row.account_id,
            role=Role(row.role),
            id_type=IdType(row.id_type),
            status=VerificationStatus(row.status),
            reasons=tuple(row.reasons),
            masked_id_number=row.masked_id_number,
            age_band=decision.age_band,  # the eligibility rules computed it at the same instant
            eligibility=decision.eligibility,
            eligibility_reasons=decision.reasons,
            eligibility_changes_at=decision.changes_at,
            subject_digest=row.subject_digest,
            provider=row.provider,
            verified_at=row.verified_at,
            reverify_by=row.reverify_by,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    def _result_values(self, result: ProviderResult, now: datetime, platform_id: str) -> dict[str, Any]:
        """The columns a provider's answer sets on a verification."""
        status = _STATUS_BY_OUTCOME[result.outcome]
        _verifications.add(1, {"status": status.value, "provider": self._provider.name})
        values: dict[str, Any] = {
            "status": status.value,
            "reasons": list(result.reasons or _DEFAULT_REASONS[result.outcome]),
            "provider": self._provider.name,
            "provider_reference": result.reference,
            "updated_at": now,
        }
        if status is VerificationStatus.VERIFIED:
            values["verified_at"] = now
            # Months counted on the platform's calendar (China time by default), not UTC's.
            values["reverify_by"] = add_months(
                now, self._settings.reverify_months, self._settings.timezone_for(platform_id)
            )
        return values

    def _apply_result(self, row: store.VerificationRow, result: ProviderResult, now: datetime) -> None:
        for column, value in self._result_values(result, now, row.platform_id).items():
            setattr(row, column, value)

    async def verify_identity(
        self,
        *,
        platform_id: str,
        account_id: str,
        role: Role | None,
        name: str,
        id_type: IdType | None,
        id_number: str,
        reverify: bool = False,
    ) -> VerificationView:
        require_caller(CallerRole.PLATFORM, platform_id=platform_id)
        violations: list[FieldViolation] = []
        check_identifier(violations, "platform_id", platform_id)
        check_identifier(violations, "account_id", account_id)
        if role is None:
            violations.append(FieldViolation("role", "must be ROOM_OPERATOR or LIVE_MARKETER", "REQUIRED"))
        if role is Role.LIVE_MARKETER and id_type is IdType.USCC:
            violations.append(
                FieldViolation("person.id_type", "a live marketer is a person: use RESIDENT_ID", "NOT_A_PERSON")
            )
        person = self._person(
            violations, "person", name=name, id_type=id_type, id_number=id_number, platform_id=platform_id
        )
        require(violations)
        assert person is not None and role is not None
        key = {"platform_id": platform_id, "account_id": account_id, "person_digest": person.person_digest}
        now = self._clock.now()
        inline = self._inline_provider

        def look(session: Session) -> _Lookup:
            # One read-only unit: the person's verification for this account, and, when it stands as it
            # is (an idempotent repeat), the consents its view needs; else the provider's answer when
            # that is only a read of this same database. Nothing here takes SQLite's write lock.
            conn = session.connection()
            row = store.verification_of_person(conn, **key)
            if row is not None and not reverify:
                if row.status == _PENDING:
                    return _Lookup(row, pending=True)
                if row.status == _VERIFIED and (row.reverify_by is None or now < row.reverify_by):
                    return _Lookup(row, view=self._verification_view(row, store.consent_facts_of(conn, row), now))
            answer = inline(conn, person.name, person.normalized) if inline is not None else None
            return _Lookup(row, answer=answer)

        found = await self._db.read(look)
        if found.view is not None:
            return found.view
        if found.pending:
            assert found.row is not None
            return await self._poll(found.row.id, platform_id)

        result = found.answer
        if result is None:  # the provider is asked outside any transaction: it may take seconds
            result = await self._provider.submit(name=person.name, id_number=person.normalized)
        now = self._clock.now()
        values = self._result_values(result, now, platform_id)
        fresh: dict[str, Any] | None = None
        if found.row is None:
            # Encrypted before the write transaction starts, so that it holds the write lock briefly.
            row_id = store.new_id()
            key_id, name_ct = self._keyring.encrypt(person.name, aad=_aad("verifications", "name", row_id))
            _, number_ct = self._keyring.encrypt(person.normalized, aad=_aad("verifications", "id_number", row_id))
            fresh = {
                "id": row_id,
                **key,
                "role": role.value,
                "id_type": person.id_type.value,
                "subject_digest": person.subject_digest,
                "key_id": key_id,
                "name_ciphertext": name_ct,
                "id_number_ciphertext": number_ct,
                "masked_id_number": mask_id_number(person.normalized),
                "birth_date": person.check.birth_date,
                "verified_at": None,
                "reverify_by": None,
                "created_at": now,
                **values,
            }

        def save(session: Session) -> VerificationView | None:
            conn = session.connection()
            if fresh is not None and store.insert_verification(conn, fresh):
                return None  # built outside the transaction: a new verification has no consents yet
            # The person has a verification for this account (found before, or inserted meanwhile by a
            # concurrent identical request): it takes this answer.
            row = store.update_verification(conn, **key, values={"role": role.value, **values})
            assert row is not None  # verifications are never deleted
            return self._verification_view(row, store.consent_facts_of(conn, row), now)

        view = await self._db.run(save)
        if view is None:
            assert fresh is not None
            view = self._verification_view(_NewVerification(**fresh), (), now)
        return view

    async def _poll(self, verification_id: str, platform_id: str) -> VerificationView:
        row = await self._db.read(
            lambda s: store.find_verification(s, platform_id=platform_id, verification_id=verification_id)
        )
        if row is None:
            raise NotFound("no such verification", reason="VERIFICATION_NOT_FOUND")
        if row.status == VerificationStatus.PENDING.value and row.provider_reference:
            result = await self._provider.poll(row.provider_reference)
            if result.outcome is not ProviderOutcome.PENDING:
                now = self._clock.now()

                def update(session: Session) -> None:
                    fresh = session.get(store.VerificationRow, verification_id)
                    if fresh is not None and fresh.status == VerificationStatus.PENDING.value:
                        self._apply_result(fresh, result, now)

                await self._db.run(update)
        now = self._clock.now()
        return await self._db.read(
            lambda s: self._view(s, s.get(store.VerificationRow, verification_id), now)  # type: ignore[arg-type]
        )

    async def get_verification(self, *, platform_id: str, verification_id: str) -> VerificationView:
        require_caller(CallerRole.PLATFORM, CallerRole.REVIEWER, platform_id=platform_id)
        violations: list[FieldViolation] = []
        check_identifier(violations, "platform_id", platform_id)
        check_identifier(violations, "verification_id", verification_id)
        require(violations)
        return await self._poll(verification_id, platform_id)

    async def check_eligibility(
        self, *, platform_id: str, account_id: str, as_of: datetime | None = None
    ) -> EligibilityView:
        require_caller(CallerRole.PLATFORM, CallerRole.REVIEWER, platform_id=platform_id)
        violations: list[FieldViolation] = []
        check_identifier(violations, "platform_id", platform_id)
        check_identifier(violations, "account_id", account_id)
        if as_of is not None and not _EARLIEST_AS_OF <= as_of <= _LATEST_AS_OF:
            violations.append(
                FieldViolation("as_of", "must be between 1900-01-01 and 2200-01-01 (UTC)", "OUT_OF_RANGE")
            )
        require(violations)
        when = as_of or self._clock.now()
        tz = self._settings.timezone_for(platform_id)

        def decide(session: Session) -> EligibilityView:
            conn = session.connection()
            row = store.latest_verification_record(conn, platform_id=platform_id, account_id=account_id)
            if row is None:
                return EligibilityView(decide_eligibility(None, [], as_of=when, tz=tz), "", "", None)
            consents = [
                ConsentFacts(ConsentStatus(c.status), c.expires_at, c.updated_at)
                for c in store.consent_facts_of(conn, row)
            ]
            decision = decide_eligibility(_verification_facts(row), consents, as_of=when, tz=tz)
            return EligibilityView(decision, row.id, row.subject_digest, row.reverify_by)

        return await self._db.read(decide)

    # --- guardian consent ---------------------------------------------------------------------

    async def request_guardian_consent(
        self,
        *,
        platform_id: str,
        account_id: str,
        guardian_name: str,
        guardian_id_type: IdType | None,
        guardian_id_number: str,
        relationship: GuardianRelationship | None,
        request_id: str = "",
    ) -> ConsentView:
        """A new REQUESTED consent; with a ``request_id`` already used on this platform, the consent that
        request created (the provider is not asked again), or INVALID_ARGUMENT if it was for another
        account, minor, guardian or relationship."""
        require_caller(CallerRole.PLATFORM, platform_id=platform_id)
        violations: list[FieldViolation] = []
        check_identifier(violations, "platform_id", platform_id)
        check_identifier(violations, "account_id", account_id)
        check_identifier(violations, "request_id", request_id, required=False)
        if relationship is None:
            violations.append(FieldViolation("relationship", "must be declared", "REQUIRED"))
        if guardian_id_type is IdType.USCC:
            violations.append(
                FieldViolation("guardian.id_type", "a guardian is a person: use RESIDENT_ID", "NOT_A_PERSON")
            )
        guardian = self._person(
            violations,
            "guardian",
            name=guardian_name,
            id_type=guardian_id_type,
            id_number=guardian_id_number,
            platform_id=platform_id,
        )
        require(violations)
        assert guardian is not None and relationship is not None
        if not request_id:
            return await self._request_consent(platform_id, account_id, guardian, relationship, request_id)
        # Resends arriving together wait for the first here, then find its consent.
        async with self._consent_requests.hold((platform_id, request_id)):
            return await self._request_consent(platform_id, account_id, guardian, relationship, request_id)

    async def _request_consent(
        self,
        platform_id: str,
        account_id: str,
        guardian: _Person,
        relationship: GuardianRelationship,
        request_id: str,
    ) -> ConsentView:
        now = self._clock.now()
        tz = self._settings.timezone_for(platform_id)

        def replay(row: store.ConsentRow, minor_id: str | None) -> ConsentView:
            return _replayed_consent(
                row,
                account_id=account_id,
                minor_verification_id=minor_id,
                guardian_subject_digest=guardian.subject_digest,
                relationship=relationship,
                now=self._clock.now(),
            )

        def look(session: Session) -> tuple[store.VerificationRow | None, ConsentView | None]:
            # The account's minor and, for a resend, the consent the first request created: a resend
            # is answered here, before the rules are applied again or the provider is asked.
            minor = store.latest_verification(session, platform_id=platform_id, account_id=account_id)
            earlier = (
                store.find_consent_by_request(session, platform_id=platform_id, request_id=request_id)
                if request_id
                else None
            )
            if earlier is None:
                return minor, None
            return minor, replay(earlier, minor.id if minor is not None else None)

        minor, replayed = await self._db.read(look)
        if replayed is not None:
            return replayed
        if minor is None or minor.status != VerificationStatus.VERIFIED.value or minor.birth_date is None:
            raise FailedPrecondition(
                "the account has no verified person to consent for",
                reason="MINOR_NOT_VERIFIED",
                violations=[PreconditionViolation("VERIFICATION", account_id, "verify the account first")],
            )
        if age_band(minor.birth_date, local_date(now, tz)) is not AgeBand.AGE_16_17:
            raise FailedPrecondition(
                "guardian consent applies to persons aged 16-17 only",
                reason="NOT_AGE_16_17",
                violations=[PreconditionViolation("AGE", account_id, "the account holder is not 16 or 17")],
            )
        if guardian.subject_digest == minor.subject_digest:
            raise FailedPrecondition(
                "a minor cannot be their own guardian",
                reason="SELF_GUARDIAN",
                violations=[PreconditionViolation("GUARDIAN", "guardian", "guardian and minor are one person")],
            )
        guardian_birth = guardian.check.birth_date
        if guardian_birth is None or age_band(guardian_birth, local_date(now, tz)) is not AgeBand.ADULT:
            raise FailedPrecondition(
                "the guardian must be an adult",
                reason="GUARDIAN_NOT_ADULT",
                violations=[PreconditionViolation("AGE", "guardian", "the guardian is under 18")],
            )
        result = await self._provider.submit(name=guardian.name, id_number=guardian.normalized)
        if result.outcome is ProviderOutcome.PENDING and result.reference:
            result = await self._provider.poll(result.reference)
        if result.outcome is not ProviderOutcome.MATCH:
            reason = (
                "GUARDIAN_VERIFICATION_PENDING"
                if result.outcome is ProviderOutcome.PENDING
                else "GUARDIAN_NOT_VERIFIED"
            )
            raise FailedPrecondition(
                "the guardian's identity is not verified",
                reason=reason,
                violations=[PreconditionViolation("VERIFICATION", "guardian", ",".join(result.reasons) or reason)],
            )
        minor_id, birth = minor.id, minor.birth_date
        now = self._clock.now()

        def save(session: Session) -> ConsentView:
            if request_id:  # another replica may have written it since the look
                earlier = store.find_consent_by_request(session, platform_id=platform_id, request_id=request_id)
                if earlier is not None:
                    return replay(earlier, minor_id)
            row_id = store.new_id()
            key_id, name_ct = self._keyring.encrypt(guardian.name, aad=_aad("guardian_consents", "name", row_id))
            _, number_ct = self._keyring.encrypt(
                guardian.normalized, aad=_aad("guardian_consents", "id_number", row_id)
            )
            row = store.ConsentRow(
                id=row_id,
                platform_id=platform_id,
                account_id=account_id,
                minor_verification_id=minor_id,
                status=ConsentStatus.REQUESTED.value,
                relationship=relationship.value,
                guardian_subject_digest=guardian.subject_digest,
                key_id=key_id,
                guardian_name_ciphertext=name_ct,
                guardian_id_number_ciphertext=number_ct,
                guardian_masked_id_number=mask_id_number(guardian.normalized),
                evidence_ref="",
                consent_text_version="",
                revoke_reason="",
                requested_at=now,
                expires_at=consent_expiry(birth, tz),
                updated_at=now,
                request_id=request_id or None,
            )
            session.add(row)
            session.flush()
            return _consent_view(row, now)

        try:
            return await self._db.run(save)
        except IntegrityError:
            if not request_id:
                raise
            return await self._db.run(save)  # the same request_id raced in: answer with the first

    async def _change_consent(
        self,
        *,
        platform_id: str,
        consent_id: str,
        violations: list[FieldViolation],
        allowed: tuple[ConsentStatus, ...],
        change: str,
        apply: object,
    ) -> ConsentView:
        check_identifier(violations, "platform_id", platform_id)
        check_identifier(violations, "consent_id", consent_id)
        require(violations)
        now = self._clock.now()

        def update(session: Session) -> ConsentView:
            row = session.scalars(
                select(store.ConsentRow)
                .where(store.ConsentRow.id == consent_id, store.ConsentRow.platform_id == platform_id)
                .with_for_update()
            ).first()
            if row is None:
                raise NotFound("no such consent", reason="CONSENT_NOT_FOUND")
            status = consent_status_at(_consent_facts(row), now)
            if status not in allowed:
                raise FailedPrecondition(
                    f"a {status.value} consent cannot be {change}",
                    reason="CONSENT_STATE",
                    violations=[PreconditionViolation("STATUS", consent_id, f"consent is {status.value}")],
                )
            apply(row, now)  # type: ignore[operator]
            row.updated_at = now
            session.flush()
            return _consent_view(row, now)

        return await self._db.run(update)

    async def confirm_guardian_consent(
        self, *, platform_id: str, consent_id: str, evidence_ref: str, consent_text_version: str
    ) -> ConsentView:
        require_caller(CallerRole.PLATFORM, platform_id=platform_id)
        violations: list[FieldViolation] = []
        check_text(violations, "evidence_ref", evidence_ref, max_length=512)
        check_text(violations, "consent_text_version", consent_text_version, max_length=64)

        def grant(row: store.ConsentRow, now: datetime) -> None:
            row.status = ConsentStatus.GRANTED.value
            row.granted_at = now
            row.evidence_ref = evidence_ref.strip()
            row.consent_text_version = consent_text_version.strip()

        return await self._change_consent(
            platform_id=platform_id,
            consent_id=consent_id,
            violations=violations,
            allowed=(ConsentStatus.REQUESTED,),
            change="confirmed",
            apply=grant,
        )

    async def revoke_guardian_consent(self, *, platform_id: str, consent_id: str, reason: str) -> ConsentView:
        require_caller(CallerRole.PLATFORM, platform_id=platform_id)
        violations: list[FieldViolation] = []
        check_text(violations, "reason", reason, max_length=512)

        def revoke(row: store.ConsentRow, now: datetime) -> None:
            row.status = ConsentStatus.REVOKED.value
            row.revoked_at = now
            row.revoke_reason = reason.strip()

        return await self._change_consent(
            platform_id=platform_id,
            consent_id=consent_id,
            violations=violations,
            allowed=(ConsentStatus.REQUESTED, ConsentStatus.GRANTED),
            change="revoked",
            apply=revoke,
        )

    async def list_guardian_consents(
        self, *, platform_id: str, account_id: str, page_size_requested: int = 0, page_token: str = ""
    ) -> tuple[list[ConsentView], str]:
        require_caller(CallerRole.PLATFORM, CallerRole.REVIEWER, platform_id=platform_id)
        violations: list[FieldViolation] = []
        check_identifier(violations, "platform_id", platform_id)
        check_identifier(violations, "account_id", account_id)
        size = page_size(violations, "page_size", page_size_requested)
        offset = 0
        try:
            offset = decode_page_token(page_token)
        except Exception as exc:  # collect with the others
            violations.extend(getattr(exc, "violations", ()))
        require(violations)
        now = self._clock.now()
        rows = await self._db.read(
            lambda s: store.list_consents(
                s, platform_id=platform_id, account_id=account_id, limit=size + 1, offset=offset
            )
        )
        next_token = encode_page_token(offset + size) if len(rows) > size else ""
        return [_consent_view(r, now) for r in rows[:size]], next_token

    # --- broadcast checks ---------------------------------------------------------------------

    async def record_broadcast_check(
        self,
        *,
        platform_id: str,
        account_id: str,
        session_id: str,
        passed: bool,
        method: BroadcastCheckMethod | None,
        checked_at: datetime | None,
        request_id: str,
    ) -> BroadcastCheckView:
        require_caller(CallerRole.PLATFORM, platform_id=platform_id)
        now = self._clock.now()
        violations: list[FieldViolation] = []
        check_identifier(violations, "platform_id", platform_id)
        check_identifier(violations, "account_id", account_id)
        check_identifier(violations, "session_id", session_id)
        check_identifier(violations, "request_id", request_id, required=False)
        if method is None:
            violations.append(FieldViolation("method", "must name how the person on camera was checked", "REQUIRED"))
        check_not_future(violations, "checked_at", checked_at, now=now)
        require(violations)
        assert method is not None
        key = request_id or store.new_id()

        def save(session: Session) -> BroadcastCheckView:
            existing = store.find_broadcast_check_by_request(session, platform_id=platform_id, request_id=key)
            if existing is not None:
                return _check_view(existing)
            row = store.BroadcastCheckRow(
                id=store.new_id(),
                platform_id=platform_id,
                account_id=account_id,
                session_id=session_id,
                request_id=key,
                passed=passed,
                method=method.value,
                checked_at=checked_at or now,
                recorded_at=now,
            )
            session.add(row)
            session.flush()
            return _check_view(row)

        try:
            return await self._db.run(save)
        except IntegrityError:  # the same request_id raced in: answer with the first
            return await self._db.run(save)

    async def get_broadcast_check(self, *, platform_id: str, account_id: str, session_id: str) -> BroadcastCheckView:
        require_caller(CallerRole.PLATFORM, CallerRole.REVIEWER, platform_id=platform_id)
        violations: list[FieldViolation] = []
        check_identifier(violations, "platform_id", platform_id)
        check_identifier(violations, "account_id", account_id)
        check_identifier(violations, "session_id", session_id)
        require(violations)
        row = await self._db.read(
            lambda s: store.latest_broadcast_check(
                s, platform_id=platform_id, account_id=account_id, session_id=session_id
            )
        )
        if row is None:
            raise NotFound("no broadcast check recorded for this session", reason="BROADCAST_CHECK_NOT_FOUND")
        return _check_view(row)

    # --- key rotation -------------------------------------------------------------------------

    def rotate_keys(self, *, batch_size: int = 500) -> int:
        """Re-encrypt every row not under the active key; returns how many rows changed. Resumable:
        each batch commits on its own, and rows already under the active key are skipped."""
        changed = 0
        for spec in _ENCRYPTED_COLUMNS:
            while True:
                done = self._db.run_sync(lambda session, spec=spec: self._rotate_batch(session, spec, batch_size))
                changed += done
                if done < batch_size:
                    break
        return changed

    def _rotate_batch(self, session: Session, spec: _EncryptedColumns, batch_size: int) -> int:
        model = spec.model
        rows = session.scalars(select(model).where(model.key_id != self._keyring.active_key_id).limit(batch_size)).all()
        for row in rows:
            new_key = row.key_id
            for label, attr in spec.columns:
                aad = _aad(spec.table, label, row.id)
                plain = self._keyring.decrypt(row.key_id, getattr(row, attr), aad=aad)
                new_key, blob = self._keyring.encrypt(plain, aad=aad)
                setattr(row, attr, blob)
            row.key_id = new_key
        return len(rows)


@dataclass(frozen=True, slots=True)
class _EncryptedColumns:
    model: type[store.VerificationRow] | type[store.ConsentRow]
    table: str
    columns: tuple[tuple[str, str], ...]
    """(label bound into the associated data, attribute holding the ciphertext)"""


_ENCRYPTED_COLUMNS = (
    _EncryptedColumns(
        store.VerificationRow, "verifications", (("name", "name_ciphertext"), ("id_number", "id_number_ciphertext"))
    ),
    _EncryptedColumns(
        store.ConsentRow,
        "guardian_consents",
        (("name", "guardian_name_ciphertext"), ("id_number", "guardian_id_number_ciphertext")),
    ),
)
