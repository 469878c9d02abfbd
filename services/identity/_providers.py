"""Verification providers: who answers "is this the real person?" behind one interface.

Two real implementations: :class:`LocalRegistryProvider` (a registry of known persons loaded by
``livetrust identity import-registry``; development and tests) and ``HttpProvider`` in
``_http_provider.py`` (an external eKYC / public-security check, asynchronous: submit, then poll).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import Connection

__all__ = ["InlineAnswer", "InlineProvider", "ProviderOutcome", "ProviderResult", "VerificationProvider"]


class ProviderOutcome(enum.Enum):
    MATCH = "MATCH"
    """Name and number belong to one real person."""
    NO_MATCH = "NO_MATCH"
    """The provider knows no such person (or the name does not fit the number)."""
    PENDING = "PENDING"
    """Submitted; ask again later with :meth:`VerificationProvider.poll`."""
    INCONCLUSIVE = "INCONCLUSIVE"
    """The provider could not decide; a person must review."""


@dataclass(frozen=True, slots=True)
class ProviderResult:
    outcome: ProviderOutcome
    reference: str = ""
    """The provider's id for the check, to poll a PENDING one."""
    reasons: tuple[str, ...] = ()
    """Stable reason codes from the provider, e.g. PROVIDER_NO_MATCH."""


class VerificationProvider(Protocol):
    name: str

    async def submit(self, *, name: str, id_number: str) -> ProviderResult:
        """Ask whether ``name`` and the normalized ``id_number`` belong to one real person."""
        ...

    async def poll(self, reference: str) -> ProviderResult:
        """The current answer for a check submitted earlier."""
        ...


#: A provider's answer computed from a connection to the service's own database, without I/O of its own.
InlineAnswer = Callable[[Connection, str, str], ProviderResult]


@runtime_checkable
class InlineProvider(Protocol):
    """A provider whose answer is only a read of the database the service itself uses (the local
    registry): the service may ask it inside a read it makes anyway, instead of in a unit of its own."""

    def inline_answer(self, db: Any) -> InlineAnswer | None:
        """``answer(connection, name, id_number)`` for a connection to ``db``, or None if this provider
        does not read ``db`` (then the service calls :meth:`VerificationProvider.submit`)."""
        ...


#: Builds the keyed digest the local registry stores instead of names and numbers.
Digester = Callable[[str, str], str]
