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
        for name, low in (("negation_window", 0), ("max_warnings", 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                out.append(f"{name}: must be an integer of at least {low}")
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
# Normalisation. Views of each text, each a rewrite of the one before with a way back to it:
#   norm     case folded, full-width forms folded, then NFKC (character for character but for rare characters);
#   squeezed without invisible characters and decorative symbols ("薇❤信"), then without spaces inside CJK
#            words ("V 信", "微 信");
#   masked   every number (digits, Chinese numerals, English number words) one placeholder, for "最后{n}分钟".
# Terms and phone numbers are matched on the squeezed view (whose squeeze never joins two numerals), number
# patterns on the masked one. Each pass is one regular-expression scan that starts with a character class, so
# the scanner skips ahead in C; Python only sees the (few) places that change.

# Chinese numerals spoken or typed in place of digits ("一三八", "幺" for 1 on the phone, the financial forms).
_NUMERAL_DIGITS = "〇零一二三四五六七八九幺壹贰叁肆伍陆柒捌玖"
_TO_DIGIT = str.maketrans(_NUMERAL_DIGITS, "00" + "123456789" + "1" + "123456789")

# Full-width ASCII, the ideographic space and the no-break space: the bulk of what NFKC changes in Chinese text
# (every full-width comma), folded one for one by a table rather than character by character. 0x2795: heavy plus.
_WIDE = {chr(cp): chr(cp - 0xFEE0) for cp in range(0xFF01, 0xFF5F)} | {"\u3000": " ", "\u00a0": " ", "\u2795": "+"}
_WIDE_RE = re.compile(f"[{''.join(map(re.escape, _WIDE))}]")
# Characters NFKC certainly leaves alone; anything else is checked one by one (and is rare once _WIDE is done).
_MAYBE_COMPAT = re.compile("[^\x00-\x7f\u3001-\u3002\u3400-\u4dbf\u4e00-\u9fff]")
# Zero-width characters, variation selectors and decorative symbols hide nothing from a viewer but split a word.
_DECOR = re.compile(
    "[\u200b-\u200d\u2060\ufeff\u00ad\ufe00-\ufe0f\u2190-\u21ff\u2300-\u23ff\u25a0-\u27bf\u2b00-\u2bff"
    "\U0001f000-\U0001faff]+"
)
# Only spaces that touch a CJK character can be inside a CJK word; finding just those keeps English text fast.
# Two patterns, each starting with a character class (an alternation or a look-behind would slow the scan).
_SPACES_BEFORE_CJK = re.compile("[ \t]+(?=[\u3400-\u9fff])")
_CJK_THEN_SPACES = re.compile("[\u3400-\u9fff][ \t]+")
_NUMERAL_SET = frozenset(_NUMERAL_DIGITS)
# A number of any spelling, with the spaces around it, becomes one placeholder in the masked view so that
# "最后{n}分钟" matches "最后3分钟", "最后 10 分钟", "最后三分钟" and "last five minutes" alike.
_NUMBER = re.compile(f"[0-9{_NUMERAL_DIGITS}十百千万两]+(?:[.,][0-9]+)*")
_NUMBER_WORD = re.compile(r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|fifteen|twenty|thirty|sixty)\b")
_LETTER = re.compile("[a-z]")
_PLACEHOLDER = "#"

_Edit = tuple[int, int, str]


def _is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff"


class _Rewrite:
    """A view made by replacing spans of a base string, and the way back to the base."""

    __slots__ = ("_ends", "_positions", "_shifts", "_starts", "_widths", "text")

    def __init__(self, base: str, edits: Iterable[_Edit]) -> None:
        pieces: list[str] = []
        self._positions: list[int] = []  # where each replacement starts in the view
        self._widths: list[int] = []  # its length there
        self._starts: list[int] = []  # the span it replaced in the base
        self._ends: list[int] = []
        self._shifts: list[int] = []  # base index - view index just after it
        last = removed = 0
        for s, e, replacement in edits:
            pieces.append(base[last:s])
            pieces.append(replacement)
            self._positions.append(s - removed)
            self._widths.append(len(replacement))
            self._starts.append(s)
            self._ends.append(e)
            removed += e - s - len(replacement)
            self._shifts.append(removed)
            last = e
        pieces.append(base[last:])
        self.text = "".join(pieces) if self._positions else base

    @property
    def edited(self) -> bool:
        return bool(self._positions)

    def _char(self, p: int) -> tuple[int, int]:
        k = bisect_right(self._positions, p) - 1
        if k >= 0 and p < self._positions[k] + self._widths[k]:
            return self._starts[k], self._ends[k]
        q = p + (self._shifts[k] if k >= 0 else 0)
        return q, q + 1

    def back(self, a: int, b: int) -> tuple[int, int]:
        """The base span of the view span [a, b), a < b."""
        if not self._positions:
            return a, b
        return self._char(a)[0], self._char(b - 1)[1]


def _normalise(text: str) -> _Rewrite:
    """Case-folded NFKC text, as a rewrite of ``text``."""
    low = text.lower()
    if len(low) != len(text):  # "İ" lowers to two characters; keep it rather than lose the way back
        low = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    if _WIDE_RE.search(low):
        low = _WIDE_RE.sub(lambda m: _WIDE[m.group()], low)
    if unicodedata.is_normalized("NFKC", low):
        return _Rewrite(low, ())
    edits = []
    for m in _MAYBE_COMPAT.finditer(low):
        ch = m.group()
        out = unicodedata.normalize("NFKC", ch).lower()
        if out != ch:
            edits.append((m.start(), m.end(), out))
    return _Rewrite(low, edits)


def _strip_decor(norm: str) -> _Rewrite:
    if not _DECOR.search(norm):
        return _Rewrite(norm, ())
    return _Rewrite(norm, ((m.start(), m.end(), "") for m in _DECOR.finditer(norm)))


def _join_words(text: str) -> _Rewrite:
    """Drop spaces between a CJK character and a CJK character or Latin letter, unless both sides are numerals
    ("一三八 一二三四" stays grouped for the phone detector)."""
    if text.isascii():
        return _Rewrite(text, ())
    spans = {m.span() for m in _SPACES_BEFORE_CJK.finditer(text)}
    spans.update((m.start() + 1, m.end()) for m in _CJK_THEN_SPACES.finditer(text))
    edits = []
    n = len(text)
    for s, e in sorted(spans):
        if s == 0 or e == n:
            continue
        left, right = text[s - 1], text[e]
        left_word = _is_cjk(left) and left not in _NUMERAL_SET
        right_word = _is_cjk(right) and right not in _NUMERAL_SET
        if (left_word and (_is_cjk(right) or "a" <= right <= "z")) or (
            right_word and (_is_cjk(left) or "a" <= left <= "z")
        ):
            edits.append((s, e, ""))
    return _Rewrite(text, edits)


def _mask(text: str) -> _Rewrite:
    """Every number, with the spaces around it, one placeholder."""
    text = text.replace(_PLACEHOLDER, " ")  # a literal "#" must not pass for a number
    spans = [m.span() for m in _NUMBER.finditer(text)]
    if _LETTER.search(text):
        words = [m.span() for m in _NUMBER_WORD.finditer(text)]
        if words:
            spans = sorted(spans + words)
    edits = []
    last, n = 0, len(text)
    for s, e in spans:
        while s > last and text[s - 1] == " ":
            s -= 1
        while e < n and text[e] == " ":
            e += 1
        edits.append((s, e, _PLACEHOLDER))
        last = e
    return _Rewrite(text, edits)


class _View:
    """One source text: the original, its views, and the way back to the original."""

    __slots__ = ("_masked", "_steps", "text")

    def __init__(self, original: str) -> None:
        norm = _normalise(original)
        plain = _strip_decor(norm.text)
        joined = _join_words(plain.text)
        # Only the steps that changed something need walking back through.
        self._steps = tuple(step for step in (joined, plain, norm) if step.edited)
        #: The squeezed view: every term offset below is in it.
        self.text = joined.text
        self._masked: _Rewrite | None = None

    def masked(self) -> str:
        if self._masked is None:
            self._masked = _mask(self.text)
        return self._masked.text

    def unmask(self, a: int, b: int) -> tuple[int, int]:
        """The squeezed span of the masked span [a, b), without the spaces a number carries."""
        assert self._masked is not None
        s, e = self._masked.back(a, b)
        while s < e and self.text[s].isspace():
            s += 1
        while e > s and self.text[e - 1].isspace():
            e -= 1
        return s, e

    def span(self, a: int, b: int) -> tuple[int, int]:
        """The original span of the squeezed span [a, b)."""
        for step in self._steps:
            a, b = step.back(a, b)
        return a, b


def _mask_term(squeezed: str) -> str:
    return _mask(squeezed).text


# Separators people put between the digits of a phone number ("138 1234 5678", "138-1234-5678", "138.1234.5678").
_PHONE_SEPARATORS = " -_.·・~*\u2013\u2014"  # the last two: en and em dash
_PHONE_MAX_GAP = 3
_DIGIT_CLASS = f"[0-9{_NUMERAL_DIGITS}]"
# Where a phone number can be at all: eleven or more digits, each at most three separators from the next. Most
# Chinese text has many "一" but few such runs, so the group logic below only sees a handful of places.
_PHONE_REGION = re.compile(
    f"{_DIGIT_CLASS}(?:[{re.escape(_PHONE_SEPARATORS)}]{{0,{_PHONE_MAX_GAP}}}{_DIGIT_CLASS}){{10,}}"
)
_DIGIT_GROUP = re.compile(f"[0-9]+|[{_NUMERAL_DIGITS}]+")
_MOBILE = re.compile(r"1[3-9][0-9]{9}")  # Chinese mobile numbers: 11 digits, 1 then 3-9
_MOBILE_LENGTH = 11

# An account id after a handle: "vx: lily_2024", "qq 12345678", "微信号是 abc123". Ids carry a digit; without
# that rule "wechat please" would read "please" as an id.
_HANDLE_ID = re.compile(
    r"\s*(?:号码|号|id)?\s*(?:是|:|=|为)?\s*(?=[a-z_\-]*[0-9])([a-z0-9][a-z0-9_\-]{4,29})(?![a-z0-9_\-])"
)
# The amount after an "original price" marker: "原价999", "原价是 ¥1,299", "original price was $199", "原价九百九".
_ANCHOR_AMOUNT = re.compile(
    r"\s*(?:是|要|为|卖|:|was|is|of)?\s*(?:¥|\$|rmb|usd)?\s*([0-9]+(?:,[0-9]{3})*(?:\.[0-9]+)?|[零〇一二两三四五六七八九十百千万]+)"
)
_CN_DIGITS = dict(zip("零\u3007一二两三四五六七八九", (0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9), strict=True))
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
# A negation reaches no further than its clause (full-width punctuation is already folded to ASCII).
_CLAUSE_BREAK = re.compile(r"[,.!?;:\n。]")

_ASCII_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyz")
_ASCII_DIGITS = frozenset("0123456789")


def _same_class(a: str, b: str) -> bool:
    return (a in _ASCII_LETTERS and b in _ASCII_LETTERS) or (a in _ASCII_DIGITS and b in _ASCII_DIGITS)


def _phones(seen: str) -> list[tuple[int, int]]:
    """Spans of Chinese mobile numbers, however spaced, dashed or spelt in Chinese numerals."""
    out: list[tuple[int, int]] = []
    for region in _PHONE_REGION.finditer(seen):
        # Every gap in a region is a separator gap, so its groups form one run.
        run = [
            (m.start(), m.end(), m.group().translate(_TO_DIGIT)) for m in _DIGIT_GROUP.finditer(seen, *region.span())
        ]
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


def _amount(text: str) -> float | None:
    """A price written in digits ("1,299", "99.9") or spoken in Chinese numerals ("九百九十九", "一千二")."""
    if text[0] in _ASCII_DIGITS:
        try:
            return float(text.replace(",", ""))
        except ValueError:
            return None
    total = section = digit = short = previous_unit = 0
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
            # "一千二" is 1200 and "两万五" 25000: a digit right after a unit of 100 or more counts one unit down.
            short = previous_unit // 10 if previous_unit >= 100 else 0
            previous_unit = 0
        elif ch in _CN_UNITS:
            previous_unit = _CN_UNITS[ch]
            section += (digit or 1) * previous_unit
            digit = short = 0
        else:  # 万
            total += (section + digit) * 10_000
            section = digit = short = 0
            previous_unit = 10_000
    return float(total + section + (digit * short if short else digit))


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


_ALNUM = _ASCII_LETTERS | _ASCII_DIGITS


def _automaton(keys: Mapping[str, set[int]]) -> Any:
    """An automaton whose values are (length, lexicon indexes, whether the start / the end needs a word boundary)."""
    if not keys:
        return None
    automaton = ahocorasick.Automaton()
    for key, groups in keys.items():
        automaton.add_word(key, (len(key), tuple(sorted(groups)), key[0] in _ALNUM, key[-1] in _ALNUM))
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


# Lexicon roles and signal types as small ints: the scan loop keys dictionaries by them, and an Enum hashes slowly.
_ROLE_CODES = {role: i for i, role in enumerate(LexiconRole)}
_SIGNAL, _CONTEXT, _EXCEPTION, _NEGATION, _ANCHOR = (_ROLE_CODES[r] for r in LexiconRole)
_TYPE_CODES = {t: i for i, t in enumerate(SignalType)}


# ---------------------------------------------------------------------------------------------------------------
# The engine


class RiskEngine:
    """Assesses segments against one :class:`RiskRules`; the automata are built once, here."""

    def __init__(self, rules: RiskRules) -> None:
        problems = rules.validate()
        if problems:
            raise InvalidArgument([FieldViolation("risk_rules", p, "INVALID") for p in problems])
        self._rules = rules
        plain: dict[str, set[int]] = {}
        masked: dict[str, set[int]] = {}
        for index, lexicon in enumerate(rules.lexicons):
            for term in lexicon.terms:
                key, is_masked = _term_key(term)
                (masked if is_masked else plain).setdefault(key, set()).add(index)
        self._plain = _automaton(plain)
        self._masked = _automaton(masked)
        # How far back a negation can start and still reach a hit: the window plus the longest negation.
        longest = max(
            (len(k) for k, g in plain.items() if any(rules.lexicons[i].role is LexiconRole.NEGATION for i in g)),
            default=0,
        )
        self._negation_reach = rules.negation_window + longest
        self._lexicons = [
            (_ROLE_CODES[lex.role], _TYPE_CODES[lex.signal], lex.signal, lex.id, lex.capture_id, lex.seller_only)
            for lex in rules.lexicons
        ]
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
            n = len(seen)
            for last, (length, groups, left, right) in self._plain.iter(seen):
                s, e = last - length + 1, last + 1
                if (left and s > 0 and _same_class(seen[s], seen[s - 1])) or (
                    right and e < n and _same_class(seen[last], seen[e])
                ):
                    continue
                for g in groups:
                    yield s, e, g
        if self._masked is not None:
            masked = view.masked()
            n = len(masked)
            for last, (length, groups, left, right) in self._masked.iter(masked):
                s, e = last - length + 1, last + 1
                if (left and s > 0 and _same_class(masked[s], masked[s - 1])) or (
                    right and e < n and _same_class(masked[last], masked[e])
                ):
                    continue
                a, b = view.unmask(s, e)
                for g in groups:
                    yield a, b, g

    def _scan(self, source: str, text: str, product: Product | None) -> list[Signal]:
        view = _View(text)
        seen = view.text
        hits: list[tuple[int, int, int]] = []  # (start, end, lexicon index) until exceptions are applied
        contexts: list[tuple[int, int, int]] = []
        anchors: list[tuple[int, int, int]] = []
        exceptions: dict[int, list[tuple[int, int]]] = {}
        negations: dict[int, list[tuple[int, int]]] = {}
        from_viewer = source.startswith("comments")
        lexicons = self._lexicons
        for found in self._terms(view):
            role, code, _, _, _, seller_only = lexicons[found[2]]
            if from_viewer and seller_only:
                continue
            if role == _SIGNAL:
                hits.append(found)
            elif role == _CONTEXT:
                contexts.append(found)
            elif role == _ANCHOR:
                anchors.append(found)
            elif role == _EXCEPTION:
                exceptions.setdefault(code, []).append(found[:2])
            else:
                negations.setdefault(code, []).append(found[:2])
        phones = _phones(seen)

        if exceptions:
            covers = {code: _Cover(spans) for code, spans in exceptions.items()}

            def kept(found: tuple[int, int, int]) -> bool:
                cover = covers.get(lexicons[found[2]][1])
                return cover is None or not cover.covers(found[0], found[1])

            hits, contexts, anchors = ([f for f in group if kept(f)] for group in (hits, contexts, anchors))
        signal_hits: list[_Hit] = []
        for s, e, index in hits:
            _, _, signal, rule_id, capture_id, _ = lexicons[index]
            hit = _Hit(s, e, rule_id, signal)
            if capture_id and (m := _HANDLE_ID.match(seen, e)):
                hit.end, hit.boosted = m.end(1), True
            signal_hits.append(hit)
        signal_hits.extend(_Hit(s, e, "lure.phone", SignalType.OFF_PLATFORM_LURE) for s, e in phones)
        hits = signal_hits
        if negations:
            for spans in negations.values():
                spans.sort()
            hits = [h for h in hits if not self._negated(seen, h, negations.get(_TYPE_CODES[h.type]))]

        present = {h.rule_id for h in hits} | {lexicons[index][3] for _, _, index in contexts}
        hits = [h for h in hits if h.rule_id not in self._requires or present & self._requires[h.rule_id]]
        for h in hits:
            if present & self._boost.get(h.rule_id, frozenset()):
                h.boosted = True
        hits.extend(self._anchored_prices(seen, [(s, e) for s, e, _ in anchors], product))

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
            if hit.start - s > self._negation_reach:
                break
            if hit.start - e <= window and (e >= hit.start or _CLAUSE_BREAK.search(seen, e, hit.start) is None):
                return True
        return False

    def _anchored_prices(self, seen: str, anchors: list[tuple[int, int]], product: Product | None) -> Iterator[_Hit]:
        """An original price said aloud ("原价999") checked against the product's real recent prices."""
        if not anchors or product is None or not product.price_history:
            return
        top = max(product.price_history)
        for start, end in anchors:
            m = _ANCHOR_AMOUNT.match(seen, end)
            if m is None:
                continue
            amount = _amount(m.group(1))
            if amount is not None and amount > self._rules.price_ratio * top:
                severe = amount >= self._rules.severe_price_ratio * top
                yield _Hit(start, m.end(1), "price.inflated_original", SignalType.PRICE_FRAUD, severe)

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
    warned = step is Measure.OPERATOR_WARNING
    new = SessionState(
        offences=state.offences + 1,
        warnings=state.warnings + (1 if warned else 0),
        warning_outstanding=warned or outstanding,
        in_force=measure if measure in _LASTING else state.in_force,
        lures=state.lures + (1 if lure else 0),
        highs=state.highs + (1 if high else 0),
    )
    return new, measure
