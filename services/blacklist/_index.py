"""The in-memory index of listed subject digests: one signed 64-bit key per listing.

A digest's key is its first 8 bytes read as a signed big-endian int64, the value the database keeps in a
BIGINT column. The index is a superset check: a hit may be a 64-bit collision (about 1e-12 per lookup at
10 million keys) and must be confirmed against the database by the caller; a miss is final. Ten million
keys take about 80 MB, against several hundred MB for a Python ``set`` of ints.
"""

from __future__ import annotations

import bisect
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

__all__ = ["ListedIndex", "digest_key", "digest_keys", "prefix_key_range"]

_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1
_KEY_HEX_CHARS = 16
_PREFIX_HEX_CHARS = 8
# Keys copied per slice while compacting (8 MB), bounding the temporary memory on top of the two bases.
_COPY_CHUNK = 1 << 20
_HEX_DIGITS = frozenset("0123456789abcdef")
# sys.getsizeof of a Python int that needs the full 64 bits; used to estimate the delta's footprint.
_INT_OBJECT_BYTES = sys.getsizeof(2**62)

KeyArray = npt.NDArray[np.int64]


def digest_key(digest_hex: str) -> int:
    """Return the index key of a hex digest: its first 8 bytes as a signed big-endian int64."""
    raw = bytes.fromhex(digest_hex[:_KEY_HEX_CHARS])
    # fromhex skips whitespace, so a short or spaced prefix shows up as fewer than 8 bytes.
    if len(raw) != _KEY_HEX_CHARS // 2:
        raise ValueError(f"a digest needs at least {_KEY_HEX_CHARS} hex characters: {digest_hex!r}")
    return int.from_bytes(raw, "big", signed=True)


def digest_keys(digests_hex: Sequence[str]) -> KeyArray:
    """Return the index keys of many hex digests as an int64 array (same values as ``digest_key``)."""
    if not digests_hex:
        return np.empty(0, dtype=np.int64)
    # One C-level hex decode of all prefixes, then a zero-copy reinterpretation as big-endian int64.
    raw = bytes.fromhex("".join([d[:_KEY_HEX_CHARS] for d in digests_hex]))
    if len(raw) != len(digests_hex) * (_KEY_HEX_CHARS // 2):
        raise ValueError(f"every digest needs at least {_KEY_HEX_CHARS} hex characters")
    return np.frombuffer(raw, dtype=">i8").astype(np.int64)


def prefix_key_range(prefix_hex8: str) -> tuple[int, int]:
    """Return the inclusive ``(low, high)`` range of keys of the digests that start with ``prefix_hex8``.

    The prefix is the top 32 bits of the key, so the range holds 2**32 keys; prefixes from ``80000000``
    up have the sign bit set and map to negative keys (``ffffffff`` covers -2**32 to -1).
    """
    if len(prefix_hex8) != _PREFIX_HEX_CHARS or not _HEX_DIGITS.issuperset(prefix_hex8):
        raise ValueError(f"a prefix is {_PREFIX_HEX_CHARS} lowercase hex characters: {prefix_hex8!r}")
    low = int(prefix_hex8, 16) << 32
    high = low | 0xFFFF_FFFF
    # Every key under one prefix shares the sign bit, so both ends shift into the signed range together.
    if low > _INT64_MAX:
        low -= 2**64
        high -= 2**64
    return low, high


def _as_keys(keys: npt.ArrayLike | Iterable[int]) -> KeyArray:
    """Return ``keys`` as a 1-D int64 array, refusing values that do not fit instead of wrapping them."""
    if isinstance(keys, np.ndarray):
        # "safe" rejects uint64 and floats, whose silent conversion could turn a listed key into another.
        return keys.astype(np.int64, casting="safe", copy=False).ravel()
    return np.fromiter(keys, dtype=np.int64)  # raises OverflowError for ints outside int64


class _Buckets(NamedTuple):
    """Where each bucket of keys starts in the sorted base, a bucket being the keys that share their top
    ``64 - shift`` bits (in unsigned order). A plain binary search over 10 million keys takes ~24 steps, each a
    cache miss in an 80 MB array; through the bucket table a lookup costs a miss or two, then a few steps
    inside a bucket of ~8 keys that shares one or two cache lines."""

    starts: npt.NDArray[np.signedinteger[Any]]
    """``2**bits + 1`` offsets into the base: bucket ``b`` is ``base[starts[b]:starts[b + 1]]``."""
    shift: int
    steps: int
    """Binary-search steps that cover the largest bucket."""


class _Data(NamedTuple):
    """The sorted base keys, the changes since, and the base's bucket table; replaced as one object so
    readers see a matching set."""

    base: KeyArray
    delta: Counter[int]
    buckets: _Buckets


_SIGN = np.uint64(1 << 63)
_KEYS_PER_BUCKET = 8
_MAX_BUCKET_BITS = 24
# Buckets up to this size are searched as a Python list (keys are HMAC outputs: ~8 a bucket, rarely 30).
_SMALL_BUCKET = 64


def _bucket_of(keys: KeyArray, shift: int) -> npt.NDArray[np.intp]:
    """The bucket of each key: its top bits once the sign bit is flipped (so buckets follow signed order)."""
    return ((keys.view(np.uint64) ^ _SIGN) >> np.uint64(shift)).astype(np.intp)


def _buckets(base: KeyArray) -> _Buckets:
    bits = min(_MAX_BUCKET_BITS, max(1, (base.size // _KEYS_PER_BUCKET).bit_length()))
    shift = 64 - bits
    counts = np.zeros(1 << bits, dtype=np.int64)
    for start in range(0, base.size, _COPY_CHUNK):  # in slices: no full-size temporaries
        counts += np.bincount(_bucket_of(base[start : start + _COPY_CHUNK], shift), minlength=1 << bits)
    starts = np.zeros((1 << bits) + 1, dtype=np.int32 if base.size < 2**31 else np.int64)
    np.cumsum(counts, out=starts[1:])
    return _Buckets(starts, shift, int(counts.max()).bit_length() if base.size else 0)


def _new_data(base: KeyArray) -> _Data:
    return _Data(base, Counter(), _buckets(base))


def _in_base(data: _Data, keys: KeyArray) -> npt.NDArray[np.bool_]:
    """For each key, whether the base holds it at least once: a binary search per key inside its bucket,
    vectorised over the batch (every key takes the same number of steps)."""
    base, buckets = data.base, data.buckets
    if not base.size or not keys.size:
        return np.zeros(keys.size, dtype=bool)
    bucket = _bucket_of(keys, buckets.shift)
    low = buckets.starts[bucket].astype(np.int64)
    left = buckets.starts[bucket + 1] - low  # keys of the bucket not yet ruled out, from low on
    last = base.size - 1
    for _ in range(buckets.steps):
        half = left >> 1
        middle = low + half
        below = (base[np.minimum(middle, last)] < keys) & (left > 0)
        low = np.where(below, middle + 1, low)
        left = np.where(below, left - half - 1, half)
    # low is now the first position holding a key >= the one sought (or the end of the base).
    return base[np.minimum(low, last)] == keys


class ListedIndex:
    """A multiset of int64 keys: a sorted numpy base plus a small ``Counter`` of changes since the last merge.

    The same digest may be listed by several entries (from several platforms), so each listing counts
    once and removing one listing leaves the others. A key is present while its net count is above zero.
    Not safe for concurrent writers; a reader in the writer's thread (asyncio) always sees a whole state.
    """

    def __init__(self, *, compact_after: int = 100_000) -> None:
        if compact_after < 0:
            raise ValueError("compact_after must not be negative")
        self._compact_after = compact_after
        self._data = _new_data(np.empty(0, dtype=np.int64))
        self._len = 0
        # Sorted keys and counts of the delta, built lazily for large contains_many calls.
        self._delta_arrays: tuple[KeyArray, KeyArray] | None = None

    def load(self, keys: KeyArray | Iterable[int], *, take: bool = False) -> None:
        """Replace the whole content with ``keys`` (duplicates are separate listings).

        ``take``: the int64 array ``keys`` is handed over (sorted in place and kept) instead of copied,
        which spares a full-size copy while a replica loads.
        """
        base = _as_keys(keys)
        if isinstance(keys, np.ndarray):
            if take and keys.dtype == np.int64 and keys.ndim == 1 and keys.flags.writeable:
                keys.sort()
                base = keys
            else:
                base = np.sort(base)  # a copy: the caller's array must stay as it was
        else:
            base.sort()  # a fresh array from fromiter: sorting in place saves a full-size copy
        self._data = _new_data(base)
        self._delta_arrays = None
        self._len = int(base.size)

    def add(self, keys: KeyArray | Iterable[int]) -> None:
        """Record one more listing for each key."""
        delta = self._data.delta
        for key in _as_keys(keys).tolist():
            count = delta[key] + 1
            if count:
                delta[key] = count
            else:
                del delta[key]
            self._len += 1
        self._delta_arrays = None
        self._maybe_compact()

    def discard(self, keys: KeyArray | Iterable[int]) -> None:
        """Remove one listing for each key; a key with no listing left is ignored.

        Ignoring (rather than counting below zero) means a stray removal can never hide a later listing:
        a false miss is the one error this index must not make.
        """
        arr = _as_keys(keys)
        base, delta = self._data.base, self._data.delta
        base_counts = (np.searchsorted(base, arr, "right") - np.searchsorted(base, arr, "left")).tolist()
        for key, base_count in zip(arr.tolist(), base_counts, strict=True):
            change = delta.get(key, 0)
            if base_count + change <= 0:
                continue
            if change - 1:
                delta[key] = change - 1
            else:
                del delta[key]
            self._len -= 1
        self._delta_arrays = None
        self._maybe_compact()

    def compact(self) -> None:
        """Merge the delta into a new sorted base and swap it in with one assignment."""
        base, delta = self._data.base, self._data.delta
        if not delta:
            return
        items = np.fromiter(delta.items(), dtype=np.dtype((np.int64, 2)), count=len(delta))
        keys, counts = items[:, 0], items[:, 1]
        removed = counts < 0
        added = ~removed
        extra = np.repeat(keys[added], counts[added])
        # Built in one preallocated array: the old base stays alive for readers until the swap, so every
        # extra full-size temporary would add 8 bytes per key to the peak (80 MB at 10 million keys).
        if removed.any():
            gone_keys, gone_counts = keys[removed], -counts[removed]
            starts = np.searchsorted(base, gone_keys, "left")
            # discard() never removes more listings than exist; the clamp keeps a bug here from spilling over.
            gone_counts = np.minimum(gone_counts, np.searchsorted(base, gone_keys, "right") - starts)
            # Positions start, start+1, ... start+count-1 of each removed key, without a Python loop.
            offsets = np.arange(int(gone_counts.sum())) - np.repeat(np.cumsum(gone_counts) - gone_counts, gone_counts)
            keep = np.ones(base.size, dtype=bool)
            keep[np.repeat(starts, gone_counts) + offsets] = False
            kept = int(keep.sum())
            merged = np.empty(kept + extra.size, dtype=np.int64)
            # In slices: base[keep] (or np.compress, even with out=) would build a full-size temporary first.
            filled = 0
            for start in range(0, base.size, _COPY_CHUNK):
                part = base[start : start + _COPY_CHUNK][keep[start : start + _COPY_CHUNK]]
                merged[filled : filled + part.size] = part
                filled += part.size
            del keep
        else:
            kept = base.size
            merged = np.empty(kept + extra.size, dtype=np.int64)
            merged[:kept] = base
        merged[kept:] = np.sort(extra)
        # np.sort of (sorted base + sorted extra) in place: the stable sort (timsort) finds the two runs and
        # merges them in linear time with a buffer the size of the smaller run.
        merged.sort(kind="stable")
        self._data = _new_data(merged)
        self._delta_arrays = None

    def contains(self, key: int) -> bool:
        """Return whether ``key`` has at least one listing."""
        if not _INT64_MIN <= key <= _INT64_MAX:
            return False
        data = self._data
        change = data.delta.get(key, 0)
        bucket = (key - _INT64_MIN) >> data.buckets.shift
        low, high = data.buckets.starts[bucket : bucket + 2].tolist()
        if low == high:
            return change > 0
        # Every listing of the key is in its bucket, a handful of keys: searched as Python ints, which
        # beats numpy's per-call overhead at that size.
        segment: Sequence[int] = data.base[low:high]
        if high - low <= _SMALL_BUCKET:
            segment = segment.tolist()  # type: ignore[attr-defined]
        start = bisect.bisect_left(segment, key)
        if start == len(segment) or segment[start] != key:
            return change > 0
        if change >= 0:
            return True
        # Some base listings were discarded since the load: only now is the full count needed.
        return bisect.bisect_right(segment, key) - start + change > 0

    def contains_many(self, keys: KeyArray) -> npt.NDArray[np.bool_]:
        """Return, for each key, whether it has at least one listing (same shape as ``keys``)."""
        arr = np.asarray(keys)
        flat = _as_keys(arr)
        data = self._data
        base, delta = data.base, data.delta
        present = _in_base(data, flat)
        if delta:
            changes = np.zeros(flat.size, dtype=np.int64)
            if self._delta_arrays is None and flat.size <= len(delta):
                # Fewer queries than delta entries: per-key dict lookups beat building sorted delta arrays.
                changes[:] = np.fromiter((delta.get(k, 0) for k in flat.tolist()), dtype=np.int64, count=flat.size)
            else:
                delta_keys, delta_counts = self._sorted_delta(delta)
                pos = np.minimum(np.searchsorted(delta_keys, flat), delta_keys.size - 1)
                hit = delta_keys[pos] == flat
                changes[hit] = delta_counts[pos[hit]]
            present |= changes > 0
            fewer = changes < 0
            if fewer.any():
                # Listings discarded from the base since the load: these keys need their exact base count.
                asked = flat[fewer]
                counts = np.searchsorted(base, asked, "right") - np.searchsorted(base, asked, "left")
                present[fewer] = counts + changes[fewer] > 0
        return present.reshape(arr.shape)

    def __len__(self) -> int:
        """Return the number of listings (a key listed twice counts twice)."""
        return self._len

    def memory_bytes(self) -> int:
        """Return an estimate of the memory held: the base array and its bucket table, plus the delta and
        its cached arrays."""
        base, delta, buckets = self._data
        total = base.nbytes + buckets.starts.nbytes + sys.getsizeof(delta) + len(delta) * _INT_OBJECT_BYTES
        if self._delta_arrays is not None:
            total += sum(a.nbytes for a in self._delta_arrays)
        return total

    def _sorted_delta(self, delta: Counter[int]) -> tuple[KeyArray, KeyArray]:
        if self._delta_arrays is None:
            items = np.fromiter(delta.items(), dtype=np.dtype((np.int64, 2)), count=len(delta))
            order = np.argsort(items[:, 0])
            self._delta_arrays = (items[order, 0], items[order, 1])
        return self._delta_arrays

    def _maybe_compact(self) -> None:
        if len(self._data.delta) > self._compact_after:
            self.compact()
