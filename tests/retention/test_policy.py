"""The pure retention rules: periods, policy changes and locks, holds, and the purge safety predicate."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from livetrust.errors import FailedPrecondition, InvalidArgument, PermissionDenied
from livetrust.retention._policy import (
    DEFAULT_BASE_DAYS,
    ContentClass,
    Hold,
    Mode,
    Policy,
    PolicyChange,
    RetentionFacts,
    change_policy,
    decide,
    default_policy,
    is_purgeable,
    is_shortening,
    lock_policy,
)

THREE_YEAR_CLASSES = (
    ContentClass.LIVE_REPLAY,
    ContentClass.INTERACTION_RECORD,
    ContentClass.TRANSACTION_RECORD,
    ContentClass.VERIFICATION_RECORD,
)
LIVE_CONTENT_CLASSES = (ContentClass.LIVE_REPLAY, ContentClass.INTERACTION_RECORD, ContentClass.LIVE_CONTENT)
ENDED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
utc_datetimes = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 12, 31), timezones=st.just(UTC))


def three_years_after(moment: datetime) -> datetime:
    """The calendar date 3 years later; from Feb 29 the conservative reading, Mar 1."""
    try:
        return moment.replace(year=moment.year + 3)
    except ValueError:
        return moment.replace(year=moment.year + 3, month=3, day=1)


def compliance(content_class: ContentClass = ContentClass.LIVE_REPLAY, *, locked: bool = False) -> Policy:
    policy = change_policy(
        default_policy("p-1", content_class),
        PolicyChange(DEFAULT_BASE_DAYS[content_class], 365, Mode.COMPLIANCE),
        actor_is_admin=False,
    )
    return lock_policy(policy) if locked else policy


def least_extension(content_class: ContentClass) -> int:
    """The shortest key-room extension a class may have: key rooms keep live content longer, logs need not."""
    return 0 if content_class is ContentClass.LOG else 1


def facts(policy: Policy, **kwargs: object) -> RetentionFacts:
    values: dict[str, object] = {"ended_at": ENDED, "policy": policy, "key_room": False}
    values.update(kwargs)
    return RetentionFacts(**values)  # type: ignore[arg-type]


# --- default periods ---------------------------------------------------------------------------------


def test_default_periods_per_class() -> None:
    assert set(DEFAULT_BASE_DAYS) == set(ContentClass)
    assert DEFAULT_BASE_DAYS[ContentClass.LIVE_REPLAY] == 1096
    assert DEFAULT_BASE_DAYS[ContentClass.INTERACTION_RECORD] == 1096
    assert DEFAULT_BASE_DAYS[ContentClass.TRANSACTION_RECORD] == 1096
    assert DEFAULT_BASE_DAYS[ContentClass.VERIFICATION_RECORD] == 1096
    assert DEFAULT_BASE_DAYS[ContentClass.LIVE_CONTENT] == 60
    assert DEFAULT_BASE_DAYS[ContentClass.LOG] == 60
    with pytest.raises(TypeError):
        DEFAULT_BASE_DAYS[ContentClass.LOG] = 1  # type: ignore[index]


@pytest.mark.parametrize("content_class", list(ContentClass))
def test_default_policy(content_class: ContentClass) -> None:
    policy = default_policy("p-1", content_class)
    assert policy.platform_id == "p-1"
    assert policy.content_class is content_class
    assert policy.base_days == DEFAULT_BASE_DAYS[content_class]
    assert (policy.mode, policy.version, policy.locked) == (Mode.GOVERNANCE, 1, False)
    assert policy.key_room_extension_days == (0 if content_class is ContentClass.LOG else 365)


@given(ended_at=utc_datetimes, content_class=st.sampled_from(THREE_YEAR_CLASSES))
@example(ended_at=datetime(2024, 2, 29, 23, 59, tzinfo=UTC), content_class=ContentClass.LIVE_REPLAY)
@example(ended_at=datetime(2023, 3, 1, tzinfo=UTC), content_class=ContentClass.TRANSACTION_RECORD)
@example(ended_at=datetime(2099, 12, 31, tzinfo=UTC), content_class=ContentClass.VERIFICATION_RECORD)
def test_three_year_minimum_holds_for_any_start(ended_at: datetime, content_class: ContentClass) -> None:
    decision = decide(RetentionFacts(ended_at, default_policy("p-1", content_class), key_room=False))
    assert decision.retain_until >= three_years_after(ended_at)
    assert not is_purgeable(
        RetentionFacts(ended_at, default_policy("p-1", content_class), key_room=False),
        now=three_years_after(ended_at) - timedelta(microseconds=1),
    )


def test_1095_days_would_not_be_enough() -> None:
    # Why 1096: a span that contains Feb 29 2024 is one day longer than 3 * 365.
    start = datetime(2023, 3, 1, tzinfo=UTC)
    assert start + timedelta(days=1095) < three_years_after(start)
    assert start + timedelta(days=1096) == three_years_after(start)


@given(ended_at=utc_datetimes, content_class=st.sampled_from([ContentClass.LIVE_CONTENT, ContentClass.LOG]))
def test_sixty_days_for_live_content_and_logs(ended_at: datetime, content_class: ContentClass) -> None:
    policy = default_policy("p-1", content_class)
    assert decide(RetentionFacts(ended_at, policy, key_room=False)).retain_until == ended_at + timedelta(days=60)


# --- GOVERNANCE ----------------------------------------------------------------------------------------


def test_governance_shortening_needs_an_admin() -> None:
    policy = change_policy(
        default_policy("p-1", ContentClass.LIVE_REPLAY), PolicyChange(2000, 365), actor_is_admin=True
    )
    with pytest.raises(PermissionDenied) as raised:
        change_policy(policy, PolicyChange(1500, 365, reason="storage costs"), actor_is_admin=False)
    assert raised.value.reason == "GOVERNANCE_BYPASS_REQUIRED"
    with pytest.raises(PermissionDenied):
        change_policy(policy, PolicyChange(2000, 100, reason="storage costs"), actor_is_admin=False)


@pytest.mark.parametrize("reason", ["", "   "])
def test_governance_shortening_needs_a_reason(reason: str) -> None:
    policy = change_policy(
        default_policy("p-1", ContentClass.LIVE_REPLAY), PolicyChange(2000, 365), actor_is_admin=False
    )
    with pytest.raises(InvalidArgument) as raised:
        change_policy(policy, PolicyChange(1500, 365, reason=reason), actor_is_admin=True)
    assert [v.field for v in raised.value.violations] == ["reason"]


def test_governance_shortening_by_an_admin_with_a_reason() -> None:
    policy = change_policy(
        default_policy("p-1", ContentClass.LIVE_REPLAY), PolicyChange(2000, 365), actor_is_admin=False
    )
    shorter = change_policy(policy, PolicyChange(1200, 30, reason="ticket OPS-12"), actor_is_admin=True)
    assert (shorter.base_days, shorter.key_room_extension_days, shorter.version) == (1200, 30, 3)
    assert shorter.mode is Mode.GOVERNANCE and not shorter.locked


def test_extending_needs_no_privilege_and_every_change_bumps_the_version() -> None:
    policy = default_policy("p-1", ContentClass.LOG)
    for expected_version, days in enumerate([90, 90, 120], start=2):
        policy = change_policy(policy, PolicyChange(days, 0), actor_is_admin=False)
        assert (policy.base_days, policy.version) == (days, expected_version)


def test_is_shortening() -> None:
    policy = default_policy("p-1", ContentClass.LIVE_REPLAY)
    assert is_shortening(policy, replace(policy, base_days=policy.base_days - 1))
    assert is_shortening(policy, replace(policy, key_room_extension_days=0))
    assert not is_shortening(policy, replace(policy, base_days=policy.base_days + 1, mode=Mode.COMPLIANCE))
    assert not is_shortening(policy, policy)
    # Leaving COMPLIANCE weakens the policy: the service stops recording promises.
    assert is_shortening(compliance(), replace(compliance(), mode=Mode.GOVERNANCE))


# --- COMPLIANCE and the lock ---------------------------------------------------------------------------


def test_only_compliance_can_be_locked() -> None:
    with pytest.raises(FailedPrecondition) as raised:
        lock_policy(default_policy("p-1", ContentClass.LIVE_REPLAY))
    assert raised.value.reason == "NOT_COMPLIANCE_MODE"


def test_switching_to_compliance_does_not_lock() -> None:
    policy = compliance()
    assert (policy.mode, policy.locked, policy.version) == (Mode.COMPLIANCE, False, 2)


def test_lock_bumps_the_version_and_locking_twice_is_a_no_op() -> None:
    locked = lock_policy(compliance())
    assert locked.locked and locked.version == 3
    assert lock_policy(locked) is locked


def test_unlocked_compliance_may_return_to_governance_as_a_bypass() -> None:
    policy = compliance()
    with pytest.raises(PermissionDenied):
        change_policy(policy, PolicyChange(1096, 365, Mode.GOVERNANCE, "x"), actor_is_admin=False)
    back = change_policy(policy, PolicyChange(1096, 365, Mode.GOVERNANCE, "wrong mode chosen"), actor_is_admin=True)
    assert back.mode is Mode.GOVERNANCE and not back.locked


@pytest.mark.parametrize(
    ("change", "violations"),
    [
        (PolicyChange(1200, 365), 1),
        (PolicyChange(1300, 364), 1),
        (PolicyChange(1200, 1), 2),
        (PolicyChange(1300, 365, Mode.GOVERNANCE), 1),
        (PolicyChange(1200, 1, Mode.GOVERNANCE, "court approved"), 3),
    ],
)
def test_locked_policy_may_only_be_extended_even_by_an_admin(change: PolicyChange, violations: int) -> None:
    locked = lock_policy(change_policy(compliance(), PolicyChange(1300, 365), actor_is_admin=False))
    for admin in (False, True):
        with pytest.raises(FailedPrecondition) as raised:
            change_policy(locked, replace(change, reason=change.reason or "because"), actor_is_admin=admin)
        assert raised.value.reason == "POLICY_LOCKED"
        assert len(raised.value.violations) == violations
        assert {(v.type, v.subject) for v in raised.value.violations} == {("LOCK", "LIVE_REPLAY")}


def test_locked_policy_extends_by_anyone_and_stays_locked() -> None:
    locked = compliance(locked=True)
    longer = change_policy(locked, PolicyChange(2000, 400, Mode.COMPLIANCE), actor_is_admin=False)
    assert (longer.base_days, longer.key_room_extension_days, longer.version) == (2000, 400, locked.version + 1)
    assert longer.locked and longer.mode is Mode.COMPLIANCE
    same = change_policy(longer, PolicyChange(2000, 400), actor_is_admin=False)
    assert same.locked and same.version == longer.version + 1


# --- the law is a floor in every mode ------------------------------------------------------------------


@pytest.mark.parametrize("mode", list(Mode))
@pytest.mark.parametrize("content_class", list(ContentClass))
def test_below_the_law_is_refused_in_either_mode(mode: Mode, content_class: ContentClass) -> None:
    extension = least_extension(content_class)
    policy = change_policy(
        default_policy("p-1", content_class),
        PolicyChange(DEFAULT_BASE_DAYS[content_class], extension, mode, "setup"),
        actor_is_admin=True,
    )
    minimum = DEFAULT_BASE_DAYS[content_class]
    with pytest.raises(InvalidArgument) as raised:
        change_policy(policy, PolicyChange(minimum - 1, extension, reason="cheaper"), actor_is_admin=True)
    assert raised.value.reason == "BELOW_REGULATORY_MINIMUM"
    assert [(v.field, v.reason) for v in raised.value.violations] == [("base_days", "BELOW_REGULATORY_MINIMUM")]
    if mode is Mode.COMPLIANCE:
        with pytest.raises(InvalidArgument):
            change_policy(lock_policy(policy), PolicyChange(minimum - 1, extension), actor_is_admin=True)
    assert change_policy(policy, PolicyChange(minimum, extension), actor_is_admin=True).base_days == minimum


@pytest.mark.parametrize("mode", list(Mode))
@pytest.mark.parametrize("content_class", LIVE_CONTENT_CLASSES)
def test_key_rooms_keep_live_content_longer_in_either_mode(mode: Mode, content_class: ContentClass) -> None:
    """ "Longer retention of their live content": an extension of 0 is refused, even for an admin."""
    policy = change_policy(
        default_policy("p-1", content_class),
        PolicyChange(DEFAULT_BASE_DAYS[content_class], 1, mode, "setup"),
        actor_is_admin=True,
    )
    assert policy.key_room_extension_days == 1
    with pytest.raises(InvalidArgument) as raised:
        change_policy(policy, PolicyChange(policy.base_days, 0, reason="cheaper"), actor_is_admin=True)
    assert raised.value.reason == "BELOW_REGULATORY_MINIMUM"
    assert [(v.field, v.reason) for v in raised.value.violations] == [
        ("key_room_extension_days", "BELOW_REGULATORY_MINIMUM")
    ]


@pytest.mark.parametrize(
    "content_class", [ContentClass.LOG, ContentClass.TRANSACTION_RECORD, ContentClass.VERIFICATION_RECORD]
)
def test_records_that_are_not_live_content_may_have_no_key_room_extension(content_class: ContentClass) -> None:
    base = DEFAULT_BASE_DAYS[content_class]
    policy = change_policy(default_policy("p-1", content_class), PolicyChange(base, 0, reason="r"), actor_is_admin=True)
    assert policy.key_room_extension_days == 0


@pytest.mark.parametrize("content_class", list(ContentClass))
@pytest.mark.parametrize(
    ("base", "extension", "field"),
    [(36_501, 365, "base_days"), (3_000_000, 365, "base_days"), (1096, 36_501, "key_room_extension_days")],
)
def test_day_counts_have_an_upper_bound(content_class: ContentClass, base: int, extension: int, field: str) -> None:
    """Unbounded counts overflow the date arithmetic of every later artifact; a locked policy could never
    come back down, so they are refused up front."""
    for policy in (default_policy("p-1", content_class), compliance(content_class, locked=True)):
        with pytest.raises(InvalidArgument) as raised:
            change_policy(policy, PolicyChange(base, extension), actor_is_admin=True)
        assert [(v.field, v.reason) for v in raised.value.violations] == [(field, "OUT_OF_RANGE")]
    # The bound itself is accepted, and an artifact's dates still compute.
    top = change_policy(default_policy("p-1", content_class), PolicyChange(36_500, 36_500), actor_is_admin=False)
    assert decide(facts(top, key_room=True)).retain_until == ENDED + timedelta(days=73_000)


def test_negative_days_are_invalid_arguments() -> None:
    with pytest.raises(InvalidArgument) as raised:
        change_policy(default_policy("p-1", ContentClass.LOG), PolicyChange(-1, -5, reason="x"), actor_is_admin=True)
    assert [v.field for v in raised.value.violations] == ["base_days", "key_room_extension_days"]


def test_decide_never_goes_below_the_law_even_for_a_bad_row() -> None:
    bad = replace(default_policy("p-1", ContentClass.LIVE_REPLAY), base_days=10)
    decision = decide(facts(bad))
    assert decision.retain_until == ENDED + timedelta(days=1096)
    assert "REGULATORY_MINIMUM: 1096 days after ended_at" in decision.reasons


# --- key rooms -----------------------------------------------------------------------------------------


def test_key_room_extension() -> None:
    policy = default_policy("p-1", ContentClass.LIVE_REPLAY)
    decision = decide(facts(policy, key_room=True))
    assert decision.retain_until == ENDED + timedelta(days=1096 + 365)
    assert "KEY_ROOM_EXTENSION: +365 days" in decision.reasons
    log = decide(facts(default_policy("p-1", ContentClass.LOG), key_room=True))
    assert log.retain_until == ENDED + timedelta(days=60)


def test_leaving_key_under_governance_returns_to_base() -> None:
    policy = default_policy("p-1", ContentClass.LIVE_REPLAY)
    assert decide(facts(policy, key_room=True)).retain_until == ENDED + timedelta(days=1461)
    assert decide(facts(policy, key_room=False)).retain_until == ENDED + timedelta(days=1096)
    assert is_purgeable(facts(policy, key_room=False), now=ENDED + timedelta(days=1096))


def test_leaving_key_under_compliance_keeps_the_promise() -> None:
    policy = compliance()
    promised = decide(facts(policy, key_room=True)).retain_until
    assert promised == ENDED + timedelta(days=1461)
    after = decide(facts(policy, key_room=False, promised_until=promised))
    assert after.retain_until == promised
    assert f"COMPLIANCE_PROMISE: {promised.isoformat()}" in after.reasons
    assert not is_purgeable(facts(policy, key_room=False, promised_until=promised), now=promised - timedelta(seconds=1))
    assert is_purgeable(facts(policy, key_room=False, promised_until=promised), now=promised)


def test_a_compliance_promise_outlives_a_later_switch_to_governance() -> None:
    promised = ENDED + timedelta(days=1461)
    back = change_policy(compliance(), PolicyChange(1096, 1, Mode.GOVERNANCE, "mistake"), actor_is_admin=True)
    assert decide(facts(back, promised_until=promised)).retain_until == promised


# --- holds ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["LEGAL", "EVENT", "SOMETHING_NEW"])
def test_an_active_hold_blocks_purge_forever(kind: str) -> None:
    hold = Hold("h-1", kind, placed_at=ENDED + timedelta(days=10))
    decision = decide(facts(default_policy("p-1", ContentClass.LOG), holds=(hold,)))
    assert decision.purgeable_at is None
    assert f"{kind}_HOLD h-1 active" in decision.reasons
    assert not is_purgeable(facts(default_policy("p-1", ContentClass.LOG), holds=(hold,)), now=ENDED.replace(year=2999))


def test_released_legal_hold_does_not_restart_the_clock() -> None:
    hold = Hold("h-1", "LEGAL", ENDED + timedelta(days=10), released_at=ENDED + timedelta(days=100))
    decision = decide(facts(default_policy("p-1", ContentClass.LOG), holds=(hold,)))
    assert decision.retain_until == decision.purgeable_at == ENDED + timedelta(days=60)


def test_event_hold_release_restarts_the_clock() -> None:
    released = ENDED + timedelta(days=100)
    hold = Hold("h-2", "EVENT", ENDED + timedelta(days=10), released_at=released)
    policy = replace(default_policy("p-1", ContentClass.LIVE_CONTENT), key_room_extension_days=30)
    decision = decide(facts(policy, key_room=True, holds=(hold,)))
    assert decision.retain_until == decision.purgeable_at == released + timedelta(days=90)
    assert f"EVENT_HOLD h-2 released {released.isoformat()}: clock restarted until " in decision.reasons[-1]
    early = Hold("h-3", "EVENT", ENDED, released_at=ENDED + timedelta(days=1))
    assert decide(facts(policy, holds=(early,))).retain_until == ENDED + timedelta(days=61)


def test_one_active_hold_among_released_ones_still_blocks() -> None:
    holds = (
        Hold("h-1", "EVENT", ENDED, released_at=ENDED + timedelta(days=1)),
        Hold("h-2", "LEGAL", ENDED + timedelta(days=2)),
    )
    assert decide(facts(default_policy("p-1", ContentClass.LOG), holds=holds)).purgeable_at is None


def test_is_purgeable_at_the_exact_instant() -> None:
    policy = default_policy("p-1", ContentClass.LOG)
    until = ENDED + timedelta(days=60)
    assert not is_purgeable(facts(policy), now=until - timedelta(microseconds=1))
    assert is_purgeable(facts(policy), now=until)


def test_reasons_answer_why_it_is_still_here() -> None:
    policy = change_policy(compliance(), PolicyChange(1096, 365), actor_is_admin=False)  # v3
    promised = ENDED + timedelta(days=3000)
    released = ENDED + timedelta(days=400)
    holds = (
        Hold("h-2", "EVENT", ENDED + timedelta(days=5), released_at=released),
        Hold("h-1", "LEGAL", ENDED + timedelta(days=1)),
    )
    decision = decide(facts(policy, key_room=True, promised_until=promised, holds=holds))
    assert decision.reasons == (
        "POLICY LIVE_REPLAY v3 COMPLIANCE: 1096 days after ended_at",
        "KEY_ROOM_EXTENSION: +365 days",
        f"COMPLIANCE_PROMISE: {promised.isoformat()}",
        "LEGAL_HOLD h-1 active",
        f"EVENT_HOLD h-2 released {released.isoformat()}: clock restarted until "
        f"{(released + timedelta(days=1461)).isoformat()}",
    )
    assert decision.retain_until == promised and decision.purgeable_at is None
    locked = decide(facts(lock_policy(policy)))
    assert locked.reasons[0] == "POLICY LIVE_REPLAY v4 COMPLIANCE LOCKED: 1096 days after ended_at"


# --- the safety property -------------------------------------------------------------------------------


class RetentionMachine(RuleBasedStateMachine):
    """Random policy changes, tier flips, holds and clock moves against one artifact; the purge predicate
    must never let it go early. ``promised_until`` is kept the way the service keeps it."""

    @initialize(
        content_class=st.sampled_from(ContentClass),
        mode=st.sampled_from(Mode),
        ended_at=utc_datetimes,
        lag=st.integers(0, 5),
    )
    def start(self, content_class: ContentClass, mode: Mode, ended_at: datetime, lag: int) -> None:
        policy = default_policy("p-1", content_class)
        self.policy = change_policy(
            policy, PolicyChange(policy.base_days, policy.key_room_extension_days, mode), actor_is_admin=False
        )
        self.ended_at = ended_at
        self.now = ended_at + timedelta(days=lag)
        self.key_room = False
        self.holds: list[Hold] = []
        self.promised_until: datetime | None = None
        self.was_locked = False
        self.settle()

    # -- helpers --

    @property
    def facts(self) -> RetentionFacts:
        return RetentionFacts(self.ended_at, self.policy, self.key_room, self.promised_until, tuple(self.holds))

    @property
    def minimum(self) -> timedelta:
        return timedelta(days=DEFAULT_BASE_DAYS[self.policy.content_class])

    def settle(self) -> None:
        # What the service does after every change: record the promise while the policy is COMPLIANCE.
        if self.policy.mode is Mode.COMPLIANCE:
            until = decide(self.facts).retain_until
            self.promised_until = until if self.promised_until is None else max(self.promised_until, until)
        self.was_locked = self.was_locked or self.policy.locked

    # -- steps --

    def apply(self, base: int, extension: int, mode: Mode | None, reason: str, admin: bool) -> None:
        before = self.policy
        try:
            after = change_policy(before, PolicyChange(base, extension, mode, reason), actor_is_admin=admin)
        except (InvalidArgument, FailedPrecondition, PermissionDenied):
            return
        assert after.version == before.version + 1
        assert after.base_days >= DEFAULT_BASE_DAYS[after.content_class]
        if before.locked:
            assert after.locked and after.mode is before.mode and not is_shortening(before, after)
        elif is_shortening(before, after):
            assert admin and reason.strip()
        self.policy = after
        self.settle()

    # Changes relative to the current policy: most are valid, and shortening and extending are equally likely.
    @rule(
        base_delta=st.integers(-400, 400),
        extension_delta=st.integers(-400, 400),
        mode=st.none() | st.sampled_from(Mode),
        reason=st.sampled_from(["", " ", "case 42"]),
        admin=st.booleans(),
    )
    def change(self, base_delta: int, extension_delta: int, mode: Mode | None, reason: str, admin: bool) -> None:
        policy = self.policy
        self.apply(policy.base_days + base_delta, policy.key_room_extension_days + extension_delta, mode, reason, admin)

    # Absolute values at the edges: negative, the legal minimums and one off them.
    @rule(
        base=st.sampled_from([-1, 0, 59, 60, 61, 1095, 1096, 1097, 2500]),
        extension=st.sampled_from([-1, 0, 1, 365, 1000]),
        mode=st.none() | st.sampled_from(Mode),
        reason=st.sampled_from(["", "case 42"]),
        admin=st.booleans(),
    )
    def change_to(self, base: int, extension: int, mode: Mode | None, reason: str, admin: bool) -> None:
        self.apply(base, extension, mode, reason, admin)

    # The GOVERNANCE bypass done properly: what an admin can do is the most dangerous step.
    @rule(
        base_delta=st.integers(-400, 100),
        extension_delta=st.integers(-400, 100),
        mode=st.none() | st.sampled_from(Mode),
    )
    def admin_bypass(self, base_delta: int, extension_delta: int, mode: Mode | None) -> None:
        policy = self.policy
        self.apply(
            policy.base_days + base_delta, policy.key_room_extension_days + extension_delta, mode, "case 42", True
        )

    @rule()
    def lock(self) -> None:
        try:
            self.policy = lock_policy(self.policy)
        except FailedPrecondition:
            assert self.policy.mode is Mode.GOVERNANCE
            return
        assert self.policy.locked
        self.settle()

    @rule(key=st.booleans())
    def set_tier(self, key: bool) -> None:
        self.key_room = key
        self.settle()

    @rule(kind=st.sampled_from(["LEGAL", "EVENT"]))
    def place_hold(self, kind: str) -> None:
        self.holds.append(Hold(f"h-{len(self.holds) + 1}", kind, placed_at=self.now))
        self.settle()

    @rule(pick=st.integers(0, 1000))
    def release_hold(self, pick: int) -> None:
        active = [i for i, hold in enumerate(self.holds) if hold.released_at is None]
        if active:
            index = active[pick % len(active)]
            self.holds[index] = replace(self.holds[index], released_at=self.now)
            self.settle()

    @rule(days=st.integers(0, 1500), seconds=st.integers(0, 86_399))
    def advance(self, days: int, seconds: int) -> None:
        self.now += timedelta(days=days, seconds=seconds)
        self.settle()

    @rule(offset_us=st.integers(-2, 2))
    def advance_to_the_edge(self, offset_us: int) -> None:
        # Land right at the boundaries, where an off-by-one would show.
        target = decide(self.facts).retain_until + timedelta(microseconds=offset_us)
        self.now = max(self.now, target)
        self.settle()

    # -- what must always hold --

    @invariant()
    def never_purgeable_early(self) -> None:
        if not is_purgeable(self.facts, now=self.now):
            return
        assert all(hold.released_at is not None for hold in self.holds), "purgeable with an active hold"
        assert self.now >= self.ended_at + self.minimum, "purgeable before the regulatory minimum"
        assert self.promised_until is None or self.now >= self.promised_until, "purgeable before the promise"
        for hold in self.holds:
            if hold.kind == "EVENT" and hold.released_at is not None:
                assert self.now >= hold.released_at + self.minimum, "purgeable before the restarted clock ran"

    @invariant()
    def decision_is_consistent(self) -> None:
        decision = decide(self.facts)
        assert decision.retain_until >= self.ended_at + self.minimum
        any_active = any(hold.released_at is None for hold in self.holds)
        assert (decision.purgeable_at is None) == any_active
        assert decision.reasons[0].startswith(f"POLICY {self.policy.content_class.value} v{self.policy.version} ")

    @invariant()
    def the_lock_is_irreversible(self) -> None:
        if self.was_locked:
            assert self.policy.locked and self.policy.mode is Mode.COMPLIANCE


RetentionMachine.TestCase.settings = settings(max_examples=300, stateful_step_count=40, deadline=None)
TestRetentionMachine = RetentionMachine.TestCase
