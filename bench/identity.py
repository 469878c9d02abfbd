"""Identity: ValidateIdNumber and VerifyIdentity, in-process and over gRPC.

A registry of known persons (10,000 by default) is imported first. A verification of the same person for
the same account is idempotent (the second call only reads), so every VerifyIdentity call here is for a
new account: each one does the full work (registry check, encryption, insert, eligibility view).

Baselines, measured in the same run:
- in-process ValidateIdNumber: the plain ``validate_id_number`` function it wraps;
- in-process VerifyIdentity: a trivial unit of work on the same database, ``await db.run(lambda s: 1)``;
- over gRPC: the bare health check on the same server, same load generator and concurrency.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import date, timedelta
from typing import Any

from ._harness import (
    HEALTH_CHECK,
    Context,
    LoadResult,
    LoadSpec,
    Result,
    async_rate_of,
    best_loads,
    best_rates,
    caller_metadata,
    count_label,
    grpc_rows,
    health_request,
    rate_of,
)

BENCH = "identity"
VALIDATE = "/livetrust.identity.v1.IdentityService/ValidateIdNumber"
VERIFY = "/livetrust.identity.v1.IdentityService/VerifyIdentity"

_AREAS = ("110105", "310104", "440305", "330106", "510107", "420106", "320102", "610113", "210102", "370102")
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国志文斌宇浩凯晨欣怡嘉琪"


def make_persons(count: int, seed: int = 7) -> list[tuple[str, str]]:
    """``count`` distinct adults as (name, resident ID number), all numbers valid."""
    from livetrust.identity._idnumbers import resident_id_check_character

    rng = random.Random(seed)
    seen: set[str] = set()
    people: list[tuple[str, str]] = []
    while len(people) < count:
        birth = date(1960, 1, 1) + timedelta(days=rng.randrange(16_000))  # born 1960-2003: adults
        first17 = f"{rng.choice(_AREAS)}{birth:%Y%m%d}{rng.randrange(1000):03d}"
        if first17 in seen:
            continue
        seen.add(first17)
        name = rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.randint(1, 2)))
        people.append((name, first17 + resident_id_check_character(first17)))
    return people


def import_persons(db: Any, digester: Any, people: list[tuple[str, str]]) -> None:
    """Load the registry of known persons directly (one bulk insert; what import-registry stores)."""
    from sqlalchemy import insert

    from livetrust.clock import SystemClock
    from livetrust.identity._storage import RegistryPersonRow

    now = SystemClock().now()
    rows = [
        {
            "subject_digest": digester.subject_digest(number),
            "name_digest": digester.name_digest(name),
            "imported_at": now,
        }
        for name, number in people
    ]
    with db.session() as session:
        session.execute(insert(RegistryPersonRow), rows)


def run(ctx: Context) -> list[Result]:
    settings = ctx.settings
    url = ctx.database("identity")
    env = ctx.env(LIVETRUST_IDENTITY_DATABASE_URL=url)
    people = make_persons(settings.persons)
    size = settings.size(f"{count_label(len(people))} persons, {ctx.dialect}")
    ctx.log(f"identity: {len(people):,} persons in the registry ({ctx.dialect})")
    results = asyncio.run(_in_process(ctx, env, people, size))
    results += _over_grpc(ctx, env, people, size)
    return results


# --- in-process -----------------------------------------------------------------------------------------


async def _in_process(ctx: Context, env: dict[str, str], people: list[tuple[str, str]], size: str) -> list[Result]:
    from livetrust.clock import SystemClock
    from livetrust.identity import MIGRATIONS_DIR
    from livetrust.identity._app import build_identity_service
    from livetrust.identity._crypto import Digester
    from livetrust.identity._idnumbers import IdType, validate_id_number
    from livetrust.identity._service import Role
    from livetrust.runtime import Caller, Database, ServiceConfig, current_caller
    from livetrust.runtime import Role as CallerRole

    settings = ctx.settings
    config = ServiceConfig.from_env("identity", env)
    assert config.database_url is not None
    # Calls made in-process act as the gateway-authenticated platform the gRPC runs sign as.
    current_caller.set(Caller("bench", CallerRole.PLATFORM, "bench-bench"))
    db = Database(config.database_url, migrations_dir=MIGRATIONS_DIR, pool_size=config.db_pool_size)
    try:
        import_persons(db, Digester.from_env(env), people)
        service = build_identity_service(config, db, clock=SystemClock())
        numbers = [number for _, number in people[:2000]]
        today = date.today()

        def plain() -> int:
            for number in numbers:
                validate_id_number(IdType.RESIDENT_ID, number, today=today)
            return len(numbers)

        def through_service() -> int:
            for number in numbers:
                service.validate_id_number(id_type=IdType.RESIDENT_ID, id_number=number, platform_id="bench")
            return len(numbers)

        seconds = settings.inproc_seconds
        ctx.log("identity: in-process ValidateIdNumber")
        validate = best_rates(
            [("plain", lambda: rate_of(plain, seconds)), ("service", lambda: rate_of(through_service, seconds))],
            settings.rounds,
        )

        statuses: Counter[str] = Counter()
        counter = iter(range(10**9))

        async def verify_one() -> None:
            i = next(counter)
            name, number = people[i % len(people)]
            view = await service.verify_identity(
                platform_id="bench",
                account_id=f"inproc-{i}",
                role=Role.LIVE_MARKETER,
                name=name,
                id_type=IdType.RESIDENT_ID,
                id_number=number,
            )
            statuses[view.status.value] += 1

        async def trivial() -> None:
            await db.run(_one)

        ctx.log("identity: in-process VerifyIdentity")
        best: dict[str, float] = {}
        for _ in range(max(1, settings.rounds)):
            for name, step in (("db.run", trivial), ("verify", verify_one)):
                best[name] = max(best.get(name, 0.0), await async_rate_of(step, seconds))
    finally:
        db.close()
    verified = statuses.get("VERIFIED", 0)
    return [
        Result(
            BENCH,
            "ValidateIdNumber in-process",
            validate["service"],
            "calls/s",
            size,
            baseline="validate_id_number()",
            baseline_value=validate["plain"],
            detail="IdentityService.validate_id_number, valid resident IDs",
        ),
        Result(
            BENCH,
            "VerifyIdentity in-process, sequential",
            best["verify"],
            "calls/s",
            size,
            baseline="await db.run(lambda s: 1)",
            baseline_value=best["db.run"],
            detail=f"new account each call; {verified}/{sum(statuses.values())} VERIFIED",
            error="" if verified == sum(statuses.values()) else f"statuses {dict(statuses)}",
        ),
    ]


def _one(_session: Any) -> int:
    return 1


# --- over gRPC ------------------------------------------------------------------------------------------


def _validate_requests(people: list[tuple[str, str]]) -> list[bytes]:
    from livetrust.common.v1 import common_pb2
    from livetrust.identity.v1 import identity_pb2 as pb

    return [
        pb.ValidateIdNumberRequest(id_type=common_pb2.ID_TYPE_RESIDENT_ID, id_number=number).SerializeToString()
        for _, number in people[:2000]
    ]


def _verify_requests(people: list[tuple[str, str]], tag: str, count: int) -> list[bytes]:
    from livetrust.common.v1 import common_pb2
    from livetrust.identity.v1 import identity_pb2 as pb

    out = []
    for i in range(count):
        name, number = people[i % len(people)]
        out.append(
            pb.VerifyIdentityRequest(
                platform_id="bench",
                account_id=f"{tag}-{i}",
                role=common_pb2.SUBJECT_ROLE_LIVE_MARKETER,
                person=common_pb2.Person(name=name, id_type=common_pb2.ID_TYPE_RESIDENT_ID, id_number=number),
            ).SerializeToString()
        )
    return out


def _check_one_verification(address: str, metadata: tuple[tuple[str, str], ...], request: bytes) -> str:
    """One VerifyIdentity through a real stub: the status it answers (the load generator reads no replies)."""
    import grpc

    from livetrust.identity.v1 import identity_pb2 as pb
    from livetrust.identity.v1 import identity_pb2_grpc

    with grpc.insecure_channel(address) as channel:
        stub = identity_pb2_grpc.IdentityServiceStub(channel)
        reply = stub.VerifyIdentity(pb.VerifyIdentityRequest.FromString(request), metadata=metadata, timeout=10)
    return pb.VerificationStatus.Name(reply.verification.status)


def _over_grpc(ctx: Context, env: dict[str, str], people: list[tuple[str, str]], size: str) -> list[Result]:
    settings = ctx.settings
    metadata = caller_metadata(env)
    health = [health_request()]
    validate = _validate_requests(people)
    # Enough distinct accounts for the longest run at a generous rate (the server will not reach it).
    per_run = max(2000, int(3000 * (settings.duration + settings.warmup)))
    results: list[Result] = []
    generator = ctx.load_generator()
    with ctx.server("identity", env) as server:
        ctx.log(f"identity: server SERVING at {server.address} after {server.ready_seconds:.1f}s")
        status = _check_one_verification(server.address, metadata, _verify_requests(people, "probe", 1)[0])
        runs = 0
        # Quick runs measure only the loaded case (the highest concurrency).
        for concurrency in settings.concurrency[-1:] if settings.quick else settings.concurrency:

            def spec(method: str, requests: list[bytes], distinct: bool = False, c: int = concurrency) -> LoadSpec:
                return LoadSpec(
                    server.address,
                    method,
                    requests,
                    concurrency=c,
                    duration=settings.duration,
                    warmup=settings.warmup,
                    metadata=metadata if method != HEALTH_CHECK else (),
                    distinct=distinct,
                )

            def verify_spec(round_no: int, c: int = concurrency) -> LoadSpec:
                nonlocal runs
                runs += 1
                return spec(VERIFY, _verify_requests(people, f"grpc-c{c}-r{round_no}-{runs}", per_run), True)

            ctx.log(f"identity: gRPC loads at concurrency {concurrency}")
            best = best_loads(
                generator,
                {
                    "health": lambda _r, s=spec: s(HEALTH_CHECK, health),
                    "validate": lambda _r, s=spec: s(VALIDATE, validate),
                    "verify": verify_spec,
                },
                settings.rounds,
                server=server,
            )
            results += _rows(best, concurrency, size, status)
    return results


def _rows(best: dict[str, LoadResult], concurrency: int, size: str, status: str) -> list[Result]:
    rows = grpc_rows(BENCH, f"ValidateIdNumber gRPC c={concurrency}", best["validate"], best["health"], size)
    rows += grpc_rows(BENCH, f"VerifyIdentity gRPC c={concurrency}", best["verify"], best["health"], size)
    if status != "VERIFICATION_STATUS_VERIFIED":
        rows[-1].error = f"a probe verification answered {status}"
    return rows
