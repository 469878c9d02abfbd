"""Who is calling: the gateway authenticates API keys and tells services through signed metadata.

A service trusts caller metadata only when its HMAC signature (HS256 JWT under the shared
``LIVETRUST_CALLER_SECRET``) verifies, so a direct call with forged metadata is refused.
"""

from __future__ import annotations

import contextvars
import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from livetrust.errors import PermissionDenied, Unauthenticated

__all__ = [
    "CALLER_METADATA_KEY",
    "Caller",
    "Role",
    "current_caller",
    "require_caller",
    "sign_caller",
    "verify_caller",
]

#: Metadata key carrying the gateway-signed caller token.
CALLER_METADATA_KEY = "x-livetrust-caller"
_ISSUER = "livetrust-gateway"


class Role(enum.StrEnum):
    PLATFORM = "PLATFORM"
    """A platform backend, acting for its own platform only."""
    REVIEWER = "REVIEWER"
    """The industry association or a regulator: reviews, reads across platforms."""
    ADMIN = "ADMIN"
    """Operators of livetrust itself."""
    SERVICE = "SERVICE"
    """Another livetrust service (e.g. credit telling retention about key rooms); never an API key."""


@dataclass(frozen=True, slots=True)
class Caller:
    platform_id: str
    role: Role
    key_id: str

    @property
    def label(self) -> str:
        """How records name the actor: ``ROLE:platform:key``."""
        return f"{self.role.value}:{self.platform_id}:{self.key_id}"


#: The authenticated caller of the RPC being served; None for anonymous or direct calls.
current_caller: contextvars.ContextVar[Caller | None] = contextvars.ContextVar("current_caller", default=None)


def sign_caller(caller: Caller, secret: bytes, *, now: datetime, ttl: timedelta = timedelta(minutes=5)) -> str:
    claims = {
        "iss": _ISSUER,
        "sub": caller.key_id,
        "platform_id": caller.platform_id,
        "role": caller.role.value,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def service_caller_metadata(service: str, secret: bytes, *, platform_id: str, now: datetime) -> list[tuple[str, str]]:
    """How one livetrust part identifies itself to another: a signed SERVICE caller acting for
    ``platform_id``, keyed ``service:<service>`` in records (never an API key)."""
    caller = Caller(platform_id=platform_id, role=Role.SERVICE, key_id=f"service:{service}")
    return [(CALLER_METADATA_KEY, sign_caller(caller, secret, now=now))]


def verify_caller(token: str, secret: bytes, *, now: datetime) -> Caller:
    """The caller a gateway-signed token names; :class:`Unauthenticated` if it does not verify."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            issuer=_ISSUER,
            options={"require": ["exp", "iat", "sub"], "verify_iat": False},
            leeway=5,
        )
        if claims["exp"] < now.timestamp() - 5:
            raise jwt.ExpiredSignatureError
        return Caller(platform_id=str(claims["platform_id"]), role=Role(claims["role"]), key_id=str(claims["sub"]))
    except (jwt.PyJWTError, KeyError, ValueError) as exc:
        raise Unauthenticated("caller metadata does not verify", reason="CALLER_METADATA_INVALID") from exc


def require_caller(*roles: Role, platform_id: str | None = None) -> Caller:
    """The current caller, if it has one of ``roles``; a PLATFORM caller must also own ``platform_id``, and a
    SERVICE caller acts for the platform its token names."""
    caller = current_caller.get()
    if caller is None:
        raise Unauthenticated("this call needs an authenticated caller", reason="NO_CALLER")
    if roles and caller.role not in roles:
        raise PermissionDenied(f"role {caller.role.value} may not do this", reason="ROLE_NOT_ALLOWED")
    if platform_id is not None and caller.role in (Role.PLATFORM, Role.SERVICE) and caller.platform_id != platform_id:
        raise PermissionDenied("a platform may only act for itself", reason="OTHER_PLATFORM")
    return caller
