"""Tests for the in-memory index of listed digests: keys, prefix ranges and the ListedIndex multiset."""

from __future__ import annotations

import os
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from livetrust.blacklist import _index as index_module
from livetrust.blacklist._index import ListedIndex, digest_key, digest_keys, prefix_key_range

digests = st.binary(min_size=32, max_size=32).map(bytes.hex)
prefixes = st.binary(min_size=4, max_size=4).map(bytes.hex)


def test_digest_key_sign_handling() -> None:
    assert digest_key("00" * 32) == 0
    assert digest_key("7f" + "ff" * 7 + "00" * 24) == 2**63 - 1
    assert digest_key("80" + "00" * 31) == -(2**63)
    assert digest_key("ff" * 8 + "00" * 24) == -1
    assert digest_key("00" * 7 + "01" + "ff" * 24) == 1  # only the first 8 bytes count


def test_digest_key_refuses_short_input() -> None:
    with pytest.raises(ValueError):
        digest_key("abcd")
    with pytest.raises(ValueError):
        digest_key("00 11 22 33 44 55 66 77" + "00" * 24)


def test_digest_keys_matches_digest_key() -> None:
    sample = [os.urandom(32).hex() for _ in range(1000)] + ["80" + "00" * 31, "ff" * 32, "00" * 32]
    keys = digest_keys(sample)
    assert keys.dtype == np.int64
    assert keys.tolist() == [digest_key(d) for d in sample]
    assert digest_keys([]).dtype == np.int64
    assert digest_keys([]).size == 0
    with pytest.raises(ValueError):
        digest_keys(["00" * 32, "abc"])


def test_prefix_key_range_edges() -> None:
    assert prefix_key_range("00000000") == (0, 2**32 - 1)
    assert prefix_key_range("7fffffff") == (2**63 - 2**32, 2**63 - 1)
    assert prefix_key_range("80000000") == (-(2**63), -(2**63) + 2**32 - 1)
    assert prefix_key_range("ffffffff") == (-(2**32), -1)
    for bad in ("", "0000000", "000000000", "ABCDEF01", "0000000g"):
        with pytest.raises(ValueError):
            prefix_key_range(bad)


@given(digests)
def test_digest_key_is_inside_its_prefix_range(digest: str) -> None:
    low, high = prefix_key_range(digest[:8])
    assert low <= digest_key(digest) <= high
    assert high - low == 2**32 - 1


@given(prefixes, prefixes)
def test_prefix_ranges_do_not_overlap(a: str, b: str) -> None:
    low_a, high_a = prefix_key_range(a)
    low_b, high_b = prefix_key_range(b)
    if a == b:
        assert (low_a, high_a) == (low_b, high_b)
    else:
        assert high_a < low_b or high_b < low_a


def test_two_listings_of_one_key() -> None:
    index = ListedIndex()
    index.load([5, 5, 7])
    assert len(index) == 3
    index.discard([5])
    assert index.contains(5)
    index.discard([5])
    assert not index.contains(5)
    assert index.contains(7)
    assert len(index) == 1


def test_two_listings_added_after_load_and_compacted() -> None:
    index = ListedIndex()
    index.add([42, 42])
    index.discard([42])
    assert index.contains(42)
    index.compact()
    assert index.contains(42)
    index.discard([42])
    assert not index.contains(42)
    index.compact()
    assert not index.contains(42)
    assert len(index) == 0


def test_discarding_an_absent_key_does_not_hide_a_later_listing() -> None:
    index = ListedIndex()
    index.discard([9])
    index.add([9])
    assert index.contains(9)
    assert len(index) == 1


def test_contains_handles_keys_outside_int64() -> None:
    index = ListedIndex()
    index.load([2**63 - 1, -(2**63)])
    assert index.contains(2**63 - 1)
    assert index.contains(-(2**63))
    assert not index.contains(2**63)
    assert not index.contains(-(2**63) - 1)


def test_load_rejects_lossy_conversions() -> None:
    index = ListedIndex()
    with pytest.raises(TypeError):
        index.load(np.array([2**63], dtype=np.uint64))
    with pytest.raises(OverflowError):
        index.load([2**64])


def test_load_replaces_everything() -> None:
    index = ListedIndex()
    index.load([1, 2, 3])
    index.add([4])
    caller_keys = np.array([10, 3], dtype=np.int64)
    index.load(caller_keys)
    assert caller_keys.tolist() == [10, 3]  # sorted into a copy, not in place
    assert [index.contains(k) for k in (1, 2, 3, 4, 10)] == [False, False, True, False, True]
    assert len(index) == 2


def test_compact_swaps_in_a_new_array() -> None:
    index = ListedIndex(compact_after=1_000)
    index.load([1, 2, 3])
    before = index._data.base
    index.add([4])
    index.discard([1])
    index.compact()
    after = index._data.base
    assert after is not before
    assert before.tolist() == [1, 2, 3]  # the old array stays intact for anyone still holding it
    assert after.tolist() == [2, 3, 4]
    assert not index._data.delta


def test_add_compacts_automatically_past_the_threshold() -> None:
    index = ListedIndex(compact_after=3)
    index.add([1, 2, 3])
    assert len(index._data.delta) == 3
    index.add([4])
    assert not index._data.delta
    assert index._data.base.tolist() == [1, 2, 3, 4]


small_keys = st.sampled_from([-(2**63), -(2**32), -1, 0, 1, 7, 2**32, 2**63 - 1])
operations = st.lists(st.tuples(st.sampled_from(["add", "discard", "compact"]), st.lists(small_keys, max_size=4)))


@settings(max_examples=300, deadline=None)
@given(st.lists(small_keys, max_size=10), operations, st.integers(min_value=0, max_value=4))
def test_matches_a_counter_model(initial: list[int], ops: list[tuple[str, list[int]]], compact_after: int) -> None:
    index = ListedIndex(compact_after=compact_after)
    index.load(initial)
    model = Counter(initial)
    universe = np.array(sorted({-(2**63), -(2**32), -1, 0, 1, 7, 2**32, 2**63 - 1}), dtype=np.int64)
    for op, keys in ops:
        if op == "add":
            index.add(keys)
            model.update(keys)
        elif op == "discard":
            index.discard(keys)
            for key in keys:
                if model[key] > 0:
                    model[key] -= 1
        else:
            index.compact()
        expected = [model[k] > 0 for k in universe.tolist()]
        assert [index.contains(k) for k in universe.tolist()] == expected
        assert index.contains_many(universe).tolist() == expected
        assert len(index) == sum(model.values())
    index.compact()
    assert index._data.base.tolist() == sorted(model.elements())


def test_compaction_copies_in_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    # Tiny slices so removals fall on slice edges; the real size (1M keys) would need a huge test.
    monkeypatch.setattr(index_module, "_COPY_CHUNK", 7)
    rng = np.random.default_rng(3)
    pool = rng.integers(-(2**63), 2**63 - 1, size=300, dtype=np.int64).tolist()
    initial = [pool[i] for i in rng.integers(0, 300, size=1_000)]
    index = ListedIndex(compact_after=25)
    index.load(initial)
    model = Counter(initial)
    for _ in range(400):
        keys = [pool[i] for i in rng.integers(0, 300, size=5)]
        if rng.random() < 0.5:
            index.add(keys)
            model.update(keys)
        else:
            index.discard(keys)
            for key in keys:
                if model[key] > 0:
                    model[key] -= 1
    index.compact()
    assert index._data.base.tolist() == sorted(model.elements())
    assert len(index) == sum(model.values())


def test_contains_many_agrees_with_contains() -> None:
    rng = np.random.default_rng(7)
    listed = rng.integers(-(2**63), 2**63 - 1, size=20_000, dtype=np.int64, endpoint=True)
    index = ListedIndex(compact_after=10_000)
    index.load(listed[:15_000])
    index.add(listed[15_000:])  # left in the delta
    index.discard(listed[:100])
    queries = np.concatenate([listed[::7], rng.integers(-(2**63), 2**63 - 1, size=5_000, dtype=np.int64)])
    rng.shuffle(queries)
    many = index.contains_many(queries)
    assert many.dtype == np.bool_
    assert many.tolist() == [index.contains(k) for k in queries.tolist()]
    # Small batches take the per-key dict path; they must agree too.
    small = queries[:50]
    assert index.contains_many(small).tolist() == [index.contains(k) for k in small.tolist()]
    assert index.contains_many(queries.reshape(-1, 2)).shape == (queries.size // 2, 2)


def test_memory_for_a_million_keys() -> None:
    keys = np.random.default_rng(1).integers(-(2**63), 2**63 - 1, size=1_000_000, dtype=np.int64)
    index = ListedIndex()
    index.load(keys)
    assert len(index) == 1_000_000
    assert index.memory_bytes() <= 9_000_000
    assert index.contains_many(keys[:1000]).all()


@pytest.mark.parametrize("size", [0, 1, 2, 9, 1_000, 50_000])
def test_bucketed_search_agrees_with_a_set(size: int) -> None:
    rng = np.random.default_rng(size)
    keys = rng.integers(-(2**63), 2**63 - 1, size=size, dtype=np.int64, endpoint=True)
    extremes = np.array([-(2**63), -(2**63) + 1, -1, 0, 1, 2**63 - 2, 2**63 - 1], dtype=np.int64)
    # Crowded buckets: many keys sharing their top bits, and duplicates (a digest listed twice).
    crowded = np.arange(size // 10, dtype=np.int64) + 12345
    keys = np.concatenate([keys, extremes[: size % 8], crowded, keys[: size // 20]])
    index = ListedIndex()
    index.load(keys)
    listed = set(keys.tolist())
    queries = np.concatenate(
        [keys, keys + 1, keys - 1, extremes, rng.integers(-(2**63), 2**63 - 1, size=1_000, dtype=np.int64)]
    )
    # keys +- 1 may wrap around at the extremes, which is fine: they are just more queries.
    expected = [q in listed for q in queries.tolist()]
    assert index.contains_many(queries).tolist() == expected
    sample = queries[:: max(1, queries.size // 500)].tolist()
    assert [index.contains(q) for q in sample] == [q in listed for q in sample]
