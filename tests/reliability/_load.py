"""A load generator that is not the bottleneck: several spawned processes, each one asyncio loop with its
share of the concurrent callers on one channel to the gateway. Callers make CheckRegistration (a new
account each time) or RecordEvents (batches of new events, now and then one event resent on purpose);
every call is recorded (start, end, status) and every event's outcome, so a test can prove afterwards
that each accepted event is counted exactly once.

Worker processes import this module by name (``spawn``, never ``fork``: gRPC objects exist in the parent).
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import random
import time
import traceback
from array import array
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

SPAWN = multiprocessing.get_context("spawn")
REGISTER = "/livetrust.gateway.v1.ComplianceGateway/CheckRegistration"
RECORD = "/livetrust.credit.v1.CreditService/RecordEvents"
#: RecordEvents made with the throttled key, counted apart: the only calls that may be refused.
RECORD_THROTTLED = RECORD + " (throttled key)"
METHODS: tuple[str, ...] = (REGISTER, RECORD, RECORD_THROTTLED)
#: Status codes by their numeric value (the arrays store numbers).
CODE_NAMES: dict[int, str] = {}


def _code_names() -> dict[int, str]:
    import grpc

    if not CODE_NAMES:
        CODE_NAMES.update({code.value[0]: code.name for code in grpc.StatusCode})
    return CODE_NAMES


@dataclass(frozen=True, slots=True)
class LoadPlan:
    target: str
    platform: str
    token: str
    persons: Sequence[tuple[str, str]]
    registration_callers: int = 100
    event_callers: int = 100
    duration: float = 30.0
    workers: int = 3
    timeout: float = 30.0
    """Client deadline of each call: generous, so that only a real hang would reach it."""
    batch: int = 5
    accounts: int = 200
    throttled_token: str = ""
    """A key with a small rate limit: ``throttled_callers`` of the event callers use it, so that
    RESOURCE_EXHAUSTED is deliberate (and none of their refused events may be counted)."""
    throttled_callers: int = 0
    pause_after_unavailable: float = 0.2
    """What a well-behaved client does on UNAVAILABLE (the gateway's RetryInfo says 1 s)."""
    tag: str = "run"


@dataclass(frozen=True, slots=True)
class _Share:
    plan: LoadPlan
    worker: int
    registration_callers: int
    event_callers: int
    throttled_callers: int


@dataclass(slots=True)
class LoadReport:
    """Everything every worker saw, merged."""

    method: array = field(default_factory=lambda: array("b"))
    started: array = field(default_factory=lambda: array("d"))
    ended: array = field(default_factory=lambda: array("d"))
    code: array = field(default_factory=lambda: array("b"))
    errors: list[tuple[str, str, str, float, float]] = field(default_factory=list)
    """(method, code name, details, started, ended) of failed calls (capped per worker)."""
    new_events: dict[str, str] = field(default_factory=dict)
    """event id -> account id of every event a response called NEW."""
    new_twice: list[str] = field(default_factory=list)
    duplicates_expected: int = 0
    duplicates_seen: int = 0
    rejected: int = 0
    failed_batches: list[tuple[str, bytes]] = field(default_factory=list)
    """(code name, serialized RecordEventsRequest) of RecordEvents calls that failed: to resend."""
    verdicts: Counter[str] = field(default_factory=Counter)
    client_cpu_seconds: float = 0.0
    window: tuple[float, float] = (0.0, 0.0)

    def statuses(self, method: str | None = None) -> Counter[str]:
        names = _code_names()
        wanted = None if method is None else METHODS.index(method)
        return Counter(names[c] for m, c in zip(self.method, self.code, strict=True) if wanted is None or m == wanted)

    @property
    def calls(self) -> int:
        return len(self.code)

    def latencies(self, method: str | None = None, code: str | None = None) -> list[float]:
        names = _code_names()
        wanted = None if method is None else METHODS.index(method)
        return [
            e - s
            for m, s, e, c in zip(self.method, self.started, self.ended, self.code, strict=True)
            if (wanted is None or m == wanted) and (code is None or names[c] == code)
        ]

    def calls_between(self, start: float, end: float, code: str = "OK") -> int:
        names = _code_names()
        return sum(1 for e, c in zip(self.ended, self.code, strict=True) if start <= e < end and names[c] == code)

    def merge(self, other: dict[str, Any]) -> None:
        self.method.frombytes(other["method"])
        self.started.frombytes(other["started"])
        self.ended.frombytes(other["ended"])
        self.code.frombytes(other["code"])
        self.errors.extend(other["errors"])
        for event_id, account in other["new_events"]:
            if event_id in self.new_events:
                self.new_twice.append(event_id)
            self.new_events[event_id] = account
        self.duplicates_expected += other["duplicates_expected"]
        self.duplicates_seen += other["duplicates_seen"]
        self.rejected += other["rejected"]
        self.failed_batches.extend(other["failed_batches"])
        self.verdicts.update(other["verdicts"])
        self.client_cpu_seconds += other["cpu"]


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


class LoadRun:
    """``start()`` spawns the workers and returns once all are connected and calling; ``join()`` waits
    for the end of the run and merges what they saw."""

    def __init__(self, plan: LoadPlan) -> None:
        self.plan = plan
        self._conns: list[Connection] = []
        self._processes: list[Any] = []
        self.started_at = 0.0

    def start(self, connect_within: float = 60.0) -> None:
        plan = self.plan
        n = plan.workers

        def spread(total: int, i: int) -> int:
            return total // n + (1 if i < total % n else 0)

        for i in range(n):
            share = _Share(
                plan,
                i,
                spread(plan.registration_callers, i),
                spread(plan.event_callers, i),
                spread(plan.throttled_callers, i),
            )
            parent, child = SPAWN.Pipe()
            process = SPAWN.Process(target=_worker_main, args=(share, child), name=f"reliability-load-{i}", daemon=True)
            process.start()
            child.close()
            self._conns.append(parent)
            self._processes.append(process)
        for conn in self._conns:
            reply = _receive(conn, connect_within)
            if reply[0] != "ready":
                self.stop()
                raise RuntimeError(f"load worker failed: {reply[1]}")
        self.started_at = time.time() + 0.05
        for conn in self._conns:
            conn.send(self.started_at)

    def finish(self) -> LoadReport:
        """Tell the callers to stop now (in-flight calls still complete), then :meth:`join`."""
        for conn in self._conns:
            with contextlib.suppress(OSError):
                conn.send("stop")
        return self.join()

    def join(self) -> LoadReport:
        report = LoadReport()
        try:
            for conn in self._conns:
                reply = _receive(conn, self.plan.duration + self.plan.timeout + 60)
                if reply[0] != "done":
                    raise RuntimeError(f"load worker failed: {reply[1]}")
                report.merge(reply[1])
        finally:
            self.stop()
        report.window = (self.started_at, min(time.time(), self.started_at + self.plan.duration))
        return report

    def stop(self) -> None:
        for conn in self._conns:
            conn.close()
        for process in self._processes:
            process.join(10)
            if process.is_alive():
                process.kill()
                process.join(5)
        self._conns.clear()
        self._processes.clear()


def _receive(conn: Connection, timeout: float) -> Any:
    if not conn.poll(timeout):
        raise TimeoutError(f"no word from a load worker within {timeout:.0f}s")
    return conn.recv()


def _worker_main(share: _Share, conn: Connection) -> None:
    try:
        asyncio.run(_worker(share, conn))  # sends its report itself, then waits for the parent to hang up
    except Exception:
        with contextlib.suppress(OSError):
            conn.send(("failed", traceback.format_exc()))


async def _worker(share: _Share, conn: Connection) -> None:
    import grpc
    from google.protobuf import timestamp_pb2

    from livetrust.common.v1 import common_pb2
    from livetrust.credit.v1 import credit_pb2
    from livetrust.gateway.v1 import gateway_pb2

    plan = share.plan
    rng = random.Random(f"{plan.tag}-{share.worker}")
    loop = asyncio.get_running_loop()
    methods, started_at, ended_at, codes = array("b"), array("d"), array("d"), array("b")
    errors: list[tuple[str, str, str, float, float]] = []
    new_events: list[tuple[str, str]] = []
    failed_batches: list[tuple[str, bytes]] = []
    verdicts: Counter[str] = Counter()
    counters = Counter[str]()
    options = [("grpc.max_receive_message_length", 16 * 1024 * 1024)]

    def record(method: int, start: float, code: grpc.StatusCode, details: str = "") -> None:
        end = time.time()
        methods.append(method)
        started_at.append(start)
        ended_at.append(end)
        codes.append(code.value[0])
        if code is not grpc.StatusCode.OK and len(errors) < 5000:
            errors.append((METHODS[method], code.name, details, start, end))

    async with grpc.aio.insecure_channel(plan.target, options=options) as channel:
        await asyncio.wait_for(channel.channel_ready(), 30)
        register = channel.unary_unary(
            REGISTER,
            request_serializer=gateway_pb2.CheckRegistrationRequest.SerializeToString,
            response_deserializer=gateway_pb2.CheckRegistrationResponse.FromString,
        )
        events_call = channel.unary_unary(
            RECORD,
            request_serializer=credit_pb2.RecordEventsRequest.SerializeToString,
            response_deserializer=credit_pb2.RecordEventsResponse.FromString,
        )
        conn.send(("ready",))
        start_at: float = await loop.run_in_executor(None, conn.recv)
        await asyncio.sleep(max(0.0, start_at - time.time()))
        end_at = start_at + plan.duration

        def wait_for_stop() -> None:
            nonlocal end_at
            with contextlib.suppress(EOFError, OSError):
                if conn.recv() == "stop":
                    end_at = min(end_at, time.time())

        stopper = loop.run_in_executor(None, wait_for_stop)
        cpu_start = time.process_time()
        good = (("authorization", f"Bearer {plan.token}"),)
        throttled = (("authorization", f"Bearer {plan.throttled_token}"),)

        async def pause_if_unavailable(code: grpc.StatusCode) -> None:
            if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED):
                await asyncio.sleep(plan.pause_after_unavailable)

        async def registration_caller(k: int) -> None:
            n = 0
            while time.time() < end_at:
                n += 1
                name, number = plan.persons[rng.randrange(len(plan.persons))]
                request = gateway_pb2.CheckRegistrationRequest(
                    platform_id=plan.platform,
                    account_id=f"reg-{plan.tag}-{share.worker}-{k}-{n}",
                    role=common_pb2.SUBJECT_ROLE_LIVE_MARKETER,
                    person=common_pb2.Person(name=name, id_type=common_pb2.ID_TYPE_RESIDENT_ID, id_number=number),
                )
                start = time.time()
                try:
                    reply = await register(request, metadata=good, timeout=plan.timeout)
                except grpc.aio.AioRpcError as exc:
                    record(0, start, exc.code(), exc.details() or "")
                    await pause_if_unavailable(exc.code())
                    continue
                record(0, start, grpc.StatusCode.OK)
                verdicts[gateway_pb2.RegistrationVerdict.Name(reply.verdict)] += 1

        async def event_caller(k: int, metadata: tuple[tuple[str, str], ...]) -> None:
            method = 2 if metadata is throttled else 1
            n = 0
            last_ok: credit_pb2.CreditEvent | None = None
            while time.time() < end_at:
                n += 1
                request = credit_pb2.RecordEventsRequest()
                now = timestamp_pb2.Timestamp()
                now.GetCurrentTime()
                for j in range(plan.batch):
                    event = request.events.add(
                        event_id=f"ev-{plan.tag}-{share.worker}-{k}-{n}-{j}",
                        platform_id=plan.platform,
                        account_id=f"acct-{rng.randrange(plan.accounts)}",
                    )
                    event.occurred_at.CopyFrom(now)
                    event.review.stars = rng.randint(1, 5)
                    event.review.verified_buyer = rng.random() < 0.5
                resent = n % 5 == 0 and last_ok is not None
                if resent:
                    assert last_ok is not None
                    request.events.append(last_ok)  # a resend on purpose: must come back DUPLICATE
                start = time.time()
                try:
                    reply = await events_call(request, metadata=metadata, timeout=plan.timeout)
                except grpc.aio.AioRpcError as exc:
                    record(method, start, exc.code(), exc.details() or "")
                    failed_batches.append((exc.code().name, request.SerializeToString()))
                    await pause_if_unavailable(exc.code())
                    continue
                record(method, start, grpc.StatusCode.OK)
                accounts = {e.event_id: e.account_id for e in request.events}
                for result in reply.results:
                    outcome = credit_pb2.EventOutcome.Name(result.outcome)
                    if outcome == "EVENT_OUTCOME_NEW":
                        new_events.append((result.event_id, accounts[result.event_id]))
                    elif outcome == "EVENT_OUTCOME_DUPLICATE":
                        counters["duplicates_seen"] += 1
                    else:
                        counters["rejected"] += 1
                if resent:
                    counters["duplicates_expected"] += 1
                last_ok = request.events[0]

        callers = [registration_caller(k) for k in range(share.registration_callers)]
        callers += [
            event_caller(k, throttled if k < share.throttled_callers else good) for k in range(share.event_callers)
        ]
        await asyncio.gather(*callers)
        cpu = time.process_time() - cpu_start
    conn.send(
        (
            "done",
            {
                "method": methods.tobytes(),
                "started": started_at.tobytes(),
                "ended": ended_at.tobytes(),
                "code": codes.tobytes(),
                "errors": errors,
                "new_events": new_events,
                "duplicates_expected": counters["duplicates_expected"],
                "duplicates_seen": counters["duplicates_seen"],
                "rejected": counters["rejected"],
                "failed_batches": failed_batches,
                "verdicts": dict(verdicts),
                "cpu": cpu,
            },
        )
    )
    await stopper  # returns when the parent says stop or hangs up


def resend(
    target: str, token: str, batches: Sequence[bytes], report: LoadReport, timeout: float = 30.0
) -> Counter[str]:
    """Send failed RecordEvents batches again (a client's retry after an outage) and fold the outcomes
    into ``report``; returns the statuses of the resends. Every resend must be answered."""
    import grpc

    from livetrust.credit.v1 import credit_pb2, credit_pb2_grpc

    statuses: Counter[str] = Counter()
    metadata = (("authorization", f"Bearer {token}"),)
    with grpc.insecure_channel(target) as channel:
        stub = credit_pb2_grpc.CreditServiceStub(channel)
        for payload in batches:
            request = credit_pb2.RecordEventsRequest.FromString(payload)
            reply = stub.RecordEvents(request, metadata=metadata, timeout=timeout)
            statuses["OK"] += 1
            accounts = {e.event_id: e.account_id for e in request.events}
            for result in reply.results:
                if result.outcome == credit_pb2.EVENT_OUTCOME_NEW:
                    if result.event_id in report.new_events:
                        report.new_twice.append(result.event_id)
                    report.new_events[result.event_id] = accounts[result.event_id]
                elif result.outcome == credit_pb2.EVENT_OUTCOME_DUPLICATE and result.event_id not in report.new_events:
                    # The failed call was committed before its answer was lost (a kill -9 between commit
                    # and reply): the resend finds it recorded, once. It counts as accepted by that call.
                    report.new_events[result.event_id] = accounts[result.event_id]
    return statuses
