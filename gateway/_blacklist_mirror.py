"""Blacklist misses answered in the gateway, from a mirror of the registry's filter that it keeps fresh.

Nearly every lookup (each sign-up's, each ``CheckRegistration``'s) is for someone who is not listed. The
registry publishes a Bloom filter and a change log for exactly this (``livetrust.blacklist.client``): a miss
in the filter is final. The gateway keeps such a mirror and answers a ``Lookup`` itself when every digest is
a certain miss; anything else (a possible hit, a mirror not known to be current, a request the registry
must judge) goes to the registry as before, so a listed person is always answered by the registry.

The mirror is as current as the registry's own replicas are with each other (they follow each other's
writes by polling, ``LIVETRUST_BLACKLIST_FOLLOW_SECONDS``):
- it syncs every ``sync_seconds``;
- a blacklist write passing through this gateway fences it off from the moment it is forwarded until a
  sync that started after the registry's answer has completed (one starts at once), so the writer's next
  lookup through the same gateway sees the change, from the registry if need be;
- it answers only while the last successful sync started less than ``max_staleness_seconds`` ago and the
  channel to the registry is connected. A registry that stops is noticed when its connection drops, not
  at the next sync, and from then on lookups go to it and fail UNAVAILABLE as they would with no mirror.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import grpc
from google.protobuf.message import DecodeError
from opentelemetry import metrics

from livetrust.blacklist.client import BlacklistMirror
from livetrust.blacklist.v1 import blacklist_pb2

from ._proxy import MethodHooks

__all__ = ["FreshMirror", "MirrorConfig", "proxy_hooks"]

_log = logging.getLogger("livetrust.gateway")
_DIGEST_RE = re.compile(r"[0-9a-f]{64}")
_MAX_LOOKUP_DIGESTS = 1000  # the registry's own limit: larger requests go to it for their violation
_READY = grpc.ChannelConnectivity.READY
_DEFAULT_SYNC_SECONDS = 0.5  # as often as the registry's replicas follow each other
_DEFAULT_MAX_STALENESS_SECONDS = 2.0
_answers = metrics.get_meter("livetrust").create_counter(
    "livetrust.gateway.blacklist_lookups",
    description="Blacklist Lookup calls through the gateway, by who answered (gateway: a certain miss in its mirror)",
)
_REGISTRY = blacklist_pb2.DESCRIPTOR.services_by_name["BlacklistService"]
#: Registry methods that change nothing. Every other unary one may list someone, so it fences the mirror
#: off (a method added later is treated as a write until it is named here).
_READ_ONLY = frozenset(
    {"Lookup", "LookupByPrefix", "GetEntry", "ListEntries", "ListChanges", "GetFilter", "VerifyAuditLog"}
)
#: Answers to a write that mean the registry refused it, so nothing was committed.
_REFUSED = frozenset(
    {
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.NOT_FOUND,
        grpc.StatusCode.ALREADY_EXISTS,
        grpc.StatusCode.PERMISSION_DENIED,
        grpc.StatusCode.UNAUTHENTICATED,
        grpc.StatusCode.FAILED_PRECONDITION,
        grpc.StatusCode.ABORTED,
        grpc.StatusCode.OUT_OF_RANGE,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
    }
)
_BY_GATEWAY = {"answered_by": "gateway"}
_BY_REGISTRY = {"answered_by": "registry"}


@dataclass(frozen=True, slots=True)
class MirrorConfig:
    """How the gateway's blacklist mirror is kept current (``LIVETRUST_GATEWAY_BLACKLIST_MIRROR_*``)."""

    enabled: bool = True
    """False: no mirror, every lookup goes to the registry (``LIVETRUST_GATEWAY_BLACKLIST_MIRROR=off``)."""
    sync_seconds: float = _DEFAULT_SYNC_SECONDS
    """Pause between syncs: how long a change made elsewhere may take to reach this gateway."""
    max_staleness_seconds: float = _DEFAULT_MAX_STALENESS_SECONDS
    """No local answer once the last successful sync started longer ago than this."""

    def __post_init__(self) -> None:
        if self.sync_seconds <= 0:
            raise ValueError("LIVETRUST_GATEWAY_BLACKLIST_MIRROR_SYNC_SECONDS must be positive")
        if self.max_staleness_seconds < self.sync_seconds:
            raise ValueError(
                "LIVETRUST_GATEWAY_BLACKLIST_MIRROR_MAX_STALENESS_SECONDS must be at least the sync interval"
            )

    @classmethod
    def from_env(cls, env: dict[str, str]) -> MirrorConfig:
        switch = env.get("LIVETRUST_GATEWAY_BLACKLIST_MIRROR", "on").strip().lower()
        if switch not in ("on", "off"):
            raise ValueError(f"LIVETRUST_GATEWAY_BLACKLIST_MIRROR must be on or off, not {switch!r}")
        return cls(
            enabled=switch == "on",
            sync_seconds=float(env.get("LIVETRUST_GATEWAY_BLACKLIST_MIRROR_SYNC_SECONDS", _DEFAULT_SYNC_SECONDS)),
            max_staleness_seconds=float(
                env.get("LIVETRUST_GATEWAY_BLACKLIST_MIRROR_MAX_STALENESS_SECONDS", _DEFAULT_MAX_STALENESS_SECONDS)
            ),
        )


class FreshMirror:
    """A ``BlacklistMirror`` that answers only while it is known to be current."""

    def __init__(
        self,
        channel: grpc.aio.Channel,
        *,
        config: MirrorConfig,
        metadata: Callable[[], Sequence[tuple[str, str]]],
        call_timeout_seconds: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._channel = channel
        self._mirror = BlacklistMirror(channel, metadata=metadata, call_timeout=call_timeout_seconds)
        self._config = config
        self._monotonic = monotonic
        #: When the last sync that succeeded started: every change committed before then is in the mirror.
        self._synced_at: float | None = None
        #: Moves on whenever the mirror is known to be behind (a failed sync, a write through this gateway):
        #: a sync that started before the move does not make the mirror fresh.
        self._generation = 0
        #: No local answer before this instant (a write whose outcome is unclear may still commit).
        self._hold_until = float("-inf")
        self._wake = asyncio.Event()
        self._failing = False
        self._loaded = False

    @property
    def version(self) -> int | None:
        """The registry change version the mirror reflects (None before its first sync)."""
        return self._mirror.version

    def fresh(self) -> bool:
        """Whether a local miss may be answered now."""
        synced_at = self._synced_at
        if synced_at is None:
            return False
        now = self._monotonic()
        return (
            now - synced_at <= self._config.max_staleness_seconds
            and now >= self._hold_until
            and self._channel.get_state(try_to_connect=False) is _READY
        )

    def certainly_unlisted(self, digest: str) -> bool:
        """True only if ``digest`` is a well-formed digest the current mirror rules out."""
        return bool(_DIGEST_RE.fullmatch(digest)) and self.fresh() and not self._mirror.might_be_listed(digest)

    def answer_lookup(self, request: bytes) -> bytes | None:
        """The registry's answer to a serialized ``LookupRequest`` if every digest is a certain miss, else None.

        None also for anything the registry must judge: a request that does not parse, carries fields this
        gateway does not know, or breaks the registry's limits.
        """
        answer = self._answer_lookup(request)
        _answers.add(1, _BY_REGISTRY if answer is None else _BY_GATEWAY)
        return answer

    def _answer_lookup(self, request: bytes) -> bytes | None:
        if not self.fresh():
            return None
        try:
            parsed = blacklist_pb2.LookupRequest.FromString(request)
        except DecodeError:
            return None
        parsed.DiscardUnknownFields()  # then a shorter message is one that carried fields unknown here
        digests = parsed.subject_digests
        if not 1 <= len(digests) <= _MAX_LOOKUP_DIGESTS or parsed.ByteSize() != len(request):
            return None
        for digest in digests:
            if not _DIGEST_RE.fullmatch(digest) or self._mirror.might_be_listed(digest):
                return None
        response = blacklist_pb2.LookupResponse(
            results=[blacklist_pb2.LookupResult(subject_digest=digest, listed=False) for digest in digests]
        )
        return response.SerializeToString()

    async def sync(self) -> bool:
        """Bring the mirror up to date; on failure it stops answering until a later sync succeeds."""
        started, generation = self._monotonic(), self._generation
        try:
            await self._mirror.sync()  # each call inside has its own deadline; a first filter may take minutes
        except Exception as exc:  # whatever went wrong, the mirror is not known to be current
            self._invalidate()
            if not self._failing:
                self._failing = True
                # Before the first load the registry is usually still starting: not worth a warning.
                log = _log.warning if self._mirror.version is not None else _log.info
                log("blacklist mirror out of date: lookups go to the registry", extra={"error": repr(exc)})
            return False
        if generation == self._generation and (self._synced_at is None or started > self._synced_at):
            self._synced_at = started
        if self._failing or not self._loaded:
            self._failing, self._loaded = False, True
            _log.info("blacklist mirror current", extra={"version": self._mirror.version})
        return True

    def write_started(self) -> None:
        """A blacklist write is on its way to the registry through this gateway."""
        self._invalidate()

    def write_finished(self, code: grpc.StatusCode) -> None:
        """The registry answered a write with ``code``: no local answer until a sync that started after this.

        So the writer's next lookup through this gateway goes to the registry until the mirror holds the
        change. When the outcome is unclear (the call failed without the registry refusing it), the commit
        may still land after this answer: the mirror then also waits out ``max_staleness_seconds``.
        """
        self._invalidate()
        if code is not grpc.StatusCode.OK and code not in _REFUSED:
            self._hold_until = self._monotonic() + self._config.max_staleness_seconds
        self._wake.set()  # sync now rather than at the next tick

    def _invalidate(self) -> None:
        self._synced_at = None
        self._generation += 1

    async def follow(self) -> None:
        """Background task: sync every ``sync_seconds``, and at once after a write."""
        while True:
            self._wake.clear()
            await self.sync()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._config.sync_seconds)


def proxy_hooks(mirror: FreshMirror) -> dict[str, MethodHooks]:
    """What the gateway's proxy does around the registry's methods: ``Lookup`` answered from the mirror
    where it can be, and every write fencing the mirror off until it has synced past the write."""
    write = MethodHooks(before_forward=mirror.write_started, after_forward=mirror.write_finished)
    hooks = {f"/{_REGISTRY.full_name}/Lookup": MethodHooks(answer=mirror.answer_lookup)}
    for method in _REGISTRY.methods:
        if method.name not in _READ_ONLY and not (method.client_streaming or method.server_streaming):
            hooks[f"/{_REGISTRY.full_name}/{method.name}"] = write
    return hooks
