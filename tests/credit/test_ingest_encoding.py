"""The shortcuts of the ingest path give exactly what the general code gives: the inputs hash and the
stored aggregates written without the general JSON encoder, a score without its explanation, and an
event's contributions encoded directly."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from livetrust.credit._scoring import (
    Aggregates,
    Complaint,
    ComplaintCategory,
    DecayedSum,
    Event,
    Outcome,
    PlatformOutcome,
    RegulatorNotice,
    Review,
    Scorecard,
    Severity,
    contributions,
    hash_inputs,
    replay,
    score,
    score_summary,
)
from livetrust.credit._service import _contribution_dicts, _contributions_json

CARD = Scorecard.default()
T0 = datetime(2026, 1, 1, tzinfo=UTC)
KEYS = (
    "reviews.count",
    "reviews.weight",
    "reviews.stars",
    "complaints.verified",
    "complaints.unverified",
    "platform.upheld.MINOR",
    "platform.upheld.SEVERE",
    "regulator.SERIOUS",
    "unknown.key",
    'caf\u00e9 "quoted"',
)
CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)

values = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, -0.0, 1.0, 1e16, 1e-7, 5e-324, 1.7976931348623157e308]),
)
instants = st.integers(min_value=-400 * 86_400, max_value=400 * 86_400).map(lambda s: T0 + timedelta(seconds=s))
aggregates = st.dictionaries(st.sampled_from(KEYS), st.tuples(values, instants)).map(
    lambda sums: Aggregates({k: DecayedSum(v, at) for k, (v, at) in sums.items()})
)


def old_hash(a: Aggregates, card: Scorecard, as_of: datetime) -> str:
    canonical = CANONICAL.encode([card.version, a.to_dict(), as_of.astimezone(UTC).isoformat()])
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


@settings(max_examples=300, deadline=None)
@given(aggregates, instants)
def test_the_inputs_hash_is_the_canonical_json_one(a: Aggregates, as_of: datetime) -> None:
    assert a.to_json() == CANONICAL.encode(a.to_dict())
    assert json.loads(a.to_json()) == a.to_dict()
    for card in (CARD, dataclasses.replace(CARD, version='v\u00e9 "2"')):
        assert hash_inputs(a, card, as_of=as_of) == old_hash(a, card, as_of)


def test_sums_that_are_not_floats_are_left_to_the_encoder() -> None:
    a = Aggregates({"reviews.count": DecayedSum(3, T0), "reviews.weight": DecayedSum(2.5, T0)})  # type: ignore[arg-type]
    assert a.to_json() == CANONICAL.encode(a.to_dict())
    assert '"value":3}' in a.to_json()
    assert hash_inputs(a, CARD, as_of=T0) == old_hash(a, CARD, T0)


@settings(max_examples=300, deadline=None)
@given(aggregates, instants)
def test_a_score_summary_has_the_numbers_of_the_score(a: Aggregates, as_of: datetime) -> None:
    generous = Scorecard.from_dict({**CARD.to_dict(), "version": "x", "base_score": 250, "reporter_cap": 3})
    for card in (CARD, generous):
        try:
            full = score(a, card, as_of=as_of)
        except (OverflowError, ValueError) as exc:  # absurd sums: points that cannot be rounded
            with pytest.raises(type(exc)):
                score_summary(a, card, as_of=as_of)
            continue
        summary = score_summary(a, card, as_of=as_of)
        assert (summary.score, summary.band, summary.label, summary.model_version, summary.inputs_hash) == (
            full.score,
            full.band,
            full.label,
            full.model_version,
            full.inputs_hash,
        )


def test_a_score_summary_of_a_history() -> None:
    filed = Event("c1", T0, Complaint(ComplaintCategory.COUNTERFEIT, "u1", False))
    events = [
        Event("r1", T0, Review(5, True)),
        filed,
        Event("o1", T0 + timedelta(days=2), PlatformOutcome("c1", Outcome.UPHELD, Severity.SEVERE)),
        Event("n1", T0 + timedelta(days=3), RegulatorNotice(Severity.MINOR, "SAMR")),
    ]
    a = replay(events, card=CARD)
    as_of = T0 + timedelta(days=40)
    full, summary = score(a, CARD, as_of=as_of), score_summary(a, CARD, as_of=as_of)
    assert full.reasons  # the history moves the score
    assert (summary.score, summary.band, summary.inputs_hash) == (full.score, full.band, full.inputs_hash)


def test_contributions_are_encoded_as_json_dumps_encodes_them() -> None:
    filed = Event("c1", T0, Complaint(ComplaintCategory.COUNTERFEIT, "u1", False))
    later = T0 + timedelta(days=1, microseconds=7)
    made = [
        contributions(Event("r1", T0, Review(4, False)), card=CARD),
        contributions(filed, card=CARD),
        contributions(
            Event("o1", later, PlatformOutcome("c1", Outcome.UPHELD, Severity.SERIOUS)), card=CARD, referenced=filed
        ),
        contributions(Event("n1", later, RegulatorNotice(Severity.SEVERE, "SAMR")), card=CARD),
        (),
    ]
    # A model document may give whole numbers: those stay ints, as json.dumps writes them.
    whole = Scorecard.from_dict({**CARD.to_dict(), "verified_review_weight": 1, "unverified_review_weight": 1})
    made.append(contributions(Event("r2", T0, Review(3, True)), card=whole))
    for items in made:
        assert _contributions_json(items).text == json.dumps(_contribution_dicts(items))
