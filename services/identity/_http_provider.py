"""An external verification provider reached over HTTP, and its signed callbacks.

This is *our* adapter's wire contract; a real eKYC / public-security integration maps onto it
(directly, or through a small shim in front of the vendor's API). All bodies are JSON.

``POST /v1/checks`` with ``{"name": ..., "id_number": ...}``
    Starts a check. ``202 {"check_id": "...", "status": "PENDING"}`` when the answer comes later,
    or ``200`` with a final status (same body as below) when the provider knows at once.

``GET /v1/checks/{check_id}``
    ``{"check_id": "...", "status": "PENDING"|"MATCH"|"NO_MATCH"|"INCONCLUSIVE", "reasons": [...]}``.
    ``reasons`` is optional; each code gets a ``PROVIDER_`` prefix unless it already has one.

Callbacks (``verify_callback``)
    The provider may push the same body as the ``GET`` answer to us, signed Stripe-style in a header
    ``t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>." + body>`` with the shared callback secret.

Every request carries ``Authorization: Bearer <api key>``. Failed connection attempts are retried
by the transport (twice); nothing else is, since a POST that reached the provider may have started a
check. A transport failure, timeout, 429 or 5xx raises :class:`~livetrust.errors.Unavailable` with
reason ``PROVIDER_UNAVAILABLE`` and a retry hint, and the caller decides when to try again. Any other
4xx, or a body that breaks this contract, is the provider's fault rather than the caller's, so it raises
``Unavailable`` with reason ``PROVIDER_PROTOCOL_ERROR``.

Privacy: the name and the identity number travel in the ``POST`` body only, never in a URL, an
exception message or a log line.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Self
from urllib.parse import quote

import httpx

from livetrust.errors import Unauthenticated, Unavailable
from livetrust.runtime import env_secret

from ._providers import ProviderOutcome, ProviderResult

__all__ = ["HttpProvider", "HttpProviderConfig", "sign_callback", "verify_callback"]

_DEPENDENCY = "verification-provider"
_RETRY_AFTER_SECONDS = 2.0
_TRANSPORT_RETRIES = 2
_REASON_PREFIX = "PROVIDER_"
_SIGNATURE_INVALID = "CALLBACK_SIGNATURE_INVALID"

# Explicit table rather than ProviderOutcome(value): the wire strings are a contract of their own
# and must not change just because the enum does.
_OUTCOMES: Mapping[str, ProviderOutcome] = {
    "PENDING": ProviderOutcome.PENDING,
    "MATCH": ProviderOutcome.MATCH,
    "NO_MATCH": ProviderOutcome.NO_MATCH,
    "INCONCLUSIVE": ProviderOutcome.INCONCLUSIVE,
}


@dataclass(frozen=True, slots=True)
class HttpProviderConfig:
    """Where and how to reach the provider. Build it with :meth:`from_env`."""

    base_url: str
    """``LIVETRUST_IDENTITY_PROVIDER_URL``: the provider's root, e.g. ``https://kyc.example.com``."""

    api_key: str = field(repr=False)
    """``LIVETRUST_IDENTITY_PROVIDER_API_KEY`` (or ``_FILE``): sent as ``Authorization: Bearer ...``."""

    timeout_seconds: float = 5.0
    """``LIVETRUST_IDENTITY_PROVIDER_TIMEOUT_SECONDS``: limit for connecting, and for each read/write."""

    callback_secret: bytes | None = field(default=None, repr=False)
    """``LIVETRUST_IDENTITY_PROVIDER_CALLBACK_SECRET`` (or ``_FILE``): key of the callback HMAC.
    None when the provider sends no callbacks (we poll)."""

    def __post_init__(self) -> None:
        if not self.base_url.startswith(("http://", "https://")):
            raise ValueError("verification provider URL must start with http:// or https://")
        if not self.api_key:
            raise ValueError("verification provider API key must not be empty")
        if self.timeout_seconds <= 0:
            raise ValueError("verification provider timeout must be positive")

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> HttpProviderConfig | None:
        """The configuration in ``env``, or None when no provider URL is set (use another provider)."""
        base_url = env.get("LIVETRUST_IDENTITY_PROVIDER_URL")
        if not base_url:
            return None
        api_key = env_secret("LIVETRUST_IDENTITY_PROVIDER_API_KEY", env)
        if not api_key:
            # Failing at start-up beats every check failing later with a 401.
            raise ValueError(
                "LIVETRUST_IDENTITY_PROVIDER_API_KEY (or _FILE) is required when LIVETRUST_IDENTITY_PROVIDER_URL is set"
            )
        return cls(
            base_url=base_url,
            api_key=api_key.decode(),
            timeout_seconds=float(env.get("LIVETRUST_IDENTITY_PROVIDER_TIMEOUT_SECONDS", 5.0)),
            callback_secret=env_secret("LIVETRUST_IDENTITY_PROVIDER_CALLBACK_SECRET", env),
        )


class HttpProvider:
    """:class:`~livetrust.identity._providers.VerificationProvider` backed by the HTTP contract above."""

    name = "http"

    def __init__(self, config: HttpProviderConfig, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        """``transport`` replaces the default (retrying) one, e.g. for tests; the config still applies."""
        self._client = httpx.AsyncClient(
            base_url=config.base_url,
            timeout=config.timeout_seconds,
            headers={"Authorization": f"Bearer {config.api_key}", "Accept": "application/json"},
            # httpx retries only failed connection attempts, which never reached the provider, so a
            # retried POST cannot start a second check.
            transport=transport or httpx.AsyncHTTPTransport(retries=_TRANSPORT_RETRIES),
        )

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def submit(self, *, name: str, id_number: str) -> ProviderResult:
        """Start a check; the answer is final or PENDING (then :meth:`poll` its ``reference``)."""
        response = await self._send("POST", "/v1/checks", body={"name": name, "id_number": id_number})
        return _parse_check(response.content)

    async def poll(self, reference: str) -> ProviderResult:
        """The current answer for the check ``reference`` returned by :meth:`submit`."""
        if not reference:
            raise ValueError("poll needs the reference of a submitted check")
        # Quoted so a reference can never add path segments or a query to the URL.
        response = await self._send("GET", f"/v1/checks/{quote(reference, safe='')}")
        result = _parse_check(response.content)
        if result.reference != reference:
            raise _protocol_error("verification provider answered for a different check")
        return result

    async def _send(self, method: str, url: str, *, body: object = None) -> httpx.Response:
        try:
            response = await self._client.request(method, url, json=body)
        except httpx.TransportError as exc:
            # `from None`: httpx errors hold the request, whose body has the name and number; keep
            # them out of the exception chain that error reporters record. The type name suffices.
            raise _unavailable(f"verification provider unreachable ({type(exc).__name__})") from None
        status = response.status_code
        if status == httpx.codes.TOO_MANY_REQUESTS:
            # Rate limiting is overload, not a broken contract: the caller should come back later.
            raise _unavailable("verification provider is rate limiting (HTTP 429)", _retry_after(response))
        if status >= 500:
            raise _unavailable(f"verification provider failed (HTTP {status})")
        if not 200 <= status < 300:
            raise _protocol_error(f"verification provider rejected the request (HTTP {status})")
        return response


def sign_callback(body: bytes, *, secret: bytes, now: datetime) -> str:
    """The signature header a provider sends with callback ``body`` at ``now``."""
    _require_aware(now)
    timestamp = int(now.timestamp())
    return f"t={timestamp},v1={_signature(body, timestamp, secret)}"


def verify_callback(
    body: bytes, signature_header: str, *, secret: bytes, now: datetime, tolerance_seconds: int = 300
) -> ProviderResult:
    """The result a signed callback carries.

    Raises :class:`~livetrust.errors.Unauthenticated` (``CALLBACK_SIGNATURE_INVALID``) unless the
    header is well formed, no further than ``tolerance_seconds`` from ``now`` (replay protection)
    and signs exactly ``body`` with ``secret``; ``Unavailable`` (``PROVIDER_PROTOCOL_ERROR``) when a
    correctly signed body breaks the contract.
    """
    _require_aware(now)
    timestamp: int | None = None
    signatures: list[str] = []
    for part in signature_header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError:
                raise _signature_invalid("callback signature timestamp is not a number") from None
        elif key == "v1":
            # Several v1 entries are allowed so the provider can sign with old and new secret
            # while a secret is being rotated.
            signatures.append(value)
    if timestamp is None or not signatures:
        raise _signature_invalid("callback signature header is malformed")
    if abs(now.timestamp() - timestamp) > tolerance_seconds:
        raise _signature_invalid("callback signature timestamp is outside the tolerance")
    expected = _signature(body, timestamp, secret)
    if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
        raise _signature_invalid("callback signature does not match")
    return _parse_check(body)


def _require_aware(now: datetime) -> None:
    # A naive datetime's timestamp() silently assumes local time and would shift the window.
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")


def _signature(body: bytes, timestamp: int, secret: bytes) -> str:
    return hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def _parse_check(content: bytes) -> ProviderResult:
    """A check body (POST/GET answer or callback) as a ProviderResult; anything off is a protocol error."""
    try:
        data = json.loads(content)
    except ValueError:
        # `from None`: a JSONDecodeError keeps the whole document, which may echo personal data.
        raise _protocol_error("verification provider sent a body that is not JSON") from None
    if not isinstance(data, dict):
        raise _protocol_error("verification provider sent a body that is not a JSON object")
    check_id = data.get("check_id")
    if not isinstance(check_id, str) or not check_id:
        raise _protocol_error("verification provider sent no check_id")
    status = data.get("status")
    outcome = _OUTCOMES.get(status) if isinstance(status, str) else None
    if outcome is None:
        raise _protocol_error("verification provider sent an unknown status")
    reasons = data.get("reasons", [])
    if not isinstance(reasons, list) or not all(isinstance(r, str) and r for r in reasons):
        raise _protocol_error("verification provider sent malformed reasons")
    return ProviderResult(
        outcome=outcome,
        reference=check_id,
        reasons=tuple(r if r.startswith(_REASON_PREFIX) else _REASON_PREFIX + r for r in reasons),
    )


def _retry_after(response: httpx.Response) -> float:
    """The provider's ``Retry-After`` in seconds (the delta form), else the default."""
    try:
        seconds = float(response.headers.get("Retry-After", ""))
    except ValueError:
        return _RETRY_AFTER_SECONDS
    return seconds if seconds > 0 else _RETRY_AFTER_SECONDS


def _unavailable(message: str, retry_after_seconds: float = _RETRY_AFTER_SECONDS) -> Unavailable:
    return Unavailable(
        message,
        reason="PROVIDER_UNAVAILABLE",
        metadata={"dependency": _DEPENDENCY},
        retry_after_seconds=retry_after_seconds,
    )


def _protocol_error(message: str) -> Unavailable:
    # No retry hint: asking again will not fix a broken contract or a rejected API key.
    return Unavailable(message, reason="PROVIDER_PROTOCOL_ERROR", metadata={"dependency": _DEPENDENCY})


def _signature_invalid(message: str) -> Unauthenticated:
    return Unauthenticated(message, reason=_SIGNATURE_INVALID)
