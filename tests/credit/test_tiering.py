"""Tiered management of live rooms (Art. 11)."""

from __future__ import annotations

import dataclasses
import json

import pytest

from livetrust.credit._tiering import TIER_REASON_CODES, RoomMetrics, Tier, TierDecision, TierPolicy, tier_for
from livetrust.errors import InvalidArgument

POLICY = TierPolicy.default()


def room(
    followers: int = 1_000, views: int = 10_000, gmv: float = 20_000.0, categories=("APPAREL",), window_days: int = 30
):
    return RoomMetrics(followers, views, gmv, tuple(categories), window_days)


def test_default_policy_is_valid_and_round_trips() -> None:
    assert POLICY.validate() == []
    assert TierPolicy.from_dict(json.loads(json.dumps(POLICY.to_dict()))) == POLICY
    assert {"HEALTH", "MEDICINE", "FOOD", "INFANT", "COSMETICS"} <= set(POLICY.key_categories)


def test_an_ordinary_room_is_standard() -> None:
    assert tier_for(room(), "B", POLICY) == TierDecision(Tier.STANDARD, ())
    assert tier_for(None, None, POLICY) == TierDecision(Tier.STANDARD, ())


@pytest.mark.parametrize(
    ("metrics", "reason"),
    [
        (room(followers=POLICY.key_followers), "FOLLOWERS_ABOVE_KEY_THRESHOLD"),
        (room(views=POLICY.key_views), "VIEWS_ABOVE_KEY_THRESHOLD"),
        (room(gmv=POLICY.key_gmv), "GMV_ABOVE_KEY_THRESHOLD"),
    ],
)
def test_reaching_any_threshold_makes_a_room_key(metrics, reason) -> None:
    assert tier_for(metrics, "A", POLICY) == TierDecision(Tier.KEY, (reason,))


def test_just_below_the_thresholds_stays_standard() -> None:
    below = room(POLICY.key_followers - 1, POLICY.key_views - 1, POLICY.key_gmv - 0.01)
    assert tier_for(below, "A", POLICY).tier is Tier.STANDARD


def test_views_and_gmv_over_another_window_are_scaled_to_the_policy_window() -> None:
    # A week at the monthly threshold's daily rate reaches it; a month at a week's worth does not.
    weekly = POLICY.key_views * 7 // POLICY.window_days
    assert "VIEWS_ABOVE_KEY_THRESHOLD" in tier_for(room(views=weekly + 1, window_days=7), None, POLICY).reasons
    assert tier_for(room(views=weekly, window_days=30), None, POLICY).tier is Tier.STANDARD
    assert "GMV_ABOVE_KEY_THRESHOLD" in tier_for(room(gmv=POLICY.key_gmv / 30 + 1, window_days=1), None, POLICY).reasons


def test_life_and_health_categories_make_a_room_key() -> None:
    for category in ("HEALTH", "MEDICINE", "FOOD", "INFANT", "COSMETICS", " food "):
        decision = tier_for(room(categories=("APPAREL", category)), "A", POLICY)
        assert decision == TierDecision(Tier.KEY, ("KEY_PRODUCT_CATEGORY",))


def test_low_credit_puts_a_room_on_watch() -> None:
    assert tier_for(room(), "D", POLICY) == TierDecision(Tier.WATCH, ("LOW_CREDIT_BAND",))
    assert tier_for(None, "D", POLICY) == TierDecision(Tier.WATCH, ("LOW_CREDIT_BAND",))


def test_a_repeat_violator_is_key_and_still_low_credit() -> None:
    assert tier_for(room(), "E", POLICY) == TierDecision(Tier.KEY, ("REPEAT_VIOLATOR", "LOW_CREDIT_BAND"))


def test_key_wins_over_watch() -> None:
    # A large low-credit room needs the most supervision and the longest retention.
    decision = tier_for(room(followers=5_000_000), "D", POLICY)
    assert decision == TierDecision(Tier.KEY, ("FOLLOWERS_ABOVE_KEY_THRESHOLD", "LOW_CREDIT_BAND"))


def test_every_trigger_is_listed_in_a_stable_order() -> None:
    everything = room(POLICY.key_followers, POLICY.key_views, POLICY.key_gmv, ("INFANT",))
    decision = tier_for(everything, "E", POLICY)
    assert decision.tier is Tier.KEY
    assert decision.reasons == TIER_REASON_CODES


def test_the_policy_is_configuration() -> None:
    strict = dataclasses.replace(POLICY, key_followers=500, watch_bands=("C", "D", "E"), key_categories=("TOYS",))
    assert tier_for(room(followers=500), None, strict).tier is Tier.KEY
    assert tier_for(room(followers=100), "C", strict).tier is Tier.WATCH
    assert tier_for(room(followers=100, categories=("toys",)), None, strict).reasons == ("KEY_PRODUCT_CATEGORY",)
    assert tier_for(room(followers=100, categories=("FOOD",)), None, strict).tier is Tier.STANDARD


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"key_followers": 0}, "key_followers"),
        ({"key_views": -5}, "key_views"),
        ({"key_gmv": float("inf")}, "key_gmv"),
        ({"window_days": 0}, "window_days"),
        ({"key_categories": ("FOOD", " ")}, "key_categories"),
        ({"watch_bands": ("",)}, "watch_bands"),
    ],
)
def test_validate_catches_bad_policies(changes, field) -> None:
    assert field in {v.field for v in dataclasses.replace(POLICY, **changes).validate()}


def test_from_dict_names_missing_and_malformed_fields() -> None:
    document = POLICY.to_dict()
    del document["key_gmv"]
    with pytest.raises(InvalidArgument) as missing:
        TierPolicy.from_dict(document)
    assert missing.value.violations[0].field == "key_gmv"
    with pytest.raises(InvalidArgument) as malformed:
        TierPolicy.from_dict({**POLICY.to_dict(), "watch_bands": "DE"})
    assert malformed.value.violations[0].field == "watch_bands"


def test_room_metrics_refuse_impossible_values() -> None:
    with pytest.raises(InvalidArgument) as bad:
        RoomMetrics(-1, 0, float("nan"), (), 0)
    assert {v.field for v in bad.value.violations} == {"followers", "gmv", "window_days"}
