"""Storage of the identity service: tables and the queries on them. Names and numbers are stored
only as AES-GCM ciphertext and keyed digests; lookups by person go through the digest indexes."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, Protocol, cast

from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    Date,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Table,
    UniqueConstraint,
    bindparam,
    select,
    update,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from livetrust.runtime import UtcDateTime, insert_on_conflict, make_metadata

__all__ = [
    "Base",
    "BroadcastCheckRow",
    "ConsentRow",
    "RegistryPersonRow",
    "VerificationRecord",
    "VerificationRow",
    "consent_facts_of",
    "find_broadcast_check_by_request",
    "find_consent_by_request",
    "find_verification",
    "insert_verification",
    "latest_broadcast_check",
    "latest_verification",
    "latest_verification_record",
    "list_consents",
    "metadata",
    "new_id",
    "registry_has",
    "update_verification",
    "verification_of_person",
]

metadata = make_metadata()
_ID = 36
_REF = 128


def new_id() -> str:
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    metadata = metadata


class VerificationRow(Base):
    __tablename__ = "verifications"
    __table_args__ = (
        UniqueConstraint("platform_id", "account_id", "person_digest"),
        Index("ix_verifications_account_latest", "platform_id", "account_id", "updated_at"),
    )

    id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    platform_id: Mapped[str] = mapped_column(String(_REF))
    account_id: Mapped[str] = mapped_column(String(_REF))
    role: Mapped[str] = mapped_column(String(32))
    id_type: Mapped[str] = mapped_column(String(16))
    subject_digest: Mapped[str] = mapped_column(String(64), index=True)
    person_digest: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(64))
    name_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    id_number_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    masked_id_number: Mapped[str] = mapped_column(String(32))
    birth_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    provider: Mapped[str] = mapped_column(String(32))
    provider_reference: Mapped[str] = mapped_column(String(_REF), default="")
    verified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reverify_by: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ConsentRow(Base):
    __tablename__ = "guardian_consents"
    __table_args__ = (
        # NULL request_ids (requests sent without one) never collide, on SQLite nor on PostgreSQL.
        UniqueConstraint("platform_id", "request_id"),
        Index("ix_guardian_consents_account", "platform_id", "account_id", "requested_at"),
    )

    id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    platform_id: Mapped[str] = mapped_column(String(_REF))
    account_id: Mapped[str] = mapped_column(String(_REF))
    minor_verification_id: Mapped[str] = mapped_column(ForeignKey("verifications.id"))
    status: Mapped[str] = mapped_column(String(16))
    relationship: Mapped[str] = mapped_column(String(32))
    guardian_subject_digest: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(64))
    guardian_name_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    guardian_id_number_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    guardian_masked_id_number: Mapped[str] = mapped_column(String(32))
    evidence_ref: Mapped[str] = mapped_column(String(512), default="")
    consent_text_version: Mapped[str] = mapped_column(String(64), default="")
    revoke_reason: Mapped[str] = mapped_column(String(512), default="")
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    granted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    request_id: Mapped[str | None] = mapped_column(String(_REF))


class BroadcastCheckRow(Base):
    __tablename__ = "broadcast_checks"
    __table_args__ = (
        UniqueConstraint("platform_id", "request_id"),
        Index("ix_broadcast_checks_session", "platform_id", "account_id", "session_id", "checked_at"),
    )

    id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    platform_id: Mapped[str] = mapped_column(String(_REF))
    account_id: Mapped[str] = mapped_column(String(_REF))
    session_id: Mapped[str] = mapped_column(String(_REF))
    request_id: Mapped[str] = mapped_column(String(_REF))
    passed: Mapped[bool] = mapped_column(Boolean)
    method: Mapped[str] = mapped_column(String(32))
    checked_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RegistryPersonRow(Base):
    """A person known to the local verification registry, by digests only."""

    __tablename__ = "registry_persons"

    subject_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_digest: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime)


def find_verification(
    session: Session,
    *,
    platform_id: str,
    account_id: str | None = None,
    person_digest: str | None = None,
    verification_id: str | None = None,
) -> VerificationRow | None:
    query = select(VerificationRow).where(VerificationRow.platform_id == platform_id)
    if verification_id is not None:
        query = query.where(VerificationRow.id == verification_id)
    if account_id is not None:
        query = query.where(VerificationRow.account_id == account_id)
    if person_digest is not None:
        query = query.where(VerificationRow.person_digest == person_digest)
    return session.scalars(query.limit(1)).first()


def latest_verification(session: Session, *, platform_id: str, account_id: str) -> VerificationRow | None:
    query = (
        select(VerificationRow)
        .where(VerificationRow.platform_id == platform_id, VerificationRow.account_id == account_id)
        .order_by(VerificationRow.updated_at.desc(), VerificationRow.id)
        .limit(1)
    )
    return session.scalars(query).first()


def list_consents(
    session: Session, *, platform_id: str, account_id: str, limit: int | None = None, offset: int = 0
) -> Sequence[ConsentRow]:
    query = (
        select(ConsentRow)
        .where(ConsentRow.platform_id == platform_id, ConsentRow.account_id == account_id)
        .order_by(ConsentRow.requested_at.desc(), ConsentRow.id)
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    return session.scalars(query).all()


def latest_broadcast_check(
    session: Session, *, platform_id: str, account_id: str, session_id: str
) -> BroadcastCheckRow | None:
    query = (
        select(BroadcastCheckRow)
        .where(
            BroadcastCheckRow.platform_id == platform_id,
            BroadcastCheckRow.account_id == account_id,
            BroadcastCheckRow.session_id == session_id,
        )
        .order_by(BroadcastCheckRow.checked_at.desc(), BroadcastCheckRow.recorded_at.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def find_broadcast_check_by_request(session: Session, *, platform_id: str, request_id: str) -> BroadcastCheckRow | None:
    query = select(BroadcastCheckRow).where(
        BroadcastCheckRow.platform_id == platform_id, BroadcastCheckRow.request_id == request_id
    )
    return session.scalars(query).first()


def find_consent_by_request(session: Session, *, platform_id: str, request_id: str) -> ConsentRow | None:
    """The consent a RequestGuardianConsent with this request_id created, if any."""
    query = select(ConsentRow).where(ConsentRow.platform_id == platform_id, ConsentRow.request_id == request_id)
    return session.scalars(query).first()


def registry_has(session: Session | Connection, *, subject_digest: str, name_digest: str) -> bool | None:
    """True if the registry knows this person, False if it knows the number under another name,
    None if it does not know the number at all."""
    conn = session.connection() if isinstance(session, Session) else session
    known = conn.execute(_REGISTRY_NAME, {"subject_digest": subject_digest}).scalar()
    if known is None:
        return None
    return bool(known == name_digest)


# --- the verification hot path, in Core ----------------------------------------------------------
# VerifyIdentity runs these on every call: statements built once (their cache keys are memoized on
# the statement objects) and executed on the session's connection, without the ORM's identity map
# and unit of work. Rows come back as plain Core rows with the same attribute names as the models.


class VerificationRecord(Protocol):
    """What the use cases read of a verification: a :class:`VerificationRow` or a Core row of its table."""

    @property
    def id(self) -> str: ...
    @property
    def platform_id(self) -> str: ...
    @property
    def account_id(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def id_type(self) -> str: ...
    @property
    def subject_digest(self) -> str: ...
    @property
    def masked_id_number(self) -> str: ...
    @property
    def birth_date(self) -> date | None: ...
    @property
    def status(self) -> str: ...
    @property
    def reasons(self) -> list[str]: ...
    @property
    def provider(self) -> str: ...
    @property
    def provider_reference(self) -> str: ...
    @property
    def verified_at(self) -> datetime | None: ...
    @property
    def reverify_by(self) -> datetime | None: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def updated_at(self) -> datetime: ...


_VERIFICATIONS = cast(Table, VerificationRow.__table__)
_CONSENTS = cast(Table, ConsentRow.__table__)
_REGISTRY = cast(Table, RegistryPersonRow.__table__)
_v, _c = _VERIFICATIONS.c, _CONSENTS.c
_PERSON_KEY = ("platform_id", "account_id", "person_digest")

_REGISTRY_NAME = select(_REGISTRY.c.name_digest).where(_REGISTRY.c.subject_digest == bindparam("subject_digest"))
# What a VerificationRecord is read with: not the ciphertexts, which no answer needs.
_SECRET_COLUMNS = frozenset({"key_id", "name_ciphertext", "id_number_ciphertext"})
_RECORD_COLUMNS = tuple(column for column in _VERIFICATIONS.c if column.name not in _SECRET_COLUMNS)
_VERIFICATION_OF_PERSON = (
    select(*_RECORD_COLUMNS)
    .where(
        _v.platform_id == bindparam("platform_id"),
        _v.account_id == bindparam("account_id"),
        _v.person_digest == bindparam("person_digest"),
    )
    .limit(1)
)
_LATEST_VERIFICATION = (
    select(*_RECORD_COLUMNS)
    .where(_v.platform_id == bindparam("platform_id"), _v.account_id == bindparam("account_id"))
    .order_by(_v.updated_at.desc(), _v.id)
    .limit(1)
)
_CONSENT_FACTS = select(_c.status, _c.expires_at, _c.updated_at).where(
    _c.platform_id == bindparam("platform_id"),
    _c.account_id == bindparam("account_id"),
    _c.minor_verification_id == bindparam("verification_id"),
)
# preserve_rowcount: SQLAlchemy keeps the row count of an INSERT only when asked (psycopg's otherwise reads -1).
_INSERT_IF_ABSENT = {
    dialect: insert_on_conflict(_VERIFICATIONS, dialect)
    .on_conflict_do_nothing(index_elements=list(_PERSON_KEY))
    .execution_options(preserve_rowcount=True)
    for dialect in ("postgresql", "sqlite")
}


def verification_of_person(
    conn: Connection, *, platform_id: str, account_id: str, person_digest: str
) -> VerificationRecord | None:
    """The verification of one person (name and number) for one account: at most one exists."""
    params = {"platform_id": platform_id, "account_id": account_id, "person_digest": person_digest}
    return cast("VerificationRecord | None", conn.execute(_VERIFICATION_OF_PERSON, params).first())


def latest_verification_record(conn: Connection, *, platform_id: str, account_id: str) -> VerificationRecord | None:
    """:func:`latest_verification` as a record: what eligibility is decided on."""
    params = {"platform_id": platform_id, "account_id": account_id}
    return cast("VerificationRecord | None", conn.execute(_LATEST_VERIFICATION, params).first())


def consent_facts_of(conn: Connection, record: VerificationRecord) -> Sequence[Any]:
    """(status, expires_at, updated_at) of the consents given for the minor of ``record``."""
    params = {"platform_id": record.platform_id, "account_id": record.account_id, "verification_id": record.id}
    return conn.execute(_CONSENT_FACTS, params).all()


def insert_verification(conn: Connection, values: Mapping[str, Any]) -> bool:
    """Insert a new verification in one statement; False (nothing written) if this person already has
    one for this account, whether found before or inserted meanwhile by a concurrent request."""
    return conn.execute(_INSERT_IF_ABSENT[conn.dialect.name], dict(values)).rowcount == 1


def update_verification(
    conn: Connection, *, platform_id: str, account_id: str, person_digest: str, values: Mapping[str, Any]
) -> VerificationRecord | None:
    """Record a new provider answer on the person's existing verification; the row as it is now."""
    statement = (
        update(_VERIFICATIONS)
        .where(_v.platform_id == platform_id, _v.account_id == account_id, _v.person_digest == person_digest)
        .values(**values)
        .returning(*_RECORD_COLUMNS)
    )
    return cast("VerificationRecord | None", conn.execute(statement).first())
