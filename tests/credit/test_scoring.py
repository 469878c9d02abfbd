"""The pure credit scorecard: decay, caps, anti-brigading, monotonicity, overturns and reproducibility."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from livetrust.credit._scoring import (
    REASON_CODES,
    SCORE_MAX,
    Aggregates,
    Complaint,
    ComplaintCategory,
    Contribution,
    DecayedSum,
    Event,
    Indicator,
    Outcome,
    PlatformOutcome,
    RegulatorNotice,
    Review,
    Scorecard,
    ScoreResult,
    Severity,
    complaint_weight,
    contributions,
    hash_inputs,
    replay,
    score,
)
from livetrust.errors import InvalidArgument

CARD = Scorecard.default()
T0 = datetime(2026, 1, 1, tzinfo=UTC)
_ids = itertools.count()


def days(n: float) -> datetime:
    return T0 + timedelta(days=n)


def review(stars: int = 5, verified: bool = True, at: datetime = T0) -> Event:
    return Event(f"r{next(_ids)}", at, Review(stars, verified))


def complaint(reporter: str = "u1", verified: bool = False, at: datetime = T0) -> Event:
    return Event(f"c{next(_ids)}", at, Complaint(ComplaintCategory.COUNTERFEIT, reporter, verified))


def outcome(
    ref: Event | str, result: Outcome = Outcome.UPHELD, severity: Severity = Severity.SERIOUS, at: datetime = T0
) -> Event:
    ref_id = ref if isinstance(ref, str) else ref.event_id
    return Event(f"o{next(_ids)}", at, PlatformOutcome(ref_id, result, severity))


def notice(severity: Severity = Severity.SERIOUS, at: datetime = T0) -> Event:
    return Event(f"n{next(_ids)}", at, RegulatorNotice(severity, "SAMR"))


def scored(events: list[Event], as_of: datetime = T0, card: Scorecard = CARD) -> ScoreResult:
    return score(replay(events, card=card), card, as_of=as_of)


def points(result: ScoreResult, *codes: str) -> int:
    return sum(r.points for r in result.reasons if r.code in codes)


def prefixed(result: ScoreResult, prefix: str) -> int:
    return sum(r.points for r in result.reasons if r.code.startswith(prefix))


# --- the scorecard ----------------------------------------------------------------------------------------


def test_default_scorecard_is_valid_and_versioned() -> None:
    assert CARD.version == "2026.1"
    assert CARD.validate() == []
    assert set(CARD.hints) >= set(REASON_CODES)
    assert list(CARD.band_thresholds) == ["A", "B", "C", "D", "E"]


def test_scorecard_round_trips_through_json_exactly() -> None:
    for card in (
        CARD,
        dataclasses.replace(CARD, version="x", base_score=612.5, caps={**CARD.caps, Indicator.REVIEWS: 1}),
    ):
        document = json.loads(json.dumps(card.to_dict()))
        again = Scorecard.from_dict(document)
        assert again == card
        assert again.to_dict() == card.to_dict()
        assert list(again.band_thresholds) == list(card.band_thresholds)


def test_scorecard_from_dict_names_the_malformed_field() -> None:
    document = CARD.to_dict()
    del document["reporter_cap"]
    with pytest.raises(InvalidArgument) as missing:
        Scorecard.from_dict(document)
    assert missing.value.violations[0].field == "reporter_cap"
    document = CARD.to_dict()
    document["half_life_days"]["CATASTROPHIC"] = 5
    with pytest.raises(InvalidArgument) as unknown:
        Scorecard.from_dict(document)
    assert unknown.value.violations[0].field == "half_life_days.CATASTROPHIC"
    document = CARD.to_dict()
    document["bands"][1]["min_score"] = "700"
    with pytest.raises(InvalidArgument) as wrong_type:
        Scorecard.from_dict(document)
    assert wrong_type.value.violations[0].field == "band_thresholds.B"


def _without(mapping, key):
    return {k: v for k, v in mapping.items() if k != key}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"band_thresholds": {"A": 850, "B": 900, "C": 550, "D": 400, "E": 0}}, "band_thresholds.B"),
        ({"band_thresholds": {"A": 850, "B": 700, "C": 700, "D": 400, "E": 0}}, "band_thresholds.C"),
        ({"band_thresholds": {"A": 850, "B": 700, "C": 550, "D": 400, "E": 10}}, "band_thresholds.E"),
        ({"half_life_days": {**CARD.half_life_days, Severity.MINOR: 0}}, "half_life_days.MINOR"),
        ({"half_life_days": _without(CARD.half_life_days, Severity.SEVERE)}, "half_life_days.SEVERE"),
        ({"complaint_half_life_days": -1}, "complaint_half_life_days"),
        ({"verified_complaint_weight": -1.0}, "verified_complaint_weight"),
        ({"unverified_complaint_weight": 2.0}, "unverified_complaint_weight"),
        ({"verified_review_weight": float("nan")}, "verified_review_weight"),
        ({"caps": {**CARD.caps, Indicator.COMPLAINTS: -5}}, "caps.COMPLAINTS"),
        ({"caps": _without(CARD.caps, Indicator.REVIEWS)}, "caps.REVIEWS"),
        ({"outcome_points": {**CARD.outcome_points, Severity.SEVERE: -1}}, "outcome_points.SEVERE"),
        ({"entitlements": _without(CARD.entitlements, "C")}, "entitlements.C"),
        ({"band_labels": _without(CARD.band_labels, "A")}, "band_labels.A"),
        ({"hints": _without(CARD.hints, "REVIEWS_POSITIVE")}, "hints.REVIEWS_POSITIVE"),
        ({"hints": {**CARD.hints, "COMPLAINTS_VERIFIED": "fades after {days} days"}}, "hints.COMPLAINTS_VERIFIED"),
        ({"review_prior_weight": 0}, "review_prior_weight"),
        ({"review_prior_mean": 6}, "review_prior_mean"),
        ({"complaint_rate_prior": 0}, "complaint_rate_prior"),
        ({"base_score": 1200}, "base_score"),
        ({"version": " "}, "version"),
    ],
)
def test_validate_catches_bad_configs(changes, field) -> None:
    card = dataclasses.replace(CARD, **changes)
    assert field in {v.field for v in card.validate()}


def test_validate_checks_entitlements_of_each_band() -> None:
    bad = dataclasses.replace(CARD.entitlements["E"], max_concurrent_rooms=2)
    mixed = dataclasses.replace(CARD.entitlements["A"], product_categories=("ALL", "FOOD"))
    card = dataclasses.replace(CARD, entitlements={**CARD.entitlements, "E": bad, "A": mixed, "Z": bad})
    fields = {v.field for v in card.validate()}
    assert {"entitlements.E.max_concurrent_rooms", "entitlements.A.product_categories", "entitlements.Z"} <= fields


# --- events and aggregates --------------------------------------------------------------------------------


def test_events_refuse_naive_timestamps_and_bad_stars() -> None:
    with pytest.raises(InvalidArgument):
        Event("x", datetime(2026, 1, 1), Review(5, True))
    with pytest.raises(InvalidArgument) as stars:
        Review(6, True)
    assert stars.value.violations[0].field == "review.stars"
    with pytest.raises(InvalidArgument):
        score(Aggregates(), CARD, as_of=datetime(2026, 1, 1))


def test_event_times_are_normalised_to_utc() -> None:
    from zoneinfo import ZoneInfo

    local = datetime(2026, 1, 1, 8, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert Event("x", local, Review(5, True)).occurred_at == T0
    assert Event("x", local, Review(5, True)).occurred_at.tzinfo is UTC


def test_aggregates_and_contributions_round_trip_as_json() -> None:
    events = [review(), complaint(at=days(3)), notice(at=days(5))]
    aggregates = replay(events, card=CARD)
    document = json.loads(json.dumps(aggregates.to_dict()))
    assert Aggregates.from_dict(document) == aggregates
    assert Aggregates.from_dict({}) == Aggregates()
    made = contributions(notice(at=days(2)), card=CARD)
    assert tuple(Contribution.from_dict(json.loads(json.dumps(c.to_dict()))) for c in made) == made


def test_apply_rejects_other_signs() -> None:
    with pytest.raises(ValueError):
        Aggregates().apply([], sign=2)


# --- decay ------------------------------------------------------------------------------------------------


def test_decayed_sum_halves_at_one_half_life_and_never_amplifies() -> None:
    entry = DecayedSum(8.0, T0)
    assert entry.at(days(30), 30) == 4.0
    assert entry.at(days(60), 30) == 2.0
    assert entry.at(days(-30), 30) == 8.0  # before ref: read as ref
    assert entry.at(days(1000), None) == 8.0
    # An amount from before ref arrives already decayed.
    assert entry.add(4.0, days(-30), 30) == DecayedSum(10.0, T0)
    assert entry.add(4.0, days(30), 30) == DecayedSum(8.0, days(30))


def test_half_life_halves_the_deduction() -> None:
    events = [notice(Severity.SERIOUS)]
    assert points(scored(events), "REGULATOR_NOTICE_SERIOUS") == -120
    assert points(scored(events, days(180)), "REGULATOR_NOTICE_SERIOUS") == -60
    assert points(scored(events, days(360)), "REGULATOR_NOTICE_SERIOUS") == -30
    # Complaints: one verified complaint and no reviews is a rate of 1/20, worth 50 points, 25 after 90 days.
    events = [complaint(verified=True)]
    assert points(scored(events), "COMPLAINTS_VERIFIED") == -50
    assert points(scored(events, days(CARD.complaint_half_life_days)), "COMPLAINTS_VERIFIED") == -25
    upheld = [outcome("missing", Outcome.UPHELD, Severity.SEVERE)]
    assert points(scored(upheld, days(CARD.half_life_days[Severity.SEVERE])), "PLATFORM_UPHELD_SEVERE") == -100


def test_positives_do_not_decay() -> None:
    events = [review(5), review(5), review(4, verified=False)]
    now, much_later = scored(events), scored(events, days(3650))
    assert points(now, "REVIEWS_POSITIVE") == points(much_later, "REVIEWS_POSITIVE") > 0
    assert now.score == much_later.score


# --- caps -------------------------------------------------------------------------------------------------


def test_caps_hold_per_indicator() -> None:
    notices = [notice(Severity.SEVERE) for _ in range(20)]
    assert prefixed(scored(notices), "REGULATOR_NOTICE_") == -CARD.caps[Indicator.REGULATOR_NOTICES]
    outcomes = [outcome("missing", Outcome.UPHELD, s) for s in Severity for _ in range(10)]
    result = scored(outcomes)
    assert -CARD.caps[Indicator.PLATFORM_OUTCOMES] - 2 <= prefixed(result, "PLATFORM_UPHELD_") <= -390
    complaints = [complaint(f"u{i}", verified=True) for i in range(50)]
    assert prefixed(scored(complaints), "COMPLAINTS_") == -CARD.caps[Indicator.COMPLAINTS]
    small_cap = dataclasses.replace(CARD, caps={**CARD.caps, Indicator.REVIEWS: 40})
    great = [review(5) for _ in range(100)]
    assert points(scored(great, card=small_cap), "REVIEWS_POSITIVE") == 40
    assert points(scored(great), "REVIEWS_POSITIVE") <= CARD.max_review_points


def test_score_is_clamped_to_0_and_1000() -> None:
    everything = (
        [notice(Severity.SEVERE) for _ in range(20)]
        + [outcome("missing", Outcome.UPHELD, Severity.SEVERE) for _ in range(20)]
        + [complaint(f"u{i}", verified=True) for i in range(50)]
    )
    worst = scored(everything)
    assert worst.score == 0 and worst.band == "E"
    generous = dataclasses.replace(CARD, base_score=1000)
    assert scored([review(5)], card=generous).score == SCORE_MAX


# --- complaints: reporter cap, smoothing, verification --------------------------------------------------


def test_one_reporter_weighs_no_more_than_the_cap_but_many_reporters_do() -> None:
    for verified in (True, False):
        one = replay([complaint("brigader", verified) for _ in range(10)], card=CARD)
        many = replay([complaint(f"u{i}", verified) for i in range(10)], card=CARD)

        def weight(aggregates: Aggregates) -> float:
            return sum(aggregates.value(k, T0, None) for k in ("complaints.verified", "complaints.unverified"))

        assert weight(one) == pytest.approx(CARD.reporter_cap)
        assert weight(many) > weight(one)
        assert score(many, CARD, as_of=T0).score < score(one, CARD, as_of=T0).score


def test_reporter_cap_limits_one_complaint() -> None:
    event = complaint(verified=True)
    assert complaint_weight(contributions(event, card=CARD, reporter_weight_so_far=0.75)) == pytest.approx(0.25)
    assert contributions(event, card=CARD, reporter_weight_so_far=CARD.reporter_cap) == ()


def test_smoothing_keeps_a_small_account_with_two_unverified_complaints_above_band_d() -> None:
    small = [review(5) for _ in range(3)]
    two = [complaint("u1"), complaint("u2")]
    result = scored(small + two)
    assert result.band in {"A", "B", "C"}
    assert -20 <= prefixed(result, "COMPLAINTS_") < 0
    # Even verified, two complaints do not push a three-review account down to D.
    assert scored([*small, complaint("u1", True), complaint("u2", True)]).band in {"A", "B", "C"}
    # Without the rate prior the same two complaints would cost several times as much.
    unsmoothed = dataclasses.replace(CARD, complaint_rate_prior=1e-9)
    assert prefixed(scored(small + two, card=unsmoothed), "COMPLAINTS_") < 5 * prefixed(result, "COMPLAINTS_")
    # And the same complaints weigh less on an account with more volume.
    large = [review(5) for _ in range(300)]
    assert prefixed(scored(large + two), "COMPLAINTS_") > prefixed(result, "COMPLAINTS_")


def test_unverified_complaints_weigh_little_until_upheld() -> None:
    filed = complaint("u1", verified=False)
    before = scored([filed])
    assert points(before, "COMPLAINTS_UNVERIFIED") == -10  # 0.2 / 20 * 1000
    after = scored([filed, outcome(filed, Outcome.UPHELD, Severity.SERIOUS, at=days(1))], days(1))
    codes = {r.code for r in after.reasons}
    assert "COMPLAINTS_UNVERIFIED" not in codes
    assert points(after, "COMPLAINTS_VERIFIED") < points(before, "COMPLAINTS_UNVERIFIED")
    assert points(after, "PLATFORM_UPHELD_SERIOUS") == -60
    assert after.score < before.score


def test_upheld_upgrade_happens_at_the_complaints_time() -> None:
    filed = complaint("u1", verified=False, at=T0)
    made = contributions(outcome(filed, at=days(40)), card=CARD, referenced=filed)
    assert {(c.key, c.amount, c.at) for c in made} == {
        ("complaints.unverified", -0.2, T0),
        ("complaints.verified", 1.0, T0),
        ("platform.upheld.SERIOUS", 1.0, days(40)),
    }


def test_upheld_on_a_verified_complaint_adds_only_severity_points() -> None:
    filed = complaint("u1", verified=True)
    made = contributions(outcome(filed, Outcome.UPHELD, Severity.MINOR), card=CARD, referenced=filed)
    assert [c.key for c in made] == ["platform.upheld.MINOR"]


def test_a_capped_complaint_upgrades_by_the_fraction_it_counted() -> None:
    filed = complaint("u1", verified=False)
    made = contributions(outcome(filed), card=CARD, referenced=filed, referenced_weight=0.1)
    amounts = {c.key: c.amount for c in made}
    assert amounts["complaints.unverified"] == pytest.approx(-0.1)
    assert amounts["complaints.verified"] == pytest.approx(0.5)


def test_dismissed_removes_the_unverified_complaints_effect() -> None:
    clean = [review(5), review(4)]
    filed = complaint("u1", verified=False, at=days(2))
    dismissed = [*clean, filed, outcome(filed, Outcome.DISMISSED, at=days(9))]
    aggregates = replay(dismissed, card=CARD)
    assert aggregates.value("complaints.unverified", days(9), None) == 0.0  # no float residue left over
    for as_of in (days(9), days(100)):
        assert score(aggregates, CARD, as_of=as_of).score == scored(clean, as_of).score
        assert not [r for r in score(aggregates, CARD, as_of=as_of).reasons if r.code.startswith("COMPLAINTS")]
    # A verified complaint found untrue stops counting as well (Art. 20).
    verified = complaint("u2", verified=True)
    assert scored([*clean, verified, outcome(verified, Outcome.DISMISSED)]).score == scored(clean).score


def test_outcome_without_its_complaint_counts_only_severity_points_when_upheld() -> None:
    upheld = contributions(outcome("gone", Outcome.UPHELD, Severity.SEVERE), card=CARD)
    assert [c.key for c in upheld] == ["platform.upheld.SEVERE"]
    assert contributions(outcome("gone", Outcome.DISMISSED), card=CARD) == ()


def test_a_standing_upheld_outcome_is_not_applied_twice() -> None:
    filed = complaint("u1")
    again = contributions(outcome(filed), card=CARD, referenced=filed, referenced_was_upheld=True)
    assert [c.key for c in again] == ["platform.upheld.SERIOUS"]
    dismissed = contributions(
        outcome(filed, Outcome.DISMISSED), card=CARD, referenced=filed, referenced_was_upheld=True
    )
    assert dismissed == ()
    # replay: a DISMISSED after a DISMISSED removes nothing more.
    twice = replay(
        [filed, complaint("u2"), outcome(filed, Outcome.DISMISSED), outcome(filed, Outcome.DISMISSED)], card=CARD
    )
    assert twice.value("complaints.unverified", T0, None) == pytest.approx(CARD.unverified_complaint_weight)


def test_outcome_must_reference_its_complaint() -> None:
    other = review()
    with pytest.raises(InvalidArgument):
        contributions(outcome("c-elsewhere"), card=CARD, referenced=other)


# --- overturns, order and reproducibility -----------------------------------------------------------------


def test_overturning_an_upheld_outcome_restores_the_exact_score() -> None:
    filed = complaint("u1", at=days(1))
    history = [review(5), review(3, verified=False), filed, notice(Severity.MINOR, at=days(2))]
    aggregates = replay(history, card=CARD)
    decision = outcome(filed, Outcome.UPHELD, Severity.SEVERE, at=days(20))
    made = contributions(decision, card=CARD, referenced=filed)
    overturned = aggregates.apply(made).apply(made, sign=-1)
    for as_of in (days(20), days(400)):
        before, after = score(aggregates, CARD, as_of=as_of), score(overturned, CARD, as_of=as_of)
        assert (after.score, after.reasons, after.band) == (before.score, before.reasons, before.band)
        assert after.score > score(aggregates.apply(made), CARD, as_of=as_of).score


def test_out_of_order_events_give_the_same_aggregates() -> None:
    events = [
        review(5, at=days(10)),
        complaint("a", True, days(3)),
        notice(Severity.SEVERE, days(7)),
        review(2, at=days(1)),
    ]
    made = [c for e in events for c in contributions(e, card=CARD)]
    in_order = Aggregates().apply(sorted(made, key=lambda c: c.at))
    assert_close(Aggregates().apply(made), in_order)


def assert_close(a: Aggregates, b: Aggregates) -> None:
    assert set(a.sums) == set(b.sums)
    for key, entry in a.sums.items():
        assert entry.ref == b.sums[key].ref
        assert math.isclose(entry.value, b.sums[key].value, rel_tol=1e-9, abs_tol=1e-9), key


def test_a_stored_score_is_reproducible_from_its_inputs() -> None:
    filed = complaint("u1", at=days(3))
    events = [review(5), review(4, False, days(1)), filed, outcome(filed, at=days(4)), notice(at=days(6))]
    aggregates = replay(events, card=CARD)
    as_of = days(30)
    stored = score(aggregates, CARD, as_of=as_of)
    document = json.loads(json.dumps(aggregates.to_dict()))
    assert score(Aggregates.from_dict(document), CARD, as_of=as_of) == stored
    canonical = json.dumps([CARD.version, document, as_of.isoformat()], sort_keys=True, separators=(",", ":"))
    assert stored.inputs_hash == hashlib.sha256(canonical.encode()).hexdigest()
    assert stored.inputs_hash == hash_inputs(aggregates, CARD, as_of=as_of)
    assert stored.model_version == "2026.1"
    assert score(aggregates, CARD, as_of=days(31)).inputs_hash != stored.inputs_hash
    assert score(aggregates, dataclasses.replace(CARD, version="2026.2"), as_of=as_of).inputs_hash != stored.inputs_hash


# --- explanation and entitlements -------------------------------------------------------------------------


def test_reasons_are_sorted_explained_and_never_zero() -> None:
    filed = complaint("u1")
    result = scored([review(5), filed, complaint("u2", True), outcome(filed), notice(Severity.SEVERE)], days(1))
    magnitudes = [abs(r.points) for r in result.reasons]
    assert magnitudes == sorted(magnitudes, reverse=True)
    assert all(r.points != 0 and r.hint for r in result.reasons)
    assert all(r.code in REASON_CODES for r in result.reasons)
    hints = {r.code: r.hint for r in result.reasons}
    assert "90 days" in hints["COMPLAINTS_VERIFIED"]
    assert "365 days" in hints["REGULATOR_NOTICE_SEVERE"]
    assert "{" not in "".join(hints.values())


def test_a_band_change_changes_entitlements() -> None:
    fresh = scored([])
    assert (fresh.score, fresh.band, fresh.label) == (750, "B", "Good")
    assert fresh.entitlements.promotion_traffic and fresh.entitlements.product_categories == ("ALL",)
    troubled = scored([notice(Severity.SEVERE)])
    assert troubled.band == "D"
    assert not troubled.entitlements.promotion_traffic
    assert troubled.entitlements.max_concurrent_rooms < fresh.entitlements.max_concurrent_rooms
    assert not {"HEALTH", "MEDICINE", "FOOD", "INFANT", "ALL"} & set(troubled.entitlements.product_categories)
    barred = scored([notice(Severity.SEVERE), notice(Severity.SEVERE)])
    assert barred.band == "E" and not barred.entitlements.go_live
    excellent = scored([review(5) for _ in range(40)])
    assert excellent.band == "A" and excellent.label == "Excellent"
    assert excellent.entitlements.max_concurrent_rooms > fresh.entitlements.max_concurrent_rooms


# --- properties -------------------------------------------------------------------------------------------

offsets = st.floats(min_value=0, max_value=400, allow_nan=False)
severities = st.sampled_from(list(Severity))
specs = st.one_of(
    st.tuples(st.just("review"), st.integers(1, 5), st.booleans(), offsets),
    st.tuples(st.just("complaint"), st.sampled_from("abcd"), st.booleans(), offsets),
    st.tuples(st.just("outcome"), st.integers(0, 40), st.sampled_from(list(Outcome)), severities, offsets),
    st.tuples(st.just("notice"), severities, offsets),
)
AS_OF = days(401)


def build(spec_list: list[tuple]) -> list[Event]:
    events: list[Event] = []
    filed: list[Event] = []
    for spec in spec_list:
        kind, *rest = spec
        at = days(rest[-1])
        if kind == "review":
            event = review(rest[0], rest[1], at)
        elif kind == "complaint":
            event = complaint(rest[0], rest[1], at)
            filed.append(event)
        elif kind == "outcome":
            ref = filed[rest[0] % len(filed)].event_id if filed and rest[0] < 30 else "missing"
            event = outcome(ref, rest[1], rest[2], at)
        else:
            event = notice(rest[0], at)
        events.append(event)
    return events


histories = st.lists(specs, max_size=25).map(build)


@settings(max_examples=150, deadline=None)
@given(histories, offsets, st.integers(0, 40), severities, st.sampled_from("abcde"), st.booleans())
def test_monotonicity_per_indicator(history, at, ref, severity, reporter, verified) -> None:
    def value(extra: list[Event]) -> int:
        return score(replay(history + extra, card=CARD), CARD, as_of=AS_OF).score

    base = value([])
    assert value([review(5, verified, days(at))]) >= base
    assert value([complaint(reporter, verified, days(at))]) <= base
    complaints = [e for e in history if isinstance(e.body, Complaint)]
    target = complaints[ref % len(complaints)].event_id if complaints and ref < 30 else "missing"
    assert value([outcome(target, Outcome.UPHELD, severity, days(at))]) <= base
    assert value([notice(severity, days(at))]) <= base


@settings(max_examples=150, deadline=None)
@given(histories, offsets, offsets)
def test_time_passing_never_lowers_the_score_and_caps_hold(history, t1, extra) -> None:
    aggregates = replay(history, card=CARD)
    earlier, later = score(aggregates, CARD, as_of=days(t1)), score(aggregates, CARD, as_of=days(t1 + extra))
    assert later.score >= earlier.score
    for result in (earlier, later):
        assert 0 <= result.score <= SCORE_MAX
        assert result.band == CARD.band_for(result.score)
        assert result.entitlements == CARD.entitlements[result.band]
        # Each reason is rounded on its own, hence the slack of one point per severity.
        assert 0 <= points(result, "REVIEWS_POSITIVE") <= CARD.caps[Indicator.REVIEWS]
        assert prefixed(result, "COMPLAINTS_") >= -CARD.caps[Indicator.COMPLAINTS] - 1
        assert prefixed(result, "PLATFORM_UPHELD_") >= -CARD.caps[Indicator.PLATFORM_OUTCOMES] - 2
        assert prefixed(result, "REGULATOR_NOTICE_") >= -CARD.caps[Indicator.REGULATOR_NOTICES] - 2


@settings(max_examples=100, deadline=None)
@given(histories, specs)
def test_apply_then_subtract_restores_the_exact_score(history, extra_spec) -> None:
    aggregates = replay(history, card=CARD)
    (extra,) = build([extra_spec])
    made = contributions(extra, card=CARD)
    restored = aggregates.apply(made).apply(made, sign=-1)
    before, after = score(aggregates, CARD, as_of=AS_OF), score(restored, CARD, as_of=AS_OF)
    assert (after.score, after.reasons) == (before.score, before.reasons)


@settings(max_examples=100, deadline=None)
@given(histories, st.randoms(use_true_random=False))
def test_out_of_order_arrival_gives_the_same_aggregates(history, rnd) -> None:
    made = [c for e in history for c in contributions(e, card=CARD)]
    shuffled = list(made)
    rnd.shuffle(shuffled)
    assert_close(Aggregates().apply(shuffled), Aggregates().apply(sorted(made, key=lambda c: c.at)))
