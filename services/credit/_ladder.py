"""The enforcement ladder, pure: measure strengths, escalation of repeats, what active measures
forbid, and the regulator report's rows. REGULATION.md, "Enforcement ladder" (Art. 12)."""

from __future__ import annotations

import csv
import enum
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

__all__ = [
    "BLACKLIST_MEASURES",
    "HOLD_FROM",
    "PROVINCIAL_MEASURES",
    "Ladder",
    "MeasureType",
    "PastMeasure",
    "Restrictions",
    "escalate",
    "report_documents",
    "restrictions",
]


class MeasureType(enum.Enum):
    """In order of strength (Art. 12)."""

    WARNING = 1
    FUNCTION_RESTRICTION = 2
    TRAFFIC_RESTRICTION = 3
    LIVE_SUSPENSION = 4
    FIXED_TERM_SUSPENSION = 5
    ACCOUNT_CLOSURE = 6
    REREGISTRATION_BAN = 7
    BLACKLISTING = 8


#: From here up a measure places a legal hold on the room's (or account's) content.
HOLD_FROM = MeasureType.LIVE_SUSPENSION
#: These submit a blacklist entry for the subject.
BLACKLIST_MEASURES = frozenset({MeasureType.REREGISTRATION_BAN, MeasureType.BLACKLISTING})
#: Reported to provincial level too.
PROVINCIAL_MEASURES = frozenset({MeasureType.ACCOUNT_CLOSURE, MeasureType.REREGISTRATION_BAN, MeasureType.BLACKLISTING})
_NO_GO_LIVE = frozenset(
    {
        MeasureType.LIVE_SUSPENSION,
        MeasureType.FIXED_TERM_SUSPENSION,
        MeasureType.ACCOUNT_CLOSURE,
        MeasureType.REREGISTRATION_BAN,
        MeasureType.BLACKLISTING,
    }
)


@dataclass(frozen=True, slots=True)
class Ladder:
    """Platform configuration: what a repeat within how many days escalates to, and the appeal route."""

    escalates_to: Mapping[MeasureType, MeasureType] = field(
        default_factory=lambda: {
            MeasureType.WARNING: MeasureType.FUNCTION_RESTRICTION,
            MeasureType.FUNCTION_RESTRICTION: MeasureType.TRAFFIC_RESTRICTION,
            MeasureType.TRAFFIC_RESTRICTION: MeasureType.LIVE_SUSPENSION,
            MeasureType.LIVE_SUSPENSION: MeasureType.FIXED_TERM_SUSPENSION,
            MeasureType.FIXED_TERM_SUSPENSION: MeasureType.ACCOUNT_CLOSURE,
        }
    )
    window_days: Mapping[MeasureType, int] = field(
        default_factory=lambda: {
            MeasureType.WARNING: 30,
            MeasureType.FUNCTION_RESTRICTION: 60,
            MeasureType.TRAFFIC_RESTRICTION: 90,
            MeasureType.LIVE_SUSPENSION: 180,
            MeasureType.FIXED_TERM_SUSPENSION: 365,
        }
    )
    default_duration_days: Mapping[MeasureType, int] = field(
        default_factory=lambda: {
            MeasureType.FUNCTION_RESTRICTION: 7,
            MeasureType.TRAFFIC_RESTRICTION: 7,
            MeasureType.LIVE_SUSPENSION: 3,
            MeasureType.FIXED_TERM_SUSPENSION: 30,
        }
    )
    appeal_route: str = "Appeal within 15 days through the platform's appeal centre; decisions within 10 working days."

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Ladder:
        default = cls()
        return cls(
            escalates_to={MeasureType[k]: MeasureType[v] for k, v in data.get("escalates_to", {}).items()}
            or default.escalates_to,
            window_days={MeasureType[k]: int(v) for k, v in data.get("window_days", {}).items()} or default.window_days,
            default_duration_days={MeasureType[k]: int(v) for k, v in data.get("default_duration_days", {}).items()}
            or default.default_duration_days,
            appeal_route=data.get("appeal_route", default.appeal_route),
        )

    def validate(self) -> list[str]:
        problems = [
            f"escalates_to.{a.name}: must escalate to a stronger measure"
            for a, b in self.escalates_to.items()
            if b.value <= a.value
        ]
        problems += [f"window_days.{k.name}: must be positive" for k, v in self.window_days.items() if v <= 0]
        return problems


@dataclass(frozen=True, slots=True)
class PastMeasure:
    measure_id: str
    measure: MeasureType
    starts_at: datetime


def escalate(
    requested: MeasureType, history: Sequence[PastMeasure], *, now: datetime, ladder: Ladder
) -> tuple[MeasureType, str]:
    """The measure that applies: one step up the ladder when the account already had this measure (or
    a stronger one it would escalate from) within the window. Returns it and why ("" when as asked)."""
    window = ladder.window_days.get(requested)
    target = ladder.escalates_to.get(requested)
    if window is None or target is None:
        return requested, ""
    since = now - timedelta(days=window)
    repeats = [p for p in history if p.measure.value >= requested.value and p.starts_at >= since]
    if not repeats:
        return requested, ""
    latest = max(repeats, key=lambda p: p.starts_at)
    return target, f"repeat of {requested.name} within {window} days ({latest.measure_id})"


@dataclass(frozen=True, slots=True)
class Restrictions:
    go_live: bool
    promotion_traffic: bool
    restricted_functions: tuple[str, ...]
    reasons: tuple[str, ...]


def restrictions(active: Iterable[MeasureType], *, band_go_live: bool, band_promotion: bool, band: str) -> Restrictions:
    """Active measures merged with what the credit band allows."""
    measures = set(active)
    reasons: list[str] = []
    go_live, promotion = band_go_live, band_promotion
    if not band_go_live:
        reasons.append(f"CREDIT_BAND_{band}_NO_GO_LIVE")
    if not band_promotion:
        reasons.append(f"CREDIT_BAND_{band}_NO_PROMOTION")
    for measure in sorted(measures & _NO_GO_LIVE, key=lambda m: m.value):
        go_live = False
        reasons.append(f"MEASURE_{measure.name}")
    if measures & {MeasureType.TRAFFIC_RESTRICTION} or not go_live:
        promotion = False
        if MeasureType.TRAFFIC_RESTRICTION in measures:
            reasons.append("MEASURE_TRAFFIC_RESTRICTION")
    functions: list[str] = []
    if MeasureType.FUNCTION_RESTRICTION in measures:
        functions += ["COUPONS", "PROMOTION_TOOLS", "FLASH_SALES"]
        reasons.append("MEASURE_FUNCTION_RESTRICTION")
    return Restrictions(go_live, promotion, tuple(functions), tuple(reasons))


_REPORT_FIELDS = (
    "measure_id",
    "platform_id",
    "account_id",
    "room_id",
    "measure",
    "requested",
    "escalation",
    "rule_id",
    "reason",
    "evidence_refs",
    "starts_at",
    "ends_at",
    "duration_days",
    "status",
    "lifted_at",
    "lift_reason",
    "appeal_route",
)


def report_documents(rows: Sequence[Mapping[str, Any]]) -> tuple[str, str]:
    """The report as JSON lines and as CSV, in a stable order so the hashes reproduce."""
    ordered = sorted(rows, key=lambda r: (r["starts_at"], r["measure_id"]))
    jsonl = "".join(
        json.dumps({k: r.get(k) for k in _REPORT_FIELDS}, ensure_ascii=False, sort_keys=True) + "\n" for r in ordered
    )
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=_REPORT_FIELDS, lineterminator="\n")
    writer.writeheader()
    for r in ordered:
        writer.writerow({k: ";".join(r[k]) if isinstance(r.get(k), list) else r.get(k) for k in _REPORT_FIELDS})
    return jsonl, buffer.getvalue()
