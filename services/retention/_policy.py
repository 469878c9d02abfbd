"""Retention rules, pure: policies per content class, how they may change, and when an artifact may go.
REGULATION.md, "Retention" and "Tiered management".

Modelled on S3 Object Lock (GOVERNANCE may be bypassed by an admin, COMPLIANCE may not), GCS Bucket Lock
(a locked policy can only be extended, never shortened or removed) and Azure immutable storage (legal
holds block deletion whatever the period). No I/O, no clock: the caller passes ``now``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from types import MappingProxyType

from livetrust.errors import (
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    PermissionDenied,
    PreconditionViolation,
)

__all__ = [
    "DEFAULT_BASE_DAYS",
    "ContentClass",
    "Hold",
    "Mode",
    "Policy",
    "PolicyChange",
    "RetentionDecision",
    "RetentionFacts",
    "change_policy",
    "decide",
    "default_policy",
    "is_purgeable",
    "is_shortening",
    "lock_policy",
]


class ContentClass(enum.Enum):
    LIVE_REPLAY = "LIVE_REPLAY"
    INTERACTION_RECORD = "INTERACTION_RECORD"
    TRANSACTION_RECORD = "TRANSACTION_RECORD"
    VERIFICATION_RECORD = "VERIFICATION_RECORD"
    LIVE_CONTENT = "LIVE_CONTENT"
    LOG = "LOG"


class Mode(enum.Enum):
    """GOVERNANCE: an admin may shorten, with a reason. COMPLIANCE: may be locked, then only extended."""

    GOVERNANCE = "GOVERNANCE"
    COMPLIANCE = "COMPLIANCE"


# "At least 3 years" must hold whatever the start date: 3 calendar years contain at most one Feb 29,
# so 3 * 365 + 1 days is never shorter than 3 years (Feb 29 2024 + 1096 days = Mar 1 2027).
_THREE_YEARS_DAYS = 3 * 365 + 1
_SIXTY_DAYS = 60

#: The regulatory minimum per class, in days after ``ended_at`` (the end of the broadcast, the completion
#: of the transaction, or the making of the record). Also the default: no policy may go below it.
DEFAULT_BASE_DAYS: Mapping[ContentClass, int] = MappingProxyType(
    {
        ContentClass.LIVE_REPLAY: _THREE_YEARS_DAYS,
        ContentClass.INTERACTION_RECORD: _THREE_YEARS_DAYS,
        ContentClass.TRANSACTION_RECORD: _THREE_YEARS_DAYS,
        ContentClass.VERIFICATION_RECORD: _THREE_YEARS_DAYS,
        ContentClass.LIVE_CONTENT: _SIXTY_DAYS,
        ContentClass.LOG: _SIXTY_DAYS,
    }
)

# Key rooms keep their live content "longer, per platform policy": the length is the platform's choice
# (configuration, changed through ChangePolicy), not the law. Logs are not live content: no extension.
_DEFAULT_KEY_ROOM_EXTENSION_DAYS = 365
#: Classes whose key-room extension the law requires ("longer retention of their live content"): the
#: broadcast and its interactions. Transaction and verification records get an extension by default too,
#: but that is the platform's choice.
_LIVE_CONTENT_CLASSES = frozenset(
    {ContentClass.LIVE_REPLAY, ContentClass.INTERACTION_RECORD, ContentClass.LIVE_CONTENT}
)
# A century is far beyond any retention the rules ask for; an unbounded count overflows the date
# arithmetic (every artifact of the class then fails), and a locked policy could never come back down.
_MAX_DAYS = 36_500


@dataclass(frozen=True, slots=True)
class Policy:
    """A platform's retention policy for one content class."""

    platform_id: str
    content_class: ContentClass
    #: Days kept after ``ended_at``.
    base_days: int
    #: Days added for artifacts of rooms in the KEY tier.
    key_room_extension_days: int
    mode: Mode
    #: 1 for a new policy, +1 per accepted change (optimistic concurrency and the audit trail).
    version: int
    #: Set by :func:`lock_policy` (COMPLIANCE only): from then on only extensions, by anyone; never undone.
    locked: bool = False


def default_policy(platform_id: str, content_class: ContentClass) -> Policy:
    """The policy a platform has before it sets its own: the legal minimum, GOVERNANCE, version 1."""
    extension = 0 if content_class is ContentClass.LOG else _DEFAULT_KEY_ROOM_EXTENSION_DAYS
    return Policy(
        platform_id=platform_id,
        content_class=content_class,
        base_days=DEFAULT_BASE_DAYS[content_class],
        key_room_extension_days=extension,
        mode=Mode.GOVERNANCE,
        version=1,
    )


@dataclass(frozen=True, slots=True)
class PolicyChange:
    """The requested new values of a policy (UpsertPolicy carries them all)."""

    base_days: int
    key_room_extension_days: int
    #: None keeps the current mode.
    mode: Mode | None = None
    #: Required to shorten (audited with the new version).
    reason: str = ""


def is_shortening(current: Policy, proposed: Policy) -> bool:
    """Would ``proposed`` let anything go sooner than ``current``?

    Leaving COMPLIANCE counts: it stops the service from recording new promises, so it weakens the policy.
    """
    return (
        proposed.base_days < current.base_days
        or proposed.key_room_extension_days < current.key_room_extension_days
        or (current.mode is Mode.COMPLIANCE and proposed.mode is Mode.GOVERNANCE)
    )


def _check_days(content_class: ContentClass, change: PolicyChange) -> None:
    """Argument errors first: they are wrong whatever the policy's state."""
    violations: list[FieldViolation] = []
    minimum = DEFAULT_BASE_DAYS[content_class]
    below_law = False
    if change.base_days < 0:
        violations.append(FieldViolation("base_days", "must not be negative", reason="NEGATIVE_DAYS"))
    elif change.base_days > _MAX_DAYS:
        violations.append(FieldViolation("base_days", f"at most {_MAX_DAYS} days", reason="OUT_OF_RANGE"))
    elif change.base_days < minimum:
        below_law = True
        violations.append(
            FieldViolation(
                "base_days",
                f"{change.base_days} days is below the regulatory minimum of {minimum} days for {content_class.value}",
                reason="BELOW_REGULATORY_MINIMUM",
            )
        )
    if change.key_room_extension_days < 0:
        violations.append(FieldViolation("key_room_extension_days", "must not be negative", reason="NEGATIVE_DAYS"))
    elif change.key_room_extension_days > _MAX_DAYS:
        violations.append(FieldViolation("key_room_extension_days", f"at most {_MAX_DAYS} days", reason="OUT_OF_RANGE"))
    elif change.key_room_extension_days < 1 and content_class in _LIVE_CONTENT_CLASSES:
        # The law asks key rooms to keep their live content longer than the base period, not merely as long.
        below_law = True
        violations.append(
            FieldViolation(
                "key_room_extension_days",
                f"key rooms must keep {content_class.value} longer: at least 1 day",
                reason="BELOW_REGULATORY_MINIMUM",
            )
        )
    if violations:
        raise InvalidArgument(violations, reason="BELOW_REGULATORY_MINIMUM" if below_law else None)


def _check_lock(current: Policy, proposed: Policy) -> None:
    """A locked policy may only be extended: every violation is listed, not just the first."""
    subject = current.content_class.value
    violations: list[PreconditionViolation] = []
    if proposed.mode is not current.mode:
        violations.append(PreconditionViolation("LOCK", subject, "the mode of a locked policy cannot change"))
    if proposed.base_days < current.base_days:
        violations.append(
            PreconditionViolation("LOCK", subject, f"base_days may only be extended (locked at {current.base_days})")
        )
    if proposed.key_room_extension_days < current.key_room_extension_days:
        violations.append(
            PreconditionViolation(
                "LOCK",
                subject,
                f"key_room_extension_days may only be extended (locked at {current.key_room_extension_days})",
            )
        )
    if violations:
        raise FailedPrecondition(
            f"the {subject} policy is locked: it may only be extended", reason="POLICY_LOCKED", violations=violations
        )


def change_policy(current: Policy, change: PolicyChange, *, actor_is_admin: bool) -> Policy:
    """The next version of ``current`` with ``change`` applied, or the error that refuses it."""
    _check_days(current.content_class, change)
    proposed = replace(
        current,
        base_days=change.base_days,
        key_room_extension_days=change.key_room_extension_days,
        mode=current.mode if change.mode is None else change.mode,
        version=current.version + 1,
    )
    if current.locked:
        # Extensions of a locked policy need no privilege and no reason: they only make it safer.
        _check_lock(current, proposed)
        return proposed
    if is_shortening(current, proposed):
        # The GOVERNANCE bypass (S3: s3:BypassGovernanceRetention): admins only, and the reason is audited.
        if not actor_is_admin:
            raise PermissionDenied(
                f"shortening the {current.content_class.value} policy needs an admin",
                reason="GOVERNANCE_BYPASS_REQUIRED",
            )
        if not change.reason.strip():
            raise InvalidArgument(
                [FieldViolation("reason", "required to shorten a policy", reason="REASON_REQUIRED")],
                reason="REASON_REQUIRED",
            )
    return proposed


def lock_policy(current: Policy) -> Policy:
    """Lock a COMPLIANCE policy (idempotent: a locked policy is returned unchanged)."""
    if current.locked:
        return current
    if current.mode is not Mode.COMPLIANCE:
        subject = current.content_class.value
        raise FailedPrecondition(
            f"only a COMPLIANCE policy can be locked; the {subject} policy is {current.mode.value}",
            reason="NOT_COMPLIANCE_MODE",
            violations=[PreconditionViolation("MODE", subject, "switch the policy to COMPLIANCE first")],
        )
    return replace(current, locked=True, version=current.version + 1)


@dataclass(frozen=True, slots=True)
class Hold:
    """A hold on an artifact. LEGAL: evidence of an open case. EVENT: an open event (a dispute)
    whose release restarts the retention clock. Any other kind still blocks purge while active."""

    hold_id: str
    kind: str
    placed_at: datetime
    released_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.released_at is None


@dataclass(frozen=True, slots=True)
class RetentionFacts:
    """What the service knows of one artifact (timezone-aware datetimes)."""

    ended_at: datetime
    policy: Policy
    #: The artifact's room is in the KEY tier now.
    key_room: bool
    #: The largest retain_until ever promised while the policy was COMPLIANCE (the service records it).
    promised_until: datetime | None = None
    holds: tuple[Hold, ...] = ()


@dataclass(frozen=True, slots=True)
class RetentionDecision:
    """When the artifact may go and why it is still here."""

    retain_until: datetime
    #: None while any hold is active.
    purgeable_at: datetime | None
    reasons: tuple[str, ...]


def decide(facts: RetentionFacts) -> RetentionDecision:
    """retain_until and purgeable_at of an artifact, with the reasons that set them."""
    policy = facts.policy
    minimum = DEFAULT_BASE_DAYS[policy.content_class]
    lock = " LOCKED" if policy.locked else ""
    reasons = [
        f"POLICY {policy.content_class.value} v{policy.version} {policy.mode.value}{lock}: "
        f"{policy.base_days} days after ended_at"
    ]
    # Defence in depth: change_policy never lets base_days below the law, but a bad row must not either.
    base_days = policy.base_days
    if base_days < minimum:
        base_days = minimum
        reasons.append(f"REGULATORY_MINIMUM: {minimum} days after ended_at")
    period = timedelta(days=base_days)
    if facts.key_room and policy.key_room_extension_days > 0:
        period += timedelta(days=policy.key_room_extension_days)
        reasons.append(f"KEY_ROOM_EXTENSION: +{policy.key_room_extension_days} days")
    retain_until = facts.ended_at + period

    # A promise made under COMPLIANCE binds whatever the policy or the tier is now (S3: an object's
    # COMPLIANCE retain-until is fixed on the object; changing the default later does not shorten it).
    if facts.promised_until is not None and facts.promised_until > retain_until:
        retain_until = facts.promised_until
        reasons.append(f"COMPLIANCE_PROMISE: {facts.promised_until.isoformat()}")

    active = False
    for hold in sorted(facts.holds, key=lambda h: (h.placed_at, h.hold_id)):
        if hold.released_at is None:
            active = True
            reasons.append(f"{hold.kind}_HOLD {hold.hold_id} active")
        elif hold.kind == "EVENT":
            # The event (a dispute) ends at release: the record must then be kept a full period again.
            restarted = hold.released_at + period
            reasons.append(
                f"EVENT_HOLD {hold.hold_id} released {hold.released_at.isoformat()}: clock restarted "
                f"until {restarted.isoformat()}"
            )
            retain_until = max(retain_until, restarted)
    return RetentionDecision(
        retain_until=retain_until,
        purgeable_at=None if active else retain_until,
        reasons=tuple(reasons),
    )


def is_purgeable(facts: RetentionFacts, *, now: datetime) -> bool:
    """THE safety predicate: no active hold and ``now`` has reached retain_until. The purge re-checks it
    in the same transaction that marks the artifact purged."""
    purgeable_at = decide(facts).purgeable_at
    return purgeable_at is not None and now >= purgeable_at
