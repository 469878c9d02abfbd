"""Verification providers: who answers "is this the real person?" behind one interface.

Two real implementations: :class:`LocalRegistryProvider` (a registry of known persons loaded by
``livetrust identity import-registry``; development and tests) and ``HttpProvider`` in
``_http_provider.py`` (an external eKYC / public-security check, asynchronous: submit, then poll).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

__all__ = ["ProviderOutcome", "ProviderResult", "VerificationProvider"]


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


#: Builds the keyed digest the local registry stores instead of names and numbers.
Digester = Callable[[str, str], str]
