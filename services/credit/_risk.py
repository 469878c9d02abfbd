"""Risk identification for live selling (Art. 13, 17, 32; draft Art. 9). Pure rules over one segment.

REGULATION.md "Risk identification": illegal advertising (absolute claims), price fraud (fake original prices,
fake discounts), luring users into private deals off the platform (handles, phone numbers, QR codes), and content
unsuitable for minors; high-risk behaviour is answered by viewer prompts, warnings, traffic restriction or
suspension, and users are warned prominently about private transactions. "Minors": content unsuitable for minors
gets a reminder before it is shown.

Everything a platform may tune (lexicons, thresholds, severities, measures, prompt texts) is the versioned
:class:`RiskRules`, loaded by default from the packaged ``risk_rules.json``. Terms are matched by one
Aho-Corasick automaton per text view, after normalisation (NFKC folds full-width forms, case is folded,
invisible characters, decorative symbols and spaces inside CJK words are dropped); offsets always point back into
the original text.
"""

from __future__ import annotations

import enum
import json
import math
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from importlib import resources
from types import MappingProxyType
from typing import Any, TypeVar

import ahocorasick

from livetrust.errors import FieldViolation, InvalidArgument

__all__ = [
    "NUMBER_PLACEHOLDER",
    "STRUCTURAL_RULES",
    "Assessment",
    "Lexicon",
    "LexiconRole",
    "Measure",
    "Product",
    "RiskEngine",
    "RiskLevel",
    "RiskRules",
    "Segment",
    "SessionState",
    "Signal",
    "SignalType",
    "escalate",
]


class SignalType(enum.Enum):
    OFF_PLATFORM_LURE = "OFF_PLATFORM_LURE"
    ABSOLUTE_CLAIM = "ABSOLUTE_CLAIM"
    PRICE_FRAUD = "PRICE_FRAUD"
    MINOR_UNSUITABLE = "MINOR_UNSUITABLE"


class RiskLevel(enum.Enum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


class Measure(enum.Enum):
    """The enforcement ladder, mildest first; a measure includes every milder one."""

    NONE = "NONE"
    VIEWER_PROMPT = "VIEWER_PROMPT"
    OPERATOR_WARNING = "OPERATOR_WARNING"
    TRAFFIC_RESTRICTION = "TRAFFIC_RESTRICTION"
    SUSPEND_BROADCAST = "SUSPEND_BROADCAST"


class LexiconRole(enum.Enum):
    """What a lexicon's hits do."""

    #: A hit is a signal of the lexicon's type, with the lexicon's id as rule id.
    SIGNAL = "SIGNAL"
    #: A hit is evidence used by other rules (``boost_with``, ``requires``), never a signal by itself.
    CONTEXT = "CONTEXT"
    #: A hit suppresses every hit of the same signal type that lies inside it ("最近" hides "最").
    EXCEPTION = "EXCEPTION"
    #: A hit shortly before a signal of the same type, in the same clause, suppresses it ("千万不要加微信").
    NEGATION = "NEGATION"
    #: An "original price" marker; the number after it is checked against the product's price history.
    ANCHOR = "ANCHOR"


_LEVEL_RANK = {RiskLevel.LOW: 0, RiskLevel.MEDIUM: 1, RiskLevel.HIGH: 2}
_MEASURE_RANK = {m: i for i, m in enumerate(Measure)}

NUMBER_PLACEHOLDER = "{n}"
"""Written in a term, stands for any number: "最后{n}分钟" matches "最后3分钟", "最后 三 分钟", "最后10分钟"."""

STRUCTURAL_RULES: Mapping[str, SignalType] = MappingProxyType(
    {
        "lure.phone": SignalType.OFF_PLATFORM_LURE,
        "price.inflated_original": SignalType.PRICE_FRAUD,
        "price.never_charged": SignalType.PRICE_FRAUD,
        "price.fake_discount": SignalType.PRICE_FRAUD,
    }
)
"""Rules found by structure rather than by a lexicon; they still take their severity from :class:`RiskRules`."""


def _max_level(levels: Iterable[RiskLevel]) -> RiskLevel:
    return max(levels, key=_LEVEL_RANK.__getitem__, default=RiskLevel.LOW)


def _max_measure(*measures: Measure) -> Measure:
    return max(measures, key=_MEASURE_RANK.__getitem__)


# ---------------------------------------------------------------------------------------------------------------
# Segments and results


def _price_ok(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value) and value >= 0


@dataclass(frozen=True, slots=True)
class Product:
    """The product on sale during the segment; prices in yuan, ``price_history`` = recent real selling prices."""

    title: str
    claimed_original_price: float | None
    live_price: float | None
    price_history: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "price_history", tuple(self.price_history))
        bad: list[FieldViolation] = []
        for name in ("claimed_original_price", "live_price"):
            value = getattr(self, name)
            if value is not None and not _price_ok(value):
                bad.append(FieldViolation(name, "must be a finite number of at least 0", "OUT_OF_RANGE"))
        if not all(_price_ok(p) for p in self.price_history):
            bad.append(FieldViolation("price_history", "must hold finite numbers of at least 0", "OUT_OF_RANGE"))
        if not isinstance(self.title, str):
            bad.append(FieldViolation("title", "must be a string", "MALFORMED"))
        if bad:
            raise InvalidArgument(bad)


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of one broadcast: what was said, the viewer comments, and the product on sale."""

    transcript: str
    comments: tuple[str, ...] = ()
    product: Product | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "comments", tuple(self.comments))

    def sources(self) -> Iterator[tuple[str, str]]:
        """Every text of the segment as (source name, text), in the order signals are reported."""
        yield "transcript", self.transcript
        for i, comment in enumerate(self.comments):
            yield f"comments[{i}]", comment
        if self.product is not None:
            yield "product.title", self.product.title

    def source_text(self, source: str) -> str:
        """The original text a signal's offsets refer to ("" for the structured ``product``)."""
        if source == "product":
            return ""
        for name, text in self.sources():
            if name == source:
                return text
        raise KeyError(source)


@dataclass(frozen=True, slots=True)
class Signal:
    """One finding. ``start``/``end`` index the ORIGINAL text of ``source``; ``product`` signals have no text."""

    type: SignalType
    severity: RiskLevel
    rule_id: str
    matched_text: str
    source: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Assessment:
    """The verdict on one segment.

    ``viewer_prompt`` is shown to viewers whenever it is not empty (a lure was found), whatever the measure;
    ``minor_reminder`` is shown before the content whenever it is not empty.
    """

    risk_level: RiskLevel
    signals: tuple[Signal, ...]
    measure: Measure
    viewer_prompt: str
    minor_reminder: str
    rules_version: str


# ---------------------------------------------------------------------------------------------------------------
# Rules


@dataclass(frozen=True, slots=True)
class Lexicon:
    """A list of terms playing one role for one signal type; ``id`` is the rule id of SIGNAL lexicons."""

    id: str
    signal: SignalType
    role: LexiconRole
    terms: tuple[str, ...]
    #: For contact handles: a following account id ("vx: lily_2024") is part of the match and boosts it.
    capture_id: bool = False
    #: Only the seller's own words count (transcript, product title): a viewer writing "最好" advertises nothing.
    seller_only: bool = False
    note: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "terms", tuple(self.terms))

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "id": self.id,
            "signal": self.signal.value,
            "role": self.role.value,
            "capture_id": self.capture_id,
            "seller_only": self.seller_only,
            "note": self.note,
            "terms": list(self.terms),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], path: str = "lexicon") -> Lexicon:
        """Inverse of :meth:`to_dict`."""
        if not isinstance(data, Mapping):
            raise InvalidArgument([FieldViolation(path, "must be an object", "MALFORMED")])
        _require(data, ("id", "signal", "role", "terms"), path)
        return cls(
            id=_string(data["id"], f"{path}.id"),
            signal=_enum(SignalType, data["signal"], f"{path}.signal"),
            role=_enum(LexiconRole, data["role"], f"{path}.role"),
            terms=_strings(data["terms"], f"{path}.terms"),
            capture_id=_bool(data.get("capture_id", False), f"{path}.capture_id"),
            seller_only=_bool(data.get("seller_only", False), f"{path}.seller_only"),
            note=_string(data.get("note", ""), f"{path}.note"),
        )


def _frozen_map(value: Mapping[Any, Any]) -> Mapping[Any, Any]:
    return MappingProxyType(dict(value))


@dataclass(frozen=True, slots=True)
class RiskRules:
    """The platform's versioned risk configuration; :meth:`default` is the packaged ``risk_rules.json``."""

    version: str
    lexicons: tuple[Lexicon, ...]
    #: Severity of each rule as found.
    severities: Mapping[str, RiskLevel]
    #: Severity of a rule when boosted (see ``boost_with``; a captured account id; an original price claimed at
    #: ``severe_price_ratio`` or more).
    boosted_severities: Mapping[str, RiskLevel]
    #: rule id -> ids (rules or CONTEXT lexicons) whose presence in the same text boosts the rule.
    boost_with: Mapping[str, tuple[str, ...]]
    #: rule id -> ids one of which must be present in the same text, or the hit is dropped.
    requires: Mapping[str, tuple[str, ...]]
    #: The measure a risk level calls for.
    level_measures: Mapping[RiskLevel, Measure]
    #: The least measure a rule calls for whatever its level (absolute claims call for an operator warning).
    rule_measures: Mapping[str, Measure]
    #: An original price above ``price_ratio`` x the highest recent real price is inflated.
    price_ratio: float
    severe_price_ratio: float
    #: A discount from an original price that was never charged (no price history at all) is flagged.
    flag_discount_without_history: bool
    #: How many characters a NEGATION reaches forward.
    negation_window: int
    #: Warnings one session may get for offences before the next offence restricts even if they were heeded.
    max_warnings: int
    viewer_prompt: str
    minor_reminder: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "lexicons", tuple(self.lexicons))
        for name in ("severities", "boosted_severities", "level_measures", "rule_measures"):
            object.__setattr__(self, name, _frozen_map(getattr(self, name)))
        for name in ("boost_with", "requires"):
            object.__setattr__(self, name, _frozen_map({k: tuple(v) for k, v in getattr(self, name).items()}))

    @classmethod
    def default(cls) -> RiskRules:
        """The packaged rules (``risk_rules.json`` next to this module)."""
        text = resources.files(__package__).joinpath("risk_rules.json").read_text(encoding="utf-8")
        return cls.from_dict(json.loads(text))

    def rule_ids(self) -> dict[str, SignalType]:
        """Every rule that can produce a signal, with its signal type."""
        out = dict(STRUCTURAL_RULES)
        out.update((lex.id, lex.signal) for lex in self.lexicons if lex.role is LexiconRole.SIGNAL)
        return out

    def validate(self) -> list[str]:
        """Every problem of these rules; empty when they may be used."""
        out: list[str] = []
        if not isinstance(self.version, str) or not self.version.strip():
            out.append("version: must be a non-empty string")
        seen: set[str] = set()
        for i, lex in enumerate(self.lexicons):
            if not lex.id.strip():
                out.append(f"lexicons[{i}].id: must be a non-empty string")
            if lex.id in seen:
                out.append(f"lexicons[{i}].id: {lex.id!r} is used twice")
            seen.add(lex.id)
            if not lex.terms:
                out.append(f"lexicons[{i}].terms: must not be empty")
            for term in lex.terms:
                if not _View(term.replace(NUMBER_PLACEHOLDER, "0")).text.strip():
                    out.append(f"lexicons[{i}].terms: {term!r} is empty once normalised")
                elif term.replace(NUMBER_PLACEHOLDER, "").strip() == "":
                    out.append(f"lexicons[{i}].terms: {term!r} is only a number")
            if lex.capture_id and lex.role is not LexiconRole.SIGNAL:
                out.append(f"lexicons[{i}].capture_id: only SIGNAL lexicons capture ids")
        rules = self.rule_ids()
        known = set(rules) | {lex.id for lex in self.lexicons if lex.role is LexiconRole.CONTEXT}
        for rule in rules:
            if rule not in self.severities:
                out.append(f"severities: no severity for rule {rule!r}")
        for name in ("severities", "boosted_severities", "rule_measures", "boost_with", "requires"):
            for rule in getattr(self, name):
                if rule not in rules:
                    out.append(f"{name}: {rule!r} is not a rule")
        for name in ("boost_with", "requires"):
            for rule, ids in getattr(self, name).items():
                out.extend(
                    f"{name}.{rule}: {i!r} is neither a rule nor a CONTEXT lexicon" for i in ids if i not in known
                )
        for level in RiskLevel:
            if level not in self.level_measures:
                out.append(f"level_measures: no measure for {level.value}")
        for name in ("price_ratio", "severe_price_ratio"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 1:
                out.append(f"{name}: must be a finite number of at least 1")
        ratios_ok = _price_ok(self.price_ratio) and _price_ok(self.severe_price_ratio)
        if ratios_ok and self.severe_price_ratio < self.price_ratio:
            out.append("severe_price_ratio: must be at least price_ratio")
        for name in ("negation_window", "max_warnings"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                out.append(f"{name}: must be an integer of at least 0")
        for name in ("viewer_prompt", "minor_reminder"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                out.append(f"{name}: must be a non-empty string (the regulation requires the prompt)")
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "version": self.version,
            "price_ratio": self.price_ratio,
            "severe_price_ratio": self.severe_price_ratio,
            "flag_discount_without_history": self.flag_discount_without_history,
            "negation_window": self.negation_window,
            "max_warnings": self.max_warnings,
            "viewer_prompt": self.viewer_prompt,
            "minor_reminder": self.minor_reminder,
            "severities": {k: v.value for k, v in self.severities.items()},
            "boosted_severities": {k: v.value for k, v in self.boosted_severities.items()},
            "boost_with": {k: list(v) for k, v in self.boost_with.items()},
            "requires": {k: list(v) for k, v in self.requires.items()},
            "level_measures": {k.value: v.value for k, v in self.level_measures.items()},
            "rule_measures": {k: v.value for k, v in self.rule_measures.items()},
            "lexicons": [lex.to_dict() for lex in self.lexicons],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RiskRules:
        """Inverse of :meth:`to_dict`; raises InvalidArgument on a malformed document (then call validate())."""
        if not isinstance(data, Mapping):
            raise InvalidArgument([FieldViolation("risk_rules", "must be an object", "MALFORMED")])
        _require(data, _RULES_FIELDS, "risk_rules")
        lexicons = data["lexicons"]
        if not isinstance(lexicons, list | tuple):
            raise InvalidArgument([FieldViolation("lexicons", "must be a list", "MALFORMED")])
        return cls(
            version=_string(data["version"], "version"),
            lexicons=tuple(Lexicon.from_dict(lex, f"lexicons[{i}]") for i, lex in enumerate(lexicons)),
            severities=_enum_map(data["severities"], "severities", RiskLevel),
            boosted_severities=_enum_map(data["boosted_severities"], "boosted_severities", RiskLevel),
            boost_with={k: _strings(v, f"boost_with.{k}") for k, v in _mapping(data["boost_with"], "boost_with")},
            requires={k: _strings(v, f"requires.{k}") for k, v in _mapping(data["requires"], "requires")},
            level_measures={
                _enum(RiskLevel, k, "level_measures"): _enum(Measure, v, f"level_measures.{k}")
                for k, v in _mapping(data["level_measures"], "level_measures")
            },
            rule_measures=_enum_map(data["rule_measures"], "rule_measures", Measure),
            price_ratio=data["price_ratio"],
            severe_price_ratio=data["severe_price_ratio"],
            flag_discount_without_history=_bool(data["flag_discount_without_history"], "flag_discount_without_history"),
            negation_window=data["negation_window"],
            max_warnings=data["max_warnings"],
            viewer_prompt=_string(data["viewer_prompt"], "viewer_prompt"),
            minor_reminder=_string(data["minor_reminder"], "minor_reminder"),
        )


_RULES_FIELDS = (
    "version",
    "lexicons",
    "severities",
    "boosted_severities",
    "boost_with",
    "requires",
    "level_measures",
    "rule_measures",
    "price_ratio",
    "severe_price_ratio",
    "flag_discount_without_history",
    "negation_window",
    "max_warnings",
    "viewer_prompt",
    "minor_reminder",
)


_E = TypeVar("_E", bound=enum.Enum)


def _malformed(path: str, message: str) -> InvalidArgument:
    return InvalidArgument([FieldViolation(path, message, "MALFORMED")])


def _require(data: Mapping[str, Any], names: Iterable[str], path: str) -> None:
    missing = [FieldViolation(f"{path}.{k}", "is required", "REQUIRED") for k in names if k not in data]
    if missing:
        raise InvalidArgument(missing)


def _string(value: object, path: str) -> str:
    if not isinstance(value, str):
        raise _malformed(path, "must be a string")
    return value


def _bool(value: object, path: str) -> bool:
    if not isinstance(value, bool):
        raise _malformed(path, "must be true or false")
    return value


def _strings(value: object, path: str) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise _malformed(path, "must be a list of strings")
    return tuple(value)


def _mapping(value: object, path: str) -> Iterable[tuple[str, Any]]:
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise _malformed(path, "must be an object")
    return value.items()


def _enum(kind: type[_E], value: object, path: str) -> _E:
    try:
        return kind(value)
    except ValueError:
        raise _malformed(path, f"must be one of {', '.join(m.value for m in kind)}") from None


def _enum_map(value: object, path: str, kind: type[_E]) -> dict[str, _E]:
    return {k: _enum(kind, v, f"{path}.{k}") for k, v in _mapping(value, path)}


# ---------------------------------------------------------------------------------------------------------------
# Normalisation. Three views of each text, each a rewrite of the one before with a way back:
#   norm     NFKC, case folded; character for character in the common case, else with an index per character;
#   squeezed without invisible characters, decorative symbols ("薇❤信") and spaces inside CJK words ("V 信");
#   masked   every number (digits, Chinese numerals, English number words) one placeholder, for "最后{n}分钟".
# Terms and phone numbers are matched on the squeezed view (whose squeeze never joins two numerals), number
# patterns on the masked one.

_FOLD: dict[int, str] = {cp: chr(cp - 0xFEE0).lower() for cp in range(0xFF01, 0xFF5F)}
_FOLD.update({cp: chr(cp + 32) for cp in range(ord("A"), ord("Z") + 1)})
_FOLD.update({0x3000: " ", ord("\t"): " ", ord("\r"): " ", 0x00A0: " ", 0x2795: "+"})  # 0x2795: heavy plus sign

# Chinese numerals spoken or typed in place of digits ("一三八", "幺" for 1 on the phone, the financial forms).
_NUMERAL_DIGITS = "〇零一二三四五六七八九幺壹贰叁肆伍陆柒捌玖"
_TO_DIGIT = str.maketrans(_NUMERAL_DIGITS, "00" + "123456789" + "1" + "123456789")

_CJK = "\u3400-\u4dbf\u4e00-\u9fff"
# Zero-width characters, variation selectors and decorative symbols hide nothing from a viewer but split a word
# for a naive matcher; spaces between a CJK character (not a numeral: "一三八 一二三四" stays grouped) and a
# CJK character or Latin letter are not word breaks in Chinese.
_SQUEEZE = re.compile(
    "[\u200b-\u200d\u2060\ufeff\u00ad\ufe00-\ufe0f\u2190-\u21ff\u2300-\u23ff\u25a0-\u27bf\u2b00-\u2bff"
    "\U0001f000-\U0001faff]+"
    f"|(?<=[{_CJK}])(?<![{_NUMERAL_DIGITS}])\\s+(?=[{_CJK}a-z])"
    f"|(?<=[{_CJK}a-z])\\s+(?=[{_CJK}])(?![{_NUMERAL_DIGITS}])"
)
# A number of any spelling, with the spaces around it, becomes one placeholder in the masked view so that
# "最后{n}分钟" matches "最后3分钟", "最后 10 分钟", "最后三分钟" and "last five minutes" alike.
_NUMBER_RUN = re.compile(
    f"\\s*(?:[0-9{_NUMERAL_DIGITS}十百千万两]+(?:[.,][0-9]+)*"
    r"|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|fifteen|twenty|thirty|sixty)\b)\s*"
)
_PLACEHOLDER = "#"


def _normalise(text: str) -> tuple[str, list[int] | None]:
    """NFKC, case-folded text, and the original index of each of its characters (None: the identity)."""
    folded = text.translate(_FOLD)
    if unicodedata.is_normalized("NFKC", folded):
        return folded, None
    pieces: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        out = unicodedata.normalize("NFKC", ch).translate(_FOLD)
        pieces.append(out)
        origin.extend([i] * len(out))
    return "".join(pieces), origin


class _Rewrite:
    """A view made by replacing every match of a pattern in a base string, and the way back to the base."""

    __slots__ = ("_ends", "_positions", "_shifts", "_starts", "_width", "text")

    def __init__(self, base: str, pattern: re.Pattern[str], replacement: str) -> None:
        self._width = len(replacement)
        pieces: list[str] = []
        self._positions: list[int] = []  # where each replaced run starts in the view
        self._starts: list[int] = []  # its span in the base
        self._ends: list[int] = []
        self._shifts: list[int] = []  # base index - view index just after it
        last = removed = 0
        for m in pattern.finditer(base):
            s, e = m.span()
            if s == e:
                continue
            pieces.append(base[last:s])
            pieces.append(replacement)
            self._positions.append(s - removed)
            self._starts.append(s)
            self._ends.append(e)
            removed += e - s - self._width
            self._shifts.append(removed)
            last = e
        pieces.append(base[last:])
        self.text = "".join(pieces) if self._positions else base

    def _char(self, p: int) -> tuple[int, int]:
        k = bisect_right(self._positions, p) - 1
        if k >= 0 and self._width and self._positions[k] == p:
            return self._starts[k], self._ends[k]
        q = p + (self._shifts[k] if k >= 0 else 0)
        return q, q + 1

    def back(self, a: int, b: int) -> tuple[int, int]:
        """The base span of the view span [a, b), a < b."""
        if not self._positions:
            return a, b
        return self._char(a)[0], self._char(b - 1)[1]


def _mask_term(squeezed: str) -> str:
    return _Rewrite(squeezed.replace(_PLACEHOLDER, " "), _NUMBER_RUN, _PLACEHOLDER).text


class _View:
    """One source text: the original, its views, and the way back to the original."""

    __slots__ = ("_masked", "_origin", "_squeeze", "norm", "original", "text")

    def __init__(self, original: str) -> None:
        self.original = original
        self.norm, self._origin = _normalise(original)
        self._squeeze = _Rewrite(self.norm, _SQUEEZE, "")
        #: The squeezed view: every term offset below is in it.
        self.text = self._squeeze.text
        self._masked: _Rewrite | None = None

    def masked(self) -> str:
        if self._masked is None:
            # A literal "#" must not pass for a number.
            self._masked = _Rewrite(self.text.replace(_PLACEHOLDER, " "), _NUMBER_RUN, _PLACEHOLDER)
        return self._masked.text

    def unmask(self, a: int, b: int) -> tuple[int, int]:
        """The squeezed span of the masked span [a, b), without the spaces a number run carries."""
        assert self._masked is not None
        s, e = self._masked.back(a, b)
        while s < e and self.text[s].isspace():
            s += 1
        while e > s and self.text[e - 1].isspace():
            e -= 1
        return s, e

    def span(self, a: int, b: int) -> tuple[int, int]:
        """The original span of the squeezed span [a, b)."""
        a, b = self._squeeze.back(a, b)
        if self._origin is None:
            return a, b
        return self._origin[a], self._origin[b - 1] + 1


# Separators people put between the digits of a phone number ("138 1234 5678", "138-1234-5678", "138.1234.5678").
_PHONE_SEPARATORS = frozenset(" -_.·・~*\u2013\u2014")  # the last two: en and em dash
_PHONE_MAX_GAP = 3
_DIGIT_GROUP = re.compile(f"[0-9]+|[{_NUMERAL_DIGITS}]+")
_MOBILE = re.compile(r"1[3-9][0-9]{9}")  # Chinese mobile numbers: 11 digits, 1 then 3-9
_MOBILE_LENGTH = 11

# An account id after a handle: "vx: lily_2024", "qq 12345678", "微信号是 abc123". Ids carry a digit; without
# that rule "wechat please" would read "please" as an id.
_HANDLE_ID = re.compile(
    r"\s*(?:号码|号|id)?\s*(?:是|:|=|为)?\s*(?=[a-z_\-]*[0-9])([a-z0-9][a-z0-9_\-]{4,29})(?![a-z0-9_\-])"
)
# The amount after an "original price" marker: "原价999", "原价是 ¥1,299", "original price was $199".
_ANCHOR_AMOUNT = re.compile(r"\s*(?:是|要|为|卖|:|was|is|of)?\s*(?:¥|\$|rmb|usd)?\s*([0-9][0-9,]*(?:\.[0-9]+)?)")
# A negation reaches no further than its clause (full-width punctuation is already folded to ASCII).
_CLAUSE_BREAK = re.compile(r"[,.!?;:\n。]")
# Bounds the backward walk over negations; no sensible negation term is longer.
_LONGEST_NEGATION = 16

_ASCII_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyz")
_ASCII_DIGITS = frozenset("0123456789")


def _same_class(a: str, b: str) -> bool:
    return (a in _ASCII_LETTERS and b in _ASCII_LETTERS) or (a in _ASCII_DIGITS and b in _ASCII_DIGITS)


def _bounded(view: str, s: int, e: int) -> bool:
    """Whether a match is a whole word on its Latin or digit edges ("best" is not in "asbestos", "wx" not in "wxyz")."""
    if s > 0 and _same_class(view[s], view[s - 1]):
        return False
    return not (e < len(view) and _same_class(view[e - 1], view[e]))


def _phones(seen: str) -> list[tuple[int, int]]:
    """Spans of Chinese mobile numbers, however spaced, dashed or spelt in Chinese numerals."""
    out: list[tuple[int, int]] = []
    run: list[tuple[int, int, str]] = []
    for m in _DIGIT_GROUP.finditer(seen):
        s, e = m.span()
        if run:
            gap = seen[run[-1][1] : s]
            if len(gap) > _PHONE_MAX_GAP or not all(c in _PHONE_SEPARATORS for c in gap):
                out.extend(_phones_in_run(run, seen))
                run = []
        run.append((s, e, m.group().translate(_TO_DIGIT)))
    if run:
        out.extend(_phones_in_run(run, seen))
    return out


def _phones_in_run(run: list[tuple[int, int, str]], seen: str) -> Iterator[tuple[int, int]]:
    # Whole groups only: "订单号 2024061812345678" holds 11 digits in a row but is no phone number.
    i = 0
    while i < len(run):
        digits = ""
        j = i
        while j < len(run) and len(digits) < _MOBILE_LENGTH:
            digits += run[j][2]
            j += 1
        if len(digits) == _MOBILE_LENGTH and _MOBILE.fullmatch(digits):
            yield run[i][0], run[j - 1][1]
            i = j
            continue
        s, e, group = run[i]
        # A spoken number runs into the numeral of the next word ("一三八…五六七八一起"): try its ends.
        if len(group) > _MOBILE_LENGTH and seen[s] not in _ASCII_DIGITS:
            if _MOBILE.fullmatch(group[:_MOBILE_LENGTH]):
                yield s, s + _MOBILE_LENGTH
            elif _MOBILE.fullmatch(group[-_MOBILE_LENGTH:]):
                yield e - _MOBILE_LENGTH, e
        i += 1


class _Cover:
    """Spans that hide the spans they contain."""

    __slots__ = ("_max_ends", "_starts")

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        spans.sort()
        self._starts = [s for s, _ in spans]
        self._max_ends: list[int] = []
        top = -1
        for _, e in spans:
            top = max(top, e)
            self._max_ends.append(top)

    def covers(self, s: int, e: int) -> bool:
        k = bisect_right(self._starts, s)
        return k > 0 and self._max_ends[k - 1] >= e


def _automaton(keys: Mapping[str, set[int]]) -> Any:
    if not keys:
        return None
    automaton = ahocorasick.Automaton()
    for key, groups in keys.items():
        automaton.add_word(key, (len(key), tuple(sorted(groups))))
    automaton.make_automaton()
    return automaton


def _term_key(term: str) -> tuple[str, bool]:
    """The automaton key of a term (normalised like the texts it meets) and whether it is for the masked view."""
    masked = NUMBER_PLACEHOLDER in term
    text = _View(term.replace(NUMBER_PLACEHOLDER, "0") if masked else term).text.strip()
    return (_mask_term(text), True) if masked else (text, False)


@dataclass(slots=True)
class _Hit:
    start: int
    end: int
    rule_id: str
    type: SignalType
    boosted: bool = False


# ---------------------------------------------------------------------------------------------------------------
# The engine


class RiskEngine:
    """Assesses segments against one :class:`RiskRules`; the automata are built once, here."""

    def __init__(self, rules: RiskRules) -> None:
        problems = rules.validate()
        if problems:
            raise InvalidArgument([FieldViolation("risk_rules", p, "INVALID") for p in problems])
        self._rules = rules
        self._types = rules.rule_ids()
        plain: dict[str, set[int]] = {}
        masked: dict[str, set[int]] = {}
        for index, lexicon in enumerate(rules.lexicons):
            for term in lexicon.terms:
                key, is_masked = _term_key(term)
                (masked if is_masked else plain).setdefault(key, set()).add(index)
        self._plain = _automaton(plain)
        self._masked = _automaton(masked)
        self._boost = {rule: frozenset(ids) - {rule} for rule, ids in rules.boost_with.items()}
        self._requires = {rule: frozenset(ids) for rule, ids in rules.requires.items()}

    @property
    def rules(self) -> RiskRules:
        return self._rules

    @property
    def rules_version(self) -> str:
        return self._rules.version

    def assess(self, segment: Segment) -> Assessment:
        """The risk of one segment: every signal, the level, the measure, and the texts to show."""
        rules = self._rules
        signals: list[Signal] = []
        for source, text in segment.sources():
            signals.extend(self._scan(source, text, segment.product))
        if segment.product is not None:
            signals.extend(self._product_signals(segment.product))
        level = _max_level(s.severity for s in signals)
        measure = _max_measure(
            rules.level_measures[level], *(rules.rule_measures.get(s.rule_id, Measure.NONE) for s in signals)
        )
        types = {s.type for s in signals}
        return Assessment(
            risk_level=level,
            signals=tuple(signals),
            measure=measure,
            viewer_prompt=rules.viewer_prompt if SignalType.OFF_PLATFORM_LURE in types else "",
            minor_reminder=rules.minor_reminder if SignalType.MINOR_UNSUITABLE in types else "",
            rules_version=rules.version,
        )

    def _terms(self, view: _View) -> Iterator[tuple[int, int, int]]:
        """(start, end, lexicon index) of every term found, overlapping ones included, in squeezed offsets."""
        if not view.text:
            return
        if self._plain is not None:
            seen = view.text
            for last, (length, groups) in self._plain.iter(seen):
                s, e = last - length + 1, last + 1
                if _bounded(seen, s, e):
                    for g in groups:
                        yield s, e, g
        if self._masked is not None:
            masked = view.masked()
            for last, (length, groups) in self._masked.iter(masked):
                s, e = last - length + 1, last + 1
                if _bounded(masked, s, e):
                    a, b = view.unmask(s, e)
                    for g in groups:
                        yield a, b, g

    def _scan(self, source: str, text: str, product: Product | None) -> list[Signal]:
        rules = self._rules
        view = _View(text)
        seen = view.text
        hits: list[_Hit] = []
        contexts: list[_Hit] = []
        anchors: list[_Hit] = []
        exceptions: dict[SignalType, list[tuple[int, int]]] = {}
        negations: dict[SignalType, list[tuple[int, int]]] = {}
        from_viewer = source.startswith("comments")
        for s, e, index in self._terms(view):
            lexicon = rules.lexicons[index]
            if from_viewer and lexicon.seller_only:
                continue
            role = lexicon.role
            if role is LexiconRole.SIGNAL:
                hit = _Hit(s, e, lexicon.id, lexicon.signal)
                if lexicon.capture_id and (m := _HANDLE_ID.match(seen, e)):
                    hit.end, hit.boosted = m.end(1), True
                hits.append(hit)
            elif role is LexiconRole.CONTEXT:
                contexts.append(_Hit(s, e, lexicon.id, lexicon.signal))
            elif role is LexiconRole.ANCHOR:
                anchors.append(_Hit(s, e, lexicon.id, lexicon.signal))
            elif role is LexiconRole.EXCEPTION:
                exceptions.setdefault(lexicon.signal, []).append((s, e))
            else:
                negations.setdefault(lexicon.signal, []).append((s, e))
        hits.extend(_Hit(s, e, "lure.phone", SignalType.OFF_PLATFORM_LURE) for s, e in _phones(seen))

        if exceptions:
            covers = {t: _Cover(spans) for t, spans in exceptions.items()}
            hits, contexts, anchors = (
                [h for h in group if not (h.type in covers and covers[h.type].covers(h.start, h.end))]
                for group in (hits, contexts, anchors)
            )
        if negations:
            for spans in negations.values():
                spans.sort()
            hits = [h for h in hits if not self._negated(seen, h, negations.get(h.type))]

        present = {h.rule_id for h in hits} | {h.rule_id for h in contexts}
        hits = [h for h in hits if h.rule_id not in self._requires or present & self._requires[h.rule_id]]
        for h in hits:
            if present & self._boost.get(h.rule_id, frozenset()):
                h.boosted = True
        hits.extend(self._anchored_prices(seen, anchors, product))

        signals = []
        for h in _merge(hits):
            if h.start >= h.end:
                continue
            a, b = view.span(h.start, h.end)
            signals.append(Signal(h.type, self._severity(h), h.rule_id, text[a:b], source, a, b))
        return signals

    def _negated(self, seen: str, hit: _Hit, spans: list[tuple[int, int]] | None) -> bool:
        """Whether a negation starts before the hit, ends close to it (or inside it: "不要私下" + "私下转账"),
        and no clause break lies between them. ``spans`` are sorted."""
        if not spans:
            return False
        window = self._rules.negation_window
        k = bisect_right(spans, (hit.start, -1))
        while k > 0:
            k -= 1
            s, e = spans[k]
            if hit.start - s > window + _LONGEST_NEGATION:
                break
            if hit.start - e <= window and (e >= hit.start or _CLAUSE_BREAK.search(seen, e, hit.start) is None):
                return True
        return False

    def _anchored_prices(self, seen: str, anchors: list[_Hit], product: Product | None) -> Iterator[_Hit]:
        """An original price said aloud ("原价999") checked against the product's real recent prices."""
        if not anchors or product is None or not product.price_history:
            return
        top = max(product.price_history)
        for anchor in anchors:
            m = _ANCHOR_AMOUNT.match(seen, anchor.end)
            if m is None:
                continue
            try:
                amount = float(m.group(1).replace(",", ""))
            except ValueError:
                continue
            if amount > self._rules.price_ratio * top:
                severe = amount >= self._rules.severe_price_ratio * top
                yield _Hit(anchor.start, m.end(1), "price.inflated_original", SignalType.PRICE_FRAUD, severe)

    def _product_signals(self, product: Product) -> list[Signal]:
        """Price fraud read from the product itself: an inflated or never-charged original, a fake discount."""
        rules = self._rules
        claimed, live, history = product.claimed_original_price, product.live_price, product.price_history
        if claimed is None:
            return []
        found: list[_Hit] = []
        discounted = live is not None and live < claimed
        if history:
            top = max(history)
            if claimed > rules.price_ratio * top:
                severe = claimed >= rules.severe_price_ratio * top
                found.append(_Hit(0, 0, "price.inflated_original", SignalType.PRICE_FRAUD, severe))
            elif discounted and live is not None and live > top:
                # "Was 139, now 119" when it never sold above 99: the discount is a price rise.
                found.append(_Hit(0, 0, "price.fake_discount", SignalType.PRICE_FRAUD))
        elif discounted and rules.flag_discount_without_history:
            found.append(_Hit(0, 0, "price.never_charged", SignalType.PRICE_FRAUD))
        return [Signal(h.type, self._severity(h), h.rule_id, "", "product", 0, 0) for h in found]

    def _severity(self, hit: _Hit) -> RiskLevel:
        base = self._rules.severities[hit.rule_id]
        return self._rules.boosted_severities.get(hit.rule_id, base) if hit.boosted else base


def _merge(hits: list[_Hit]) -> list[_Hit]:
    """One hit per overlapping stretch of one rule ("全网最低价" rather than it, "最低价", "最低" and "最")."""
    out: list[_Hit] = []
    for h in sorted(hits, key=lambda h: (h.rule_id, h.start, -h.end)):
        last = out[-1] if out else None
        if last is not None and last.rule_id == h.rule_id and h.start < last.end:
            last.end = max(last.end, h.end)
            last.boosted = last.boosted or h.boosted
        else:
            out.append(_Hit(h.start, h.end, h.rule_id, h.type, h.boosted))
    out.sort(key=lambda h: (h.start, h.end, h.rule_id))
    return out


# ---------------------------------------------------------------------------------------------------------------
# Escalation over a session


@dataclass(frozen=True, slots=True)
class SessionState:
    """What a running broadcast session remembers between assessments; the service keeps one per session."""

    #: Segments with a lure or a HIGH risk level so far.
    offences: int = 0
    #: Operator warnings issued for offences.
    warnings: int = 0
    #: A warning was issued and not yet acknowledged by the operator.
    warning_outstanding: bool = False
    #: The lasting measure in force: restriction and suspension hold for the rest of the session.
    in_force: Measure = Measure.NONE
    lures: int = 0
    highs: int = 0


_LASTING = (Measure.TRAFFIC_RESTRICTION, Measure.SUSPEND_BROADCAST)


def escalate(
    state: SessionState | None,
    assessment: Assessment,
    *,
    warning_acknowledged: bool = False,
    max_warnings: int = 2,
) -> tuple[SessionState, Measure]:
    """The next session state and the measure to apply now.

    An offence is a segment with a lure or a HIGH level. The first is answered with an operator warning (and the
    viewer prompt). A warning ignored becomes a restriction: the next offence while the warning is unacknowledged
    restricts traffic. A heeded (acknowledged) warning earns another warning, up to ``max_warnings`` per session
    (``RiskRules.max_warnings``); after that, or for a HIGH offence, the next offence restricts. An offence while
    restricted suspends the broadcast. Restriction and suspension last for the session; the measure is never
    milder than what the assessment itself calls for.
    """
    state = state or SessionState()
    outstanding = state.warning_outstanding and not warning_acknowledged
    lure = any(s.type is SignalType.OFF_PLATFORM_LURE for s in assessment.signals)
    high = assessment.risk_level is RiskLevel.HIGH
    lasting = state.in_force if state.in_force in _LASTING else Measure.NONE
    if not (lure or high):
        return replace(state, warning_outstanding=outstanding), _max_measure(assessment.measure, lasting)
    if state.in_force in _LASTING:
        step = Measure.SUSPEND_BROADCAST
    elif state.warnings == 0:
        step = Measure.OPERATOR_WARNING
    elif outstanding or high or state.warnings >= max_warnings:
        step = Measure.TRAFFIC_RESTRICTION
    else:
        step = Measure.OPERATOR_WARNING
    measure = _max_measure(assessment.measure, step, lasting)
    warned = step is Measure.OPERATOR_WARNING or (state.warnings == 0 and measure in _LASTING)
    new = SessionState(
        offences=state.offences + 1,
        warnings=state.warnings + (1 if warned else 0),
        warning_outstanding=True if step is Measure.OPERATOR_WARNING else outstanding,
        in_force=measure if measure in _LASTING else state.in_force,
        lures=state.lures + (1 if lure else 0),
        highs=state.highs + (1 if high else 0),
    )
    return new, measure
