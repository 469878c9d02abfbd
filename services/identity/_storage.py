"""Storage of the identity service: tables and the queries on them. Names and numbers are stored
only as AES-GCM ciphertext and keyed digests; lookups by person go through the digest indexes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from livetrust.runtime import UtcDateTime, make_metadata

__all__ = [
    "Base",
    "BroadcastCheckRow",
    "ConsentRow",
    "RegistryPersonRow",
    "VerificationRow",
    "find_broadcast_check_by_request",
    "find_verification",
    "latest_broadcast_check",
    "latest_verification",
    "list_consents",
    "metadata",
    "new_id",
    "registry_has",
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
    __table_args__ = (Index("ix_guardian_consents_account", "platform_id", "account_id", "requested_at"),)

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


def registry_has(session: Session, *, subject_digest: str, name_digest: str) -> bool | None:
    """True if the registry knows this person, False if it knows the number under another name,
    None if it does not know the number at all."""
    row = session.get(RegistryPersonRow, subject_digest)
    if row is None:
        return None
    return row.name_digest == name_digest
