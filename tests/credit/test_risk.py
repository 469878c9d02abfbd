"""Risk identification model (Art. 13, 17, 32; draft Art. 9; Minors): corpus quality, offsets, escalation, rules."""

from __future__ import annotations

import dataclasses
import json
import random
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from livetrust.credit._risk import (
    Assessment,
    Lexicon,
    LexiconRole,
    Measure,
    Product,
    RiskEngine,
    RiskLevel,
    RiskRules,
    Segment,
    SessionState,
    Signal,
    SignalType,
    escalate,
)
from livetrust.errors import InvalidArgument

CORPUS_PATH = Path(__file__).with_name("risk_corpus.jsonl")
RULES = RiskRules.default()
ENGINE = RiskEngine(RULES)
THRESHOLD = 0.9


def load_corpus() -> list[dict]:
    with CORPUS_PATH.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


CORPUS = load_corpus()


def to_segment(row: dict) -> Segment:
    p = row["product"]
    product = (
        None
        if p is None
        else Product(p["title"], p["claimed_original_price"], p["live_price"], tuple(p["price_history"]))
    )
    return Segment(row["transcript"], tuple(row["comments"]), product)


def assess(transcript: str = "", comments=(), product: Product | None = None) -> Assessment:
    return ENGINE.assess(Segment(transcript, tuple(comments), product))


def types_of(a: Assessment) -> set[SignalType]:
    return {s.type for s in a.signals}


def rules_of(a: Assessment) -> set[str]:
    return {s.rule_id for s in a.signals}


def assert_offsets(segment: Segment, a: Assessment) -> None:
    for s in a.signals:
        source_text = segment.source_text(s.source)
        assert source_text[s.start : s.end] == s.matched_text, s
        if s.source != "product":
            assert s.matched_text, s


# ---------------------------------------------------------------------------------------------------------------
# The corpus


def test_corpus_is_large_varied_and_well_formed() -> None:
    ids = [row["id"] for row in CORPUS]
    assert len(CORPUS) >= 220
    assert len(set(ids)) == len(ids)
    names = {t.value for t in SignalType}
    for row in CORPUS:
        assert set(row) == {"id", "transcript", "comments", "product", "labels"}, row["id"]
        assert set(row["labels"]) <= names, row["id"]
    negatives = sum(1 for row in CORPUS if not row["labels"])
    assert negatives / len(CORPUS) >= 0.4
    for t in SignalType:
        assert sum(1 for row in CORPUS if t.value in row["labels"]) >= 30, t
    text = "".join(row["transcript"] for row in CORPUS)
    assert any("\u4e00" <= c <= "\u9fff" for c in text) and any("a" <= c <= "z" for c in text)


def _confusion(rows: list[dict]) -> dict[SignalType, list[int]]:
    counts = {t: [0, 0, 0] for t in SignalType}  # tp, fp, fn
    for row in rows:
        got = types_of(ENGINE.assess(to_segment(row)))
        want = {SignalType(v) for v in row["labels"]}
        for t in SignalType:
            if t in got and t in want:
                counts[t][0] += 1
            elif t in got:
                counts[t][1] += 1
            elif t in want:
                counts[t][2] += 1
    return counts


def _table(title: str, counts: dict[SignalType, list[int]]) -> dict[SignalType, tuple[float, float]]:
    out = {}
    print(f"\n{title}")
    print(f"{'signal type':<20} {'TP':>4} {'FP':>4} {'FN':>4} {'precision':>10} {'recall':>8}")
    for t, (tp, fp, fn) in counts.items():
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        out[t] = (precision, recall)
        print(f"{t.value:<20} {tp:>4} {fp:>4} {fn:>4} {precision:>10.3f} {recall:>8.3f}")
    return out


def test_precision_and_recall_per_signal_type() -> None:
    scores = _table(f"risk corpus: {len(CORPUS)} segments, rules {RULES.version}", _confusion(CORPUS))
    # The "fresh-" rows were written after the lexicon was settled and never tuned for: a generalisation check,
    # printed for the record, not asserted.
    fresh = [row for row in CORPUS if row["id"].startswith("fresh-")]
    _table(f"of which written after the lexicon was settled: {len(fresh)} segments", _confusion(fresh))
    for t, (precision, recall) in scores.items():
        assert precision >= THRESHOLD, (t, precision)
        assert recall >= THRESHOLD, (t, recall)


def test_every_offset_maps_back_to_the_original_text() -> None:
    for row in CORPUS:
        segment = to_segment(row)
        assert_offsets(segment, ENGINE.assess(segment))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=8),
            st.sampled_from(
                [
                    "微信",
                    "１３８１２３４５６７８",
                    "一三八一二三四五六七八",
                    "最好",
                    "❤",
                    "\u200b",
                    "㎝",
                    "Ⅻ",
                    " ",
                    "V 信",
                    "最后3分钟",
                    "原价999",
                    "白酒",
                    "add me",
                    "ｖｘ",
                    "ﬁ",
                    "İ",
                    "全网最低价",
                ]
            ),
        ),
        max_size=12,
    )
)
def test_offsets_map_back_for_any_text(parts: list[str]) -> None:
    text = "".join(parts)
    segment = Segment(text, (text[::-1],), Product(text, 999, 99, (99,)))
    assert_offsets(segment, ENGINE.assess(segment))


# ---------------------------------------------------------------------------------------------------------------
# Off-platform lures


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("打我电话13812345678", "13812345678"),
        ("号码 138 1234 5678 找我", "138 1234 5678"),
        ("call 138-1234-5678 now", "138-1234-5678"),
        ("电话１３８１２３４５６７８", "１３８１２３４５６７８"),
        ("记一下 一三八一二三四五六七八", "一三八一二三四五六七八"),
        ("打幺三八幺二三四五六七八", "幺三八幺二三四五六七八"),
        ("一三八 1234 五六七八 备注直播", "一三八 1234 五六七八"),
        ("１３９－８８７６－５４３２", "１３９－８８７６－５４３２"),
        ("+86 159 0000 1234", "159 0000 1234"),
        ("号码一五九 八七六五 四三二一", "一五九 八七六五 四三二一"),
        ("138❤1234❤5678", "138❤1234❤5678"),
        ("一三八一二三四五六七八一起来玩", "一三八一二三四五六七八"),
    ],
)
def test_phone_numbers_in_any_spelling_are_caught(text: str, number: str) -> None:
    a = assess(text)
    phones = [s for s in a.signals if s.rule_id == "lure.phone"]
    assert [s.matched_text for s in phones] == [number]
    assert text[phones[0].start : phones[0].end] == number
    assert a.viewer_prompt


@pytest.mark.parametrize(
    "text",
    [
        "加我薇信领福利",
        "威信号在简介",
        "徽信搜一下就有",
        "V信同名",
        "vx: lily_2024",
        "wx同号",
        "加V拿内部价",
        "加我扣扣拿批发价",
        "搜企鹅号备注直播",
        "Add me on WeChat for a better price",
        "私下转账更便宜",
        "私聊下单，我直接发",
        "加我私聊",
        "不走平台再便宜50",
        "扫码进群",
        "二维码在屏幕左下角",
        "Scan the QR code on the screen",
        "transfer privately and I ship tomorrow",
        "薇❤信：hello_kitty01",
        "加 v 信 领福利",
    ],
)
def test_handles_and_their_evasions_are_lures(text: str) -> None:
    a = assess(text)
    assert SignalType.OFF_PLATFORM_LURE in types_of(a), text
    assert_offsets(Segment(text), a)


def test_a_contact_with_an_invitation_is_high_and_alone_is_medium() -> None:
    alone = assess("138 1234 5678")
    assert (alone.risk_level, alone.measure) == (RiskLevel.MEDIUM, Measure.VIEWER_PROMPT)
    invited = assess("加我 138 1234 5678 私聊")
    assert invited.risk_level is RiskLevel.HIGH
    assert invited.measure is Measure.TRAFFIC_RESTRICTION
    # A handle evasion with "add", and a handle followed by an account id, are HIGH too.
    assert assess("加V领券").risk_level is RiskLevel.HIGH
    handle = next(s for s in assess("vx：mm_shop2024").signals if s.rule_id == "lure.handle.wechat")
    assert (handle.severity, handle.matched_text) == (RiskLevel.HIGH, "vx：mm_shop2024")


def test_a_lure_in_a_comment_names_the_comment() -> None:
    a = assess("今天福利价只要99", comments=["主播好看", "想要更便宜的加我vx：beauty_8899"])
    lure = next(s for s in a.signals if s.type is SignalType.OFF_PLATFORM_LURE)
    assert lure.source == "comments[1]"
    assert lure.matched_text == "vx：beauty_8899"


def test_the_viewer_prompt_warns_of_private_transactions_in_chinese_and_english() -> None:
    a = assess("加我微信私聊")
    assert "私下" in a.viewer_prompt and "private" in a.viewer_prompt.lower()
    assert a.viewer_prompt == RULES.viewer_prompt
    assert assess("这款面霜很滋润").viewer_prompt == ""
    # A minor-unsuitable segment gets its reminder, not the lure prompt.
    assert assess("这款白酒口感醇厚").viewer_prompt == ""


# ---------------------------------------------------------------------------------------------------------------
# Tricky negatives


@pytest.mark.parametrize(
    "text",
    [
        "订单号 2024061812345678，已经发货",
        "Order number 2024061812345678 has shipped",
        "尺码：38码、39码、40码，身高165cm穿M码，XL也有",
        "今天¥138，包邮",
        "It's 138 dollars today",
        "型号 XG-2024-88，适用于 iPhone 15 Pro",
        "2024年6月18日 13:00 开抢",
        "The anniversary sale starts on 2024-06-18",
        "快递单号 YT 7788 1234 5678 9",
        "手机号 138****5678 的宝宝中奖了",
        "有问题请联系平台客服",
        "Contact platform customer service if your parcel is late",
        "支持微信支付",
        "这款QQ糖很好吃",
        "千万不要加陌生人微信，也不要私下转账",
        "最近天气转凉了",
        "最后一件了，喜欢的抓紧",
        "第一次来直播间的宝宝点点关注",
        "第一时间发货",
        "最好是拍大一码",
        "Best before June 2025",
        "以下注意事项请仔细看",
        "酒红色的裙子",
        "Wine red is the colour of the season",
        "最后3分钟给大家讲讲怎么搭配",
    ],
)
def test_lookalikes_stay_quiet(text: str) -> None:
    a = assess(text)
    assert a.signals == (), [(s.rule_id, s.matched_text) for s in a.signals]
    assert (a.risk_level, a.measure, a.viewer_prompt, a.minor_reminder) == (RiskLevel.LOW, Measure.NONE, "", "")


def test_a_real_discount_from_a_real_recent_price_is_not_fraud() -> None:
    a = assess("这款原价199，今天直播间139", product=Product("纯棉T恤", 199, 139, (199, 189, 199)))
    assert a.signals == ()


# ---------------------------------------------------------------------------------------------------------------
# Absolute claims, price fraud, minors


def test_absolute_claims_need_an_operator_warning_and_report_the_lexicon_version() -> None:
    a = assess("全网最低价，史上最好用，No. 1 in Korea")
    claims = [s for s in a.signals if s.type is SignalType.ABSOLUTE_CLAIM]
    assert [s.matched_text for s in claims] == ["全网最低价", "史上最好", "No. 1"]
    assert {s.rule_id for s in claims} == {"claim.absolute"}
    assert (a.risk_level, a.measure) == (RiskLevel.MEDIUM, Measure.OPERATOR_WARNING)
    assert a.rules_version == RULES.version == ENGINE.rules_version
    assert RULES.version


def test_claims_by_viewers_are_not_the_sellers_advertising() -> None:
    assert assess("颜色很正", comments=["主播最好看了", "全网最低价吗"]).signals == ()


def test_an_original_price_far_above_any_recent_price_is_fraud() -> None:
    medium = assess("", product=Product("按摩仪", 399, 199, (199, 219)))
    assert [(s.rule_id, s.severity, s.source) for s in medium.signals] == [
        ("price.inflated_original", RiskLevel.MEDIUM, "product")
    ]
    high = assess("原价1999，今天只要399", product=Product("羽绒服", 1999, 399, (399, 429)))
    assert {(s.rule_id, s.source) for s in high.signals} == {
        ("price.inflated_original", "product"),
        ("price.inflated_original", "transcript"),
    }
    assert high.risk_level is RiskLevel.HIGH
    said = next(s for s in high.signals if s.source == "transcript")
    assert said.matched_text == "原价1999"
    spoken = assess("原价九百九十九，现在九十九", product=Product("保温壶", None, 99, (99, 109)))
    assert [s.matched_text for s in spoken.signals] == ["原价九百九十九"]


def test_the_price_ratio_is_configuration() -> None:
    product = Product("按摩仪", 298, 199, (199,))  # below 1.5 x 199: not above the default ratio
    assert assess("", product=product).signals == ()
    strict = RiskEngine(dataclasses.replace(RULES, price_ratio=1.2))
    assert {s.rule_id for s in strict.assess(Segment("", (), product)).signals} == {"price.inflated_original"}


def test_discounts_from_prices_never_charged() -> None:
    never = assess("", product=Product("蓝牙耳机", 299, 99, ()))
    assert rules_of(never) == {"price.never_charged"}
    fake = assess("", product=Product("衬衫", 139, 119, (99, 99, 105)))
    assert rules_of(fake) == {"price.fake_discount"}
    assert fake.measure is Measure.OPERATOR_WARNING


def test_countdown_pressure_counts_only_next_to_a_price_claim() -> None:
    for text in (
        "最后3分钟，原价299现在只要99",
        "仅剩最后两百单，秒杀价59",
        "Last 5 minutes at this price, only $19.99",
        "最后 三 分钟！折扣马上结束",
        "only today, 50% off",
    ):
        assert "price.countdown" in rules_of(assess(text)), text
    for text in ("最后3分钟给大家答疑", "Only today we're showing the new colours", "最后一件了"):
        assert assess(text).signals == (), text


def test_minor_unsuitable_content_gets_the_reminder() -> None:
    a = assess("这款53度酱香型白酒")
    assert [(s.rule_id, s.matched_text) for s in a.signals] == [("minor.alcohol", "酱香型"), ("minor.alcohol", "白酒")]
    assert a.minor_reminder == RULES.minor_reminder
    assert "未成年" in a.minor_reminder and "minors" in a.minor_reminder
    assert a.measure is Measure.VIEWER_PROMPT
    assert rules_of(assess("Tonight: casino night, place your bets")) == {"minor.gambling"}
    assert rules_of(assess("电子烟烟弹")) == {"minor.tobacco"}
    assert assess("这款面霜很滋润").minor_reminder == ""


def test_levels_and_measures() -> None:
    assert (assess("今天的福利款是这双帆布鞋").risk_level, assess("").measure) == (RiskLevel.LOW, Measure.NONE)
    assert assess("扫码进群").measure is Measure.VIEWER_PROMPT
    cure = assess("这款精油包治百病")
    assert (cure.risk_level, cure.measure) == (RiskLevel.HIGH, Measure.TRAFFIC_RESTRICTION)
    suspending = RiskEngine(
        dataclasses.replace(RULES, level_measures={**RULES.level_measures, RiskLevel.HIGH: Measure.SUSPEND_BROADCAST})
    )
    assert suspending.assess(Segment("加我微信 138 1234 5678")).measure is Measure.SUSPEND_BROADCAST


def test_signals_and_assessments_are_frozen() -> None:
    a = assess("加我微信")
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.measure = Measure.NONE  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.signals[0].start = 3  # type: ignore[misc]
    assert isinstance(a.signals[0], Signal)


# ---------------------------------------------------------------------------------------------------------------
# Escalation over a session


LURE = assess("二维码在屏幕左下角")  # a MEDIUM lure: alone it calls only for the viewer prompt
CLEAN = assess("这款面霜很滋润")
CLAIM = assess("全网最低价")
HIGH = assess("这款精油包治百病")


def test_a_warning_ignored_becomes_a_restriction_then_a_suspension() -> None:
    assert (LURE.risk_level, LURE.measure) == (RiskLevel.MEDIUM, Measure.VIEWER_PROMPT)
    state, measure = escalate(None, LURE)
    assert measure is Measure.OPERATOR_WARNING  # and LURE.viewer_prompt is shown
    assert state.warning_outstanding and state.lures == 1
    state, measure = escalate(state, CLEAN)
    assert measure is Measure.NONE  # a clean segment meanwhile changes nothing
    state, measure = escalate(state, LURE)
    assert measure is Measure.TRAFFIC_RESTRICTION
    state, measure = escalate(state, CLEAN)
    assert measure is Measure.TRAFFIC_RESTRICTION  # a restriction lasts for the session
    state, measure = escalate(state, LURE)
    assert measure is Measure.SUSPEND_BROADCAST
    assert (state.offences, state.lures, state.in_force) == (3, 3, Measure.SUSPEND_BROADCAST)


def test_a_heeded_warning_earns_one_more_warning_up_to_the_limit() -> None:
    state, measure = escalate(None, LURE)
    assert measure is Measure.OPERATOR_WARNING
    state, measure = escalate(state, LURE, warning_acknowledged=True, max_warnings=RULES.max_warnings)
    assert measure is Measure.OPERATOR_WARNING
    state, measure = escalate(state, LURE, warning_acknowledged=True, max_warnings=RULES.max_warnings)
    assert measure is Measure.TRAFFIC_RESTRICTION
    assert escalate(state, LURE, warning_acknowledged=True)[1] is Measure.SUSPEND_BROADCAST


def test_repeated_high_risk_escalates_and_medium_claims_do_not() -> None:
    state, measure = escalate(None, HIGH)
    assert measure is Measure.TRAFFIC_RESTRICTION
    state, measure = escalate(state, HIGH, warning_acknowledged=True)
    assert measure is Measure.SUSPEND_BROADCAST
    state = None
    for _ in range(3):
        state, measure = escalate(state, CLAIM)
        assert measure is Measure.OPERATOR_WARNING
    assert state == SessionState()


def test_escalation_is_pure() -> None:
    state = SessionState()
    assert escalate(state, LURE) == escalate(state, LURE)
    assert state == SessionState()
    with pytest.raises(dataclasses.FrozenInstanceError):
        state.offences = 1  # type: ignore[misc]


# ---------------------------------------------------------------------------------------------------------------
# Rules


def test_default_rules_are_valid_and_round_trip() -> None:
    assert RULES.validate() == []
    document = json.loads(json.dumps(RULES.to_dict(), ensure_ascii=False))
    again = RiskRules.from_dict(document)
    assert again == RULES
    assert again.version == RULES.version
    assert RiskEngine(again).assess(Segment("加我微信")).rules_version == RULES.version


def test_the_packaged_file_is_the_default() -> None:
    packaged = json.loads(resources.files("livetrust.credit").joinpath("risk_rules.json").read_text(encoding="utf-8"))
    assert RiskRules.from_dict(packaged) == RULES
    assert packaged["version"] == RULES.version


def test_validation_finds_every_problem() -> None:
    broken = dataclasses.replace(
        RULES,
        version=" ",
        price_ratio=0.5,
        negation_window=-1,
        viewer_prompt="",
        severities={k: v for k, v in RULES.severities.items() if k != "lure.phone"},
        requires={"price.countdown": ("no.such.context",)},
        lexicons=(*RULES.lexicons, Lexicon("claim.absolute", SignalType.ABSOLUTE_CLAIM, LexiconRole.SIGNAL, ("",))),
    )
    problems = "\n".join(broken.validate())
    for fragment in (
        "version",
        "price_ratio",
        "negation_window",
        "viewer_prompt",
        "lure.phone",
        "no.such.context",
        "used twice",
        "empty once normalised",
    ):
        assert fragment in problems, fragment
    with pytest.raises(InvalidArgument):
        RiskEngine(broken)


def test_malformed_documents_are_rejected() -> None:
    document = RULES.to_dict()
    for mutate in (
        lambda d: d.pop("version"),
        lambda d: d.__setitem__("lexicons", "terms"),
        lambda d: d["lexicons"][0].__setitem__("role", "SOMETIMES"),
        lambda d: d.__setitem__("level_measures", {"LOW": "SHOUT"}),
    ):
        bad = json.loads(json.dumps(document))
        mutate(bad)
        with pytest.raises(InvalidArgument):
            RiskRules.from_dict(bad)


def test_a_ten_thousand_term_lexicon_builds_and_assesses_correctly() -> None:
    rng = random.Random(20240618)
    alphabet = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]
    terms = sorted({"".join(rng.choice(alphabet) for _ in range(rng.randint(3, 6))) for _ in range(10_500)})[:10_000]
    assert len(terms) == 10_000
    big = dataclasses.replace(
        RULES,
        version=RULES.version + "+synthetic",
        lexicons=(*RULES.lexicons, Lexicon("claim.synthetic", SignalType.ABSOLUTE_CLAIM, LexiconRole.SIGNAL, terms)),
        severities={**RULES.severities, "claim.synthetic": RiskLevel.MEDIUM},
    )
    engine = RiskEngine(big)
    picked = [terms[0], terms[4_999], terms[-1]]
    text = f"家人们看这款，{picked[0]}，真的不错。{picked[1]}！还有 {picked[2]} 加我微信"
    a = engine.assess(Segment(text))
    synthetic = [s for s in a.signals if s.rule_id == "claim.synthetic"]
    assert [s.matched_text for s in synthetic] == picked
    assert_offsets(Segment(text), a)
    assert "lure.handle.wechat" in rules_of(a)
    assert a.rules_version.endswith("+synthetic")
    # The default signals still behave the same with the big lexicon loaded.
    for row in CORPUS[:60]:
        expected = {(s.rule_id, s.start, s.end) for s in ENGINE.assess(to_segment(row)).signals}
        got = {(s.rule_id, s.start, s.end) for s in engine.assess(to_segment(row)).signals}
        assert {x for x in got if x[0] != "claim.synthetic"} == expected, row["id"]
