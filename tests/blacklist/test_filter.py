"""Tests for the blacklist Bloom filter: no false negatives, the false-positive rate, process independence."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from livetrust.blacklist._filter import FALSE_POSITIVE_RATE, build_filter, filter_hash, load_filter


def _random_digests(count: int, seed: int) -> list[str]:
    # Seeded so a failure reproduces; random bytes stand in for HMAC outputs, which look the same.
    raw = np.random.default_rng(seed).bytes(32 * count)
    return [raw[i : i + 32].hex() for i in range(0, len(raw), 32)]


@pytest.fixture(scope="module")
def members() -> list[str]:
    return _random_digests(100_000, seed=1)


@pytest.fixture(scope="module")
def saved(members: list[str]) -> bytes:
    return build_filter(members, expected_items=len(members))


def test_filter_hash_is_the_signed_first_16_bytes() -> None:
    assert filter_hash(bytes(32)) == 0
    assert filter_hash(b"\xff" * 32) == -1
    assert filter_hash(b"\x80" + bytes(31)) == -(2**127)
    assert filter_hash(b"\x7f" + b"\xff" * 15 + b"\x00" * 16) == 2**127 - 1
    assert filter_hash(bytes(15) + b"\x01" + b"\xff" * 16) == 1  # bytes past 16 do not count
    with pytest.raises(ValueError):
        filter_hash(b"short")


def test_no_false_negatives(members: list[str], saved: bytes) -> None:
    bloom = load_filter(saved)
    assert all(bytes.fromhex(d) in bloom for d in members)


def test_false_positive_rate(saved: bytes) -> None:
    bloom = load_filter(saved)
    trials = 1_000_000
    raw = np.random.default_rng(2).bytes(32 * trials)
    false_positives = sum(raw[i : i + 32] in bloom for i in range(0, len(raw), 32))
    # The target is 1e-6 (about 1 expected here); 10 or more would be a real defect, not bad luck.
    assert FALSE_POSITIVE_RATE == 1e-6
    assert false_positives / trials < 1e-5


def test_empty_filter() -> None:
    bloom = load_filter(build_filter([], expected_items=0))
    assert bytes.fromhex(_random_digests(1, seed=3)[0]) not in bloom


def test_build_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        build_filter(["abcd"], expected_items=1)
    with pytest.raises(ValueError):
        build_filter(["zz" * 32], expected_items=1)
    with pytest.raises(ValueError):
        build_filter([], expected_items=1, false_positive_rate=0.0)


def test_saved_filter_loads_in_another_process(members: list[str], saved: bytes, tmp_path: Path) -> None:
    filter_file = tmp_path / "filter.bin"
    filter_file.write_bytes(saved)
    members_file = tmp_path / "members.txt"
    members_file.write_text("\n".join(members[:5_000]))
    outsiders_file = tmp_path / "outsiders.txt"
    outsiders_file.write_text("\n".join(_random_digests(5_000, seed=4)))
    script = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        from livetrust.blacklist._filter import load_filter

        bloom = load_filter(Path(sys.argv[1]).read_bytes())
        members = Path(sys.argv[2]).read_text().split()
        outsiders = Path(sys.argv[3]).read_text().split()
        missing = sum(bytes.fromhex(d) not in bloom for d in members)
        false_hits = sum(bytes.fromhex(d) in bloom for d in outsiders)
        print(missing, false_hits)
        """
    )
    # A different hash seed than ours: a filter relying on Python's hash() would fail here.
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    done = subprocess.run(
        [sys.executable, "-c", script, str(filter_file), str(members_file), str(outsiders_file)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    missing, false_hits = map(int, done.stdout.split())
    assert missing == 0
    assert false_hits <= 1
