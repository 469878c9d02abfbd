"""The Bloom filter of listed digests that GetFilter serves and platforms check locally.

Items are the 32 raw digest bytes. The digests are HMAC-SHA256 outputs, already uniformly random, so the
filter's hash is simply the first 16 bytes read as a signed big-endian 128-bit integer (the range rbloom
accepts). The hash must be fixed: rbloom's default hash is Python's per-process salted ``hash()``, and a
filter saved with it answers nonsense in any other process.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from rbloom import Bloom

__all__ = ["FALSE_POSITIVE_RATE", "build_filter", "filter_hash", "load_filter"]

FALSE_POSITIVE_RATE = 1e-6

_HASH_BYTES = 16
_DIGEST_BYTES = 32


def filter_hash(item: bytes) -> int:
    """Return the filter hash of a raw digest: its first 16 bytes as a signed big-endian 128-bit int."""
    if len(item) < _HASH_BYTES:
        raise ValueError(f"a filter item needs at least {_HASH_BYTES} bytes, got {len(item)}")
    return int.from_bytes(item[:_HASH_BYTES], "big", signed=True)


def _digest_bytes(digests_hex: Iterable[str]) -> Iterator[bytes]:
    for digest in digests_hex:
        raw = bytes.fromhex(digest)
        if len(raw) != _DIGEST_BYTES:
            raise ValueError(f"a digest is {_DIGEST_BYTES * 2} hex characters: {digest!r}")
        yield raw


def build_filter(
    digests_hex: Iterable[str], *, expected_items: int, false_positive_rate: float = FALSE_POSITIVE_RATE
) -> bytes:
    """Return the saved bytes of a filter holding ``digests_hex``, sized for ``expected_items``."""
    if not 0.0 < false_positive_rate < 1.0:
        raise ValueError("false_positive_rate must be between 0 and 1")
    # rbloom refuses a capacity of 0; an empty registry still needs a (tiny) valid filter.
    bloom = Bloom(max(1, expected_items), false_positive_rate, filter_hash)
    bloom.update(_digest_bytes(digests_hex))
    return bloom.save_bytes()


def load_filter(data: bytes) -> Bloom:
    """Return the filter saved in ``data`` by ``build_filter``; test items as raw digest bytes."""
    return Bloom.load_bytes(data, filter_hash)
