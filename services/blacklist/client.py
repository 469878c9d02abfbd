"""A platform-side mirror of the blacklist: check sign-ups locally, ask the registry only about likely hits.

The mirror keeps the registry's Bloom filter (``StreamFilter``: tens of megabytes at millions of listings, more
than one gRPC message may carry, so it comes in chunks and is checked against its SHA-256 before use) plus
the digests listed since (``ListChanges``).
A local miss is final: the person is not listed, and the registry never learns about the check. A local
hit may be a false positive (about one in a million) or a digest unlisted since, so ``check()`` asks the
registry's ``Lookup`` to confirm it.

Usage on a platform::

    channel = grpc.aio.secure_channel(target, credentials)
    mirror = BlacklistMirror(channel, metadata=[("authorization", f"Bearer {token}")])
    await mirror.sync()  # at start-up: downloads the filter

    # Keep it current: call sync() periodically (e.g. every minute), or whenever WatchChanges delivers a
    # change; it only fetches the changes since its version, and re-downloads the filter when many piled up.
    await mirror.sync()

    # On every sign-up (or go-live), with the subject's consortium digest:
    [result] = await mirror.check([digest])
    if result.listed:
        refuse(result.entry_id, result.category, result.listed_until)

``might_be_listed()`` is the local half alone (microseconds, no network), e.g. to pre-screen a bulk import.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import grpc
from rbloom import Bloom

from ._filter import load_filter
from .v1 import blacklist_pb2, blacklist_pb2_grpc

__all__ = ["BlacklistMirror"]

_DIGEST_RE = re.compile(r"[0-9a-f]{64}")
_PAGE_SIZE = 1000
# A filter claiming to be larger than this is refused before any byte is buffered (10 million listings
# take about 36 MB at a false-positive rate of 1e-6).
_MAX_FILTER_BYTES = 1 << 30
# Lookup accepts 1 to 1,000 digests per call.
_LOOKUP_BATCH = 1000


@dataclass(frozen=True, slots=True)
class _MirrorState:
    """Everything a reader needs, replaced as a whole so it never sees a filter with another version's changes."""

    filter: Bloom
    version: int
    # Digests listed after the filter was built.
    extras: frozenset[str] = field(default_factory=frozenset)
    # Digests unlisted after the filter was built. Not used to answer locally: the same digest may still be
    # listed by another entry, and a false miss is the one error the mirror must not make. Lookup confirms.
    unlisted: frozenset[str] = field(default_factory=frozenset)
    # Digests changed since the filter; past refilter_after a fresh filter is cheaper than more extras.
    changes_since_filter: int = 0


class _RegistryBehind(Exception):
    """The registry's change log ends before the mirror's version."""


def _require_digest(digest_hex: str) -> None:
    if not isinstance(digest_hex, str) or not _DIGEST_RE.fullmatch(digest_hex):
        raise ValueError(f"a subject digest is 64 lowercase hex characters: {digest_hex!r}")


def _verified(data: bytes, sha256_hex: str, version: int) -> _MirrorState:
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256_hex.lower():
        raise ValueError(f"filter SHA-256 mismatch: expected {sha256_hex!r}, got {actual!r}")
    return _MirrorState(filter=load_filter(data), version=version)


class BlacklistMirror:
    """A local copy of the blacklist's filter and recent changes, kept current by ``sync()``."""

    def __init__(
        self,
        channel: grpc.aio.Channel | blacklist_pb2_grpc.BlacklistServiceStub,
        *,
        call_timeout: float = 5.0,
        filter_timeout: float = 300.0,
        metadata: Sequence[tuple[str, str]] | Callable[[], Sequence[tuple[str, str]]] = (),
        refilter_after: int = 50_000,
    ) -> None:
        """``call_timeout`` bounds each small call; ``filter_timeout`` the whole download of a filter.
        ``metadata`` goes with every call; a callable is asked again for each call (short-lived tokens)."""
        if isinstance(channel, grpc.aio.Channel):
            self._stub: blacklist_pb2_grpc.BlacklistServiceAsyncStub = blacklist_pb2_grpc.BlacklistServiceStub(channel)
        elif isinstance(channel, grpc.Channel):
            # A blocking channel's calls cannot be awaited; failing here beats failing on the first sync.
            raise TypeError("BlacklistMirror needs a grpc.aio.Channel (or a stub built on one)")
        else:
            self._stub = channel  # type: ignore[assignment]
        if call_timeout <= 0 or filter_timeout <= 0:
            raise ValueError("call_timeout and filter_timeout must be positive")
        if refilter_after < 0:
            raise ValueError("refilter_after must not be negative")
        self._call_timeout = call_timeout
        self._filter_timeout = filter_timeout
        self._metadata_source = metadata if callable(metadata) else tuple(metadata)
        self._refilter_after = refilter_after
        self._state: _MirrorState | None = None
        # Overlapping syncs would race to store their results; an older one could overwrite a newer one.
        self._sync_lock = asyncio.Lock()

    @property
    def _metadata(self) -> tuple[tuple[str, str], ...]:
        source = self._metadata_source
        return tuple((str(key), str(value)) for key, value in (source() if callable(source) else source))

    @property
    def version(self) -> int | None:
        """The change version the mirror reflects; None before the first ``sync()``."""
        state = self._state
        return None if state is None else state.version

    async def sync(self) -> None:
        """Bring the mirror up to date: the filter on first use, then the changes since its version.

        Raises ValueError if a downloaded filter does not match its SHA-256, and grpc.aio.AioRpcError if a
        call fails; the mirror then keeps its previous state.
        """
        async with self._sync_lock:
            state = self._state
            if state is None:
                state = await self._download_filter()
            try:
                state = await self._follow_changes(state, stop_after=self._refilter_after)
            except _RegistryBehind:
                # Its log ends before our version (reset, or restored from a backup): what we hold may list
                # the wrong people and miss new ones under reused versions. Start over from its filter.
                state = await self._follow_changes(await self._download_filter(), stop_after=None)
            if state.changes_since_filter > self._refilter_after:
                # Too many changes to carry as extras: start over from a fresh filter and follow it to the end,
                # whatever the count, so a sync always finishes.
                state = await self._follow_changes(await self._download_filter(), stop_after=None)
            self._state = state

    def might_be_listed(self, digest_hex: str) -> bool:
        """Return False only if the digest is certainly not listed as of the last ``sync()``; local only.

        Before the first sync there is nothing to rule a digest out, so the answer is True.
        """
        _require_digest(digest_hex)
        state = self._state
        return state is None or self._local_hit(state, digest_hex)

    async def check(self, digests_hex: Sequence[str]) -> list[blacklist_pb2.LookupResult]:
        """Return one result per digest, in order: local misses answered here, local hits by ``Lookup``."""
        for digest in digests_hex:
            _require_digest(digest)
        state = self._state  # one snapshot for the whole batch
        results: list[blacklist_pb2.LookupResult | None] = [None] * len(digests_hex)
        hits: list[int] = []
        for i, digest in enumerate(digests_hex):
            if state is None or self._local_hit(state, digest):
                hits.append(i)
            else:
                results[i] = blacklist_pb2.LookupResult(subject_digest=digest, listed=False)
        for start in range(0, len(hits), _LOOKUP_BATCH):
            batch = hits[start : start + _LOOKUP_BATCH]
            asked = [digests_hex[i] for i in batch]
            response = await self._stub.Lookup(
                blacklist_pb2.LookupRequest(subject_digests=asked), timeout=self._call_timeout, metadata=self._metadata
            )
            if len(response.results) != len(asked):
                raise ValueError(f"Lookup returned {len(response.results)} results for {len(asked)} digests")
            for i, digest, result in zip(batch, asked, response.results, strict=True):
                if result.subject_digest and result.subject_digest != digest:
                    raise ValueError(f"Lookup answered for {result.subject_digest!r} in place of {digest!r}")
                result.subject_digest = digest
                results[i] = result
        return [r for r in results if r is not None]

    @staticmethod
    def _local_hit(state: _MirrorState, digest_hex: str) -> bool:
        return digest_hex in state.extras or bytes.fromhex(digest_hex) in state.filter

    async def _download_filter(self) -> _MirrorState:
        """A fresh filter, verified against its SHA-256 (the caller swaps it in only if this returns)."""
        try:
            return await self._stream_filter()
        except grpc.aio.AioRpcError as exc:
            if exc.code() != grpc.StatusCode.UNIMPLEMENTED:
                raise
        # A registry from before StreamFilter: the whole filter in one message (fine while it is small).
        response = await self._stub.GetFilter(
            blacklist_pb2.GetFilterRequest(), timeout=self._filter_timeout, metadata=self._metadata
        )
        return _verified(response.filter, response.sha256, response.version)

    async def _stream_filter(self) -> _MirrorState:
        call = self._stub.StreamFilter(
            blacklist_pb2.StreamFilterRequest(), timeout=self._filter_timeout, metadata=self._metadata
        )
        info: blacklist_pb2.FilterInfo | None = None
        data = bytearray()
        try:
            async for message in call:
                part = message.WhichOneof("part")
                if part == "info":
                    if info is not None:
                        raise ValueError("StreamFilter sent a second FilterInfo")
                    info = message.info
                    if not 0 <= info.size_bytes <= _MAX_FILTER_BYTES:
                        raise ValueError(f"StreamFilter announced a filter of {info.size_bytes} bytes")
                elif part == "chunk":
                    if info is None:
                        raise ValueError("StreamFilter sent filter bytes before its FilterInfo")
                    data += message.chunk
                    if len(data) > info.size_bytes:
                        raise ValueError(f"StreamFilter sent more than the {info.size_bytes} bytes it announced")
                # Anything else is a part added after this client was written: the SHA-256 still decides.
        finally:
            call.cancel()  # a no-op once the stream has ended; stops the server if we gave up early
        if info is None:
            raise ValueError("StreamFilter ended without a FilterInfo")
        if len(data) != info.size_bytes:
            raise ValueError(f"StreamFilter sent {len(data)} of the {info.size_bytes} bytes it announced")
        return _verified(bytes(data), info.sha256, info.version)

    async def _follow_changes(self, state: _MirrorState, *, stop_after: int | None) -> _MirrorState:
        """Apply the changes after ``state.version``, page by page; stop early past ``stop_after`` changes."""
        version = state.version
        extras, unlisted = set(state.extras), set(state.unlisted)
        changed = state.changes_since_filter
        while True:
            response = await self._stub.ListChanges(
                blacklist_pb2.ListChangesRequest(since_version=version, page_size=_PAGE_SIZE),
                timeout=self._call_timeout,
                metadata=self._metadata,
            )
            for change in response.changes:
                if change.kind == blacklist_pb2.CHANGE_KIND_UNLISTED:
                    unlisted.update(change.subject_digests)
                else:
                    # LISTED, and any kind this client does not know yet: treating it as listed costs at most
                    # a Lookup, treating it as unlisted could miss a listed person.
                    extras.update(change.subject_digests)
                    unlisted.difference_update(change.subject_digests)
                changed += len(change.subject_digests)
            if not response.changes and response.latest_version < version:
                raise _RegistryBehind(f"the registry's change log ends at {response.latest_version}, before {version}")
            last_seen = response.changes[-1].version if response.changes else version
            next_version = max(version, response.latest_version or last_seen)
            # A full page that does not move the cursor would repeat forever.
            done = len(response.changes) < _PAGE_SIZE or next_version == version
            version = next_version
            if done:
                break
            if stop_after is not None and changed > stop_after:
                break  # the caller re-downloads the filter; more pages would be thrown away
        return _MirrorState(
            filter=state.filter,
            version=version,
            extras=frozenset(extras),
            unlisted=frozenset(unlisted),
            changes_since_filter=changed,
        )
