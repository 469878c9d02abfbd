"""API keys: stored hashed in the gateway's own database, held in memory by every gateway replica and
reloaded whenever the store's version moves, so a revocation takes effect without a restart."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import BigInteger, Float, Integer, String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from livetrust.errors import FieldViolation, NotFound, Unauthenticated, require
from livetrust.runtime import Database, Role, UtcDateTime, insert_on_conflict, make_metadata
from livetrust.validation import check_identifier

__all__ = ["ApiKey", "KeyRing", "create_key", "list_keys", "metadata", "revoke_key"]

metadata = make_metadata()
_log = logging.getLogger("livetrust.gateway.keys")
_PREFIX = "lt"
#: Roles an API key may carry (SERVICE is for livetrust's own services, never a key).
KEY_ROLES = (Role.PLATFORM.value, Role.REVIEWER.value, Role.ADMIN.value)


class Base(DeclarativeBase):
    metadata = metadata


class ApiKeyRow(Base):
    __tablename__ = "api_keys"

    key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    platform_id: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))
    secret_sha256: Mapped[str] = mapped_column(String(64))
    rate_per_second: Mapped[float | None] = mapped_column(Float)
    burst: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class KeyStoreVersion(Base):
    """One row whose number moves with every change to the keys: replicas poll it, not the keys."""

    __tablename__ = "key_store_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)


@dataclass(frozen=True, slots=True)
class ApiKey:
    key_id: str
    platform_id: str
    role: Role
    rate_per_second: float | None
    burst: int | None
    created_at: datetime
    revoked_at: datetime | None
    secret_sha256: str = ""


def _sha256(secret: str) -> str:
    # Keys are 256-bit random secrets: a fast hash is enough (no password stretching needed).
    return hashlib.sha256(secret.encode()).hexdigest()


def _bump(session: Session) -> None:
    # One atomic statement: a version read here and written back + 1 would let two concurrent changes
    # move it once, and a replica that loaded in between would never see the second (PostgreSQL).
    table = KeyStoreVersion.__table__
    session.execute(
        insert_on_conflict(table, session.get_bind().dialect.name)
        .values(id=1, version=1)
        .on_conflict_do_update(index_elements=[table.c.id], set_={"version": table.c.version + 1})
    )


def _key(row: ApiKeyRow) -> ApiKey:
    return ApiKey(
        row.key_id,
        row.platform_id,
        Role(row.role),
        row.rate_per_second,
        row.burst,
        row.created_at,
        row.revoked_at,
        row.secret_sha256,
    )


def create_key(
    db: Database,
    *,
    platform_id: str,
    role: str,
    now: datetime,
    rate_per_second: float | None = None,
    burst: int | None = None,
) -> tuple[ApiKey, str]:
    """A new key; the token is returned once and never stored (only its SHA-256 is)."""
    violations: list[FieldViolation] = []
    check_identifier(violations, "platform", platform_id)
    if role not in KEY_ROLES:
        violations.append(FieldViolation("role", f"one of {', '.join(KEY_ROLES)}", "UNKNOWN_ROLE"))
    require(violations)
    key_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    row = ApiKeyRow(
        key_id=key_id,
        platform_id=platform_id,
        role=role,
        secret_sha256=_sha256(secret),
        rate_per_second=rate_per_second,
        burst=burst,
        created_at=now,
        revoked_at=None,
    )

    def save(session: Session) -> ApiKey:
        session.add(row)
        _bump(session)
        session.flush()
        return _key(row)

    return db.run_sync(save), f"{_PREFIX}_{key_id}_{secret}"


def list_keys(db: Database) -> list[ApiKey]:
    return db.run_sync(lambda s: [_key(r) for r in s.scalars(select(ApiKeyRow).order_by(ApiKeyRow.created_at))])


def revoke_key(db: Database, *, key_id: str, now: datetime) -> ApiKey:
    def revoke(session: Session) -> ApiKey:
        row = session.get(ApiKeyRow, key_id, with_for_update=True)  # a concurrent revocation keeps its time
        if row is None:
            raise NotFound(f"no key {key_id}", reason="KEY_NOT_FOUND")
        if row.revoked_at is None:
            row.revoked_at = now
            _bump(session)
        session.flush()
        return _key(row)

    return db.run_sync(revoke)


def _parse(token: str) -> tuple[str, str] | None:
    prefix, _, rest = token.partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != _PREFIX or not key_id or not secret:
        return None
    return key_id, secret


class KeyRing:
    """Every key in memory (they are few), refreshed when the store's version moves."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._keys: dict[str, ApiKey] = {}
        self._version: int | None = None

    def _read(self, session: Session) -> tuple[int, dict[str, ApiKey]]:
        version = session.scalar(select(KeyStoreVersion.version).where(KeyStoreVersion.id == 1)) or 0
        return version, {r.key_id: _key(r) for r in session.scalars(select(ApiKeyRow))}

    async def refresh(self) -> None:
        version = await self._db.read(
            lambda s: s.scalar(select(KeyStoreVersion.version).where(KeyStoreVersion.id == 1)) or 0
        )
        if version != self._version:
            self._version, self._keys = await self._db.read(self._read)
            _log.info("api keys loaded", extra={"keys": len(self._keys), "version": self._version})

    async def follow(self, interval: float) -> None:
        while True:
            try:
                await self.refresh()
            except Exception as exc:  # keep serving with the keys we have; readiness reports the database
                _log.warning("api key refresh failed", extra={"error": type(exc).__name__})
            await asyncio.sleep(interval)

    async def authenticate(self, token: str) -> ApiKey:
        parsed = _parse(token)
        if parsed is None:
            raise Unauthenticated("malformed API key", reason="API_KEY_INVALID")
        key_id, secret = parsed
        key = self._keys.get(key_id)
        if key is None:  # created since the last refresh: look once more
            await self.refresh()
            key = self._keys.get(key_id)
        if key is None or not hmac.compare_digest(key.secret_sha256, _sha256(secret)):
            raise Unauthenticated("unknown API key", reason="API_KEY_INVALID")
        if key.revoked_at is not None:
            raise Unauthenticated("this API key has been revoked", reason="API_KEY_REVOKED")
        return key

    @property
    def keys(self) -> Sequence[ApiKey]:
        return list(self._keys.values())
