# ruff: noqa: RUF001 -- full-width punctuation is part of the Chinese text the engine must fold
"""Risk identification in-process: ``AssessSegment`` (the servicer: request in, the use case, response out)
with a 10,000-term lexicon synthesized and added to the default rules, on one thread (one core).

(a) text throughput in MB/s of UTF-8 (target >= 2 MB/s), against the same servicer with the default rules
    only (what the extra lexicon costs);
(b) the same throughput against one compiled ``re`` alternation of the same terms run with ``finditer`` over
    the same texts (target >= 10x): what Aho-Corasick over normalised views buys over the obvious approach.

Segments are synthetic live-selling text: a ~4,000-character transcript of everyday selling talk, random
runs of common characters (where lexicon terms turn up by chance), planted terms (synthetic ones, some
ASCII, and MEDIUM terms of the default lexicons: absolute claims, alcohol and the like), and 40 viewer
comments. Nothing in them is HIGH (no lures, no medical claims), so no assessment writes credit events:
the figure is the scan. The synthetic lexicon is an ABSOLUTE_CLAIM signal lexicon of MEDIUM severity, like
a platform's list of words banned by the advertising law.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from dataclasses import replace
from typing import Any

from ._harness import Context, Result, Target, best_rates, count_label, rate_of

BENCH = "risk"
LEXICON_ID = "bench.synthetic"
SEGMENTS = 16
_SEED = 20261204

# Common characters: synthetic terms are made of them, and so are the random runs in the texts.
_POOL = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多"
    "定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因"
    "由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解"
    "问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少"
    "图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七"
    "海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目"
)
_TALK = (
    "家人们晚上好，欢迎来到直播间，新来的宝宝点点关注",
    "今天给大家带来的是新款连衣裙，面料是纯棉的，穿起来很舒服",
    "这个颜色特别显白，夏天穿很合适，姐妹们看一下细节",
    "尺码偏大一点，平时穿中码的建议拍小一码",
    "我们支持七天无理由退换，收到不满意可以直接退",
    "下一个链接马上就来，大家不要走开",
    "做工非常精致，走线很整齐，没有线头",
    "主播自己也在用，用了大半年了真的很好用",
    "有问题可以在评论区留言，我一个一个回答",
    "这款锅不粘，好清洗，做饭的时候少放油也不会糊",
    "发货很快，一般两天就到，偏远地区会慢一点",
    "我们来抽个奖，点赞到一万就开始抽",
    "给大家讲一下使用方法，先洗干净再涂薄薄一层",
    "库存不多了，需要的抓紧时间下单",
    "today we have a new summer collection, sizes from s to xl",
    "this one is soft and light, good for travel and daily wear",
)
_COMMENTS = (
    "多少钱",
    "主播好美❤️",
    "已拍",
    "什么时候发货？",
    "有没有大码",
    "666",
    "链接在哪里",
    "质量怎么样",
    "上次买的很好用👍",
    "可以便宜点吗",
    "黑色还有吗",
    "身高一米六穿什么码",
    "主播穿的是几号链接",
    "买过的说一下",
    "好看！",
    "nice",
)
# MEDIUM terms of the default lexicons (planted like the synthetic ones); lures and medical claims are HIGH
# when boosted or as found, and would turn the scan into credit writes.
_PLANTED_DEFAULTS = ("claim.absolute", "minor.alcohol", "minor.tobacco", "price.context")


def synthesize_terms(count: int, seed: int = _SEED) -> list[str]:
    """``count`` distinct terms: 85% of 3 to 5 common characters, 15% ASCII words of 6 to 10 letters."""
    rng = random.Random(seed)
    terms: set[str] = set()
    while len(terms) < count:
        if rng.random() < 0.85:
            terms.add("".join(rng.choice(_POOL) for _ in range(rng.randint(3, 5))))
        else:
            terms.add("".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(6, 10))))
    return sorted(terms)


def with_lexicon(rules: Any, terms: list[str]) -> Any:
    """The default rules plus one ABSOLUTE_CLAIM signal lexicon of ``terms`` (MEDIUM)."""
    from livetrust.credit._risk import Lexicon, LexiconRole, RiskLevel, SignalType

    lexicon = Lexicon(LEXICON_ID, SignalType.ABSOLUTE_CLAIM, LexiconRole.SIGNAL, tuple(terms), note="bench")
    return replace(
        rules,
        version=f"{rules.version}+bench{len(terms)}",
        lexicons=(*rules.lexicons, lexicon),
        severities={**rules.severities, LEXICON_ID: RiskLevel.MEDIUM},
    )


def make_segments(rules: Any, terms: list[str], count: int, seed: int = _SEED + 1) -> tuple[list[Any], int]:
    """``count`` AssessSegment requests, and how many synthetic terms were planted in them."""
    from livetrust.credit.v1 import risk_pb2 as pb

    rng = random.Random(seed)
    defaults = [t for lex in rules.lexicons if lex.id in _PLANTED_DEFAULTS for t in lex.terms if "{n}" not in t]
    planted = 0
    out = []
    for s in range(count):
        parts: list[str] = []
        length = 0
        while length < 4000:
            roll = rng.random()
            if roll < 0.55:
                piece = rng.choice(_TALK)
            elif roll < 0.80:
                piece = "".join(rng.choice(_POOL) for _ in range(rng.randint(8, 24)))
            elif roll < 0.92:
                term = rng.choice(terms)
                planted += 1
                piece = f"这个{term}真的不错" if not term.isascii() else f"this is {term} for you"
            else:
                piece = f"我们家{rng.choice(defaults)}系列"
            parts.append(piece)
            length += len(piece) + 1
        transcript = "，".join(parts) + "。"
        comments = [rng.choice(_COMMENTS) for _ in range(40)]
        out.append(
            pb.AssessSegmentRequest(
                platform_id="bench",
                account_id=f"acct-{s}",
                room_id="room-1",
                session_id=f"session-{s}",
                segment_id=f"seg-{s}",
                transcript=transcript,
                comments=comments,
                product=pb.Product(title="新款纯棉连衣裙 夏季显瘦 s-xl"),
            )
        )
    return out, planted


def _texts(request: Any) -> list[str]:
    return [request.transcript, *request.comments, request.product.title]


def _size(request: Any) -> int:
    return sum(len(t.encode()) for t in _texts(request))


def regex_baseline(rules: Any) -> re.Pattern[str]:
    """One alternation of every term of ``rules``, longest first; ``{n}`` stands for digits."""
    from livetrust.credit._risk import NUMBER_PLACEHOLDER

    terms = {t for lex in rules.lexicons for t in lex.terms}
    alternatives = [re.escape(t).replace(re.escape(NUMBER_PLACEHOLDER), "[0-9]+") for t in terms]
    return re.compile("|".join(sorted(alternatives, key=len, reverse=True)))


def _servicer(ctx: Context, rules: Any) -> Any:
    """The risk servicer as the credit server builds it, on a scratch credit database of its own."""
    from livetrust._parts import load_part
    from livetrust.clock import SystemClock
    from livetrust.credit._risk import RiskEngine
    from livetrust.credit._risk_service import RiskService
    from livetrust.credit._risk_servicer import RiskServicer
    from livetrust.credit._service import CreditService
    from livetrust.credit._tiering import TierPolicy
    from livetrust.runtime import Database, migrate

    url = f"sqlite:///{ctx.scratch / 'risk-credit.db'}"
    migrations = load_part("credit").migrations_dir
    migrate(migrations, url)
    db = Database(url, migrations_dir=migrations, pool_size=1)
    ctx.stack.callback(db.close)
    credit = CreditService(db=db, clock=SystemClock(), tier_policy=TierPolicy.default())
    return RiskServicer(RiskService(engine=RiskEngine(rules), credit=credit, clock=SystemClock()))


def run(ctx: Context) -> list[Result]:
    from livetrust.credit._risk import RiskRules
    from livetrust.credit.v1 import risk_pb2 as pb
    from livetrust.runtime import Caller, Role, current_caller

    settings = ctx.settings
    defaults = RiskRules.default()
    terms = synthesize_terms(settings.lexicon_terms)
    rules = with_lexicon(defaults, terms)
    size = settings.size(f"{count_label(len(terms))} terms + defaults")
    ctx.log(f"risk: building the engine with {len(terms):,} synthesized terms, and the regex baseline")
    started = time.perf_counter()
    servicer = _servicer(ctx, rules)
    build_seconds = time.perf_counter() - started
    plain = _servicer(ctx, defaults)
    started = time.perf_counter()
    pattern = regex_baseline(rules)
    compile_seconds = time.perf_counter() - started
    requests, planted = make_segments(rules, terms, SEGMENTS)
    sizes = [_size(r) for r in requests]
    loop = asyncio.new_event_loop()
    ctx.stack.callback(loop.close)
    current_caller.set(Caller("bench", Role.PLATFORM, "bench"))

    # A quick pass first: what was found (and that nothing HIGH sent the scan to the database).
    found = high = synthetic = 0
    for request in requests:
        reply = loop.run_until_complete(servicer.AssessSegment(request, None))
        found += len(reply.signals)
        synthetic += sum(1 for s in reply.signals if s.rule_id == LEXICON_ID)
        high += reply.risk_level == pb.RISK_LEVEL_HIGH

    def stepper(step: Any) -> Any:
        position = 0

        def one() -> int:
            nonlocal position
            i = position % len(requests)
            position += 1
            step(requests[i])
            return sizes[i]

        return one

    def assess_with(target: Any) -> Any:
        return lambda request: loop.run_until_complete(target.AssessSegment(request, None))

    def scan(request: Any) -> None:
        for text in _texts(request):
            for _ in pattern.finditer(text):
                pass

    seconds = settings.inproc_seconds
    ctx.log("risk: AssessSegment in-process (with and without the lexicon), and the regex alternation")
    rates = best_rates(
        [
            ("plain", lambda: rate_of(stepper(assess_with(plain)), seconds)),
            ("assess", lambda: rate_of(stepper(assess_with(servicer)), seconds)),
            ("regex", lambda: rate_of(stepper(scan), seconds)),
        ],
        settings.rounds,
    )
    mb = {name: rate / 1e6 for name, rate in rates.items()}
    alternatives = len({t for lex in rules.lexicons for t in lex.terms})
    error = ""
    if high:
        error = f"{high} segments assessed HIGH: the figure includes credit writes"
    elif synthetic < 0.9 * planted:
        error = f"found {synthetic} synthetic-term signals for {planted} planted"
    chars = sum(len(t) for r in requests for t in _texts(r))
    text_note = (
        f"MB of UTF-8 ({mb['assess'] * chars / sum(sizes):.2f}M characters/s); "
        f"{SEGMENTS} segments of {sum(sizes) / SEGMENTS / 1e3:.1f} kB (transcript + 40 comments + title), "
        f"one thread; {found:,} signals, {synthetic:,} of them synthetic terms ({planted:,} planted)"
    )
    return [
        Result(
            BENCH,
            "AssessSegment in-process, text throughput",
            mb["assess"],
            "MB/s",
            size,
            target=Target(">=", 2.0),
            baseline="the same, default rules only",
            baseline_value=mb["plain"],
            detail=f"{text_note}; engine built in {build_seconds:.2f}s",
            error=error,
        ),
        Result(
            BENCH,
            "AssessSegment vs one re alternation of the same terms",
            mb["assess"],
            "MB/s",
            size,
            target=Target(">=", 10.0, on="ratio"),
            baseline="re alternation, finditer",
            baseline_value=mb["regex"],
            detail=f"{alternatives:,} alternatives, longest first, compiled in {compile_seconds:.2f}s; "
            "no normalisation, raw texts",
            error=error,
        ),
    ]
