"""Faults under load, real processes and sockets:

- kill -9 of retention, then of the blacklist, then of credit (holding undelivered outbox rows): the
  gateway answers UNAVAILABLE naming the dependency, quickly; nothing hangs; after the restarts every
  outbox delivery (room tier -> retention SetRoomTier, enforcement -> blacklist SubmitEntry and retention
  PlaceLegalHold) arrives once, and every event is counted once;
- PostgreSQL stopped and started under load: every part goes NOT_SERVING on its readiness name, then
  SERVING again by itself (same processes), and nothing is lost;
- SIGTERM under load (credit, then the gateway): in-flight calls complete, new ones are refused with
  UNAVAILABLE, the process exits 0, and no call that was refused did anything.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Callable

import grpc
import pytest

from livetrust.credit.v1 import credit_pb2, credit_pb2_grpc, enforcement_pb2, enforcement_pb2_grpc
from livetrust.gateway.v1 import gateway_pb2, gateway_pb2_grpc
from livetrust.retention.v1 import retention_pb2, retention_pb2_grpc

from ._cluster import BACKENDS, NOT_SERVING, PARTS, READINESS, SERVING, Cluster, PrivatePostgres, health, scalar
from ._load import RECORD, REGISTER, LoadPlan, LoadReport, LoadRun, resend
from .test_load import assert_exactly_once, describe

PLATFORM = "plat-faults"
ACCOUNTS = 50
#: A call the gateway fails because a dependency is down must fail this fast (its own cap is 10 s).
FAST_FAILURE_SECONDS = 5.0


def load(cluster: Cluster, token: str, persons: list[tuple[str, str]], tag: str, callers: int = 40) -> LoadRun:
    """Background load of ``callers`` (half registrations, half events) until ``finish()``."""
    run = LoadRun(
        LoadPlan(
            target=cluster.addresses["gateway"],
            platform=PLATFORM,
            token=token,
            persons=persons,
            registration_callers=callers // 2,
            event_callers=callers // 2,
            duration=300.0,
            timeout=30.0,
            accounts=ACCOUNTS,
            tag=tag,
            workers=2,
        )
    )
    run.start()
    return run


def timed_failure(call: Callable[[], object]) -> tuple[grpc.StatusCode, str, float]:
    started = time.monotonic()
    try:
        call()
    except grpc.RpcError as exc:
        return exc.code(), exc.details() or "", time.monotonic() - started
    raise AssertionError("the call succeeded while its dependency was down")


def digest(n: int) -> str:
    return hashlib.sha256(f"banned-person-{n}".encode()).hexdigest()


class Calls:
    """The unary calls the fault tests make through the gateway, with a platform key."""

    def __init__(self, cluster: Cluster, token: str) -> None:
        self.channel = grpc.insecure_channel(cluster.addresses["gateway"])
        self.metadata = (("authorization", f"Bearer {token}"),)
        self.credit = credit_pb2_grpc.CreditServiceStub(self.channel)
        self.enforcement = enforcement_pb2_grpc.EnforcementServiceStub(self.channel)
        self.retention = retention_pb2_grpc.RetentionServiceStub(self.channel)
        self.flows = gateway_pb2_grpc.ComplianceGatewayStub(self.channel)
        self.measures: list[str] = []
        self.key_rooms: list[str] = []

    def key_room(self, room: str) -> None:
        reply = self.credit.RecordRoomMetrics(
            credit_pb2.RecordRoomMetricsRequest(
                platform_id=PLATFORM, room_id=room, account_id=f"host-{room}", followers=2_000_000, window_days=30
            ),
            metadata=self.metadata,
            timeout=30,
        )
        assert reply.room.tier == credit_pb2.TIER_KEY
        self.key_rooms.append(room)

    def ban(self, n: int) -> None:
        reply = self.enforcement.ApplyMeasure(
            enforcement_pb2.ApplyMeasureRequest(
                platform_id=PLATFORM,
                account_id=f"banned-{n}",
                measure=enforcement_pb2.MEASURE_TYPE_REREGISTRATION_BAN,
                reason="counterfeit medicine",
                rule_id="rule-7.2",
                evidence_refs=[f"case://{n}"],
                subject_digest=digest(n),
                request_id=f"ban-{n}",
            ),
            metadata=self.metadata,
            timeout=30,
        )
        self.measures.append(reply.measure.measure_id)

    def retention_probe(self) -> None:
        self.retention.GetRetention(
            retention_pb2.GetRetentionRequest(platform_id=PLATFORM, artifact_id="none"),
            metadata=self.metadata,
            timeout=30,
        )

    def registration_probe(self, persons: list[tuple[str, str]]) -> None:
        from livetrust.common.v1 import common_pb2

        name, number = persons[0]
        self.flows.CheckRegistration(
            gateway_pb2.CheckRegistrationRequest(
                platform_id=PLATFORM,
                account_id="probe",
                role=common_pb2.SUBJECT_ROLE_LIVE_MARKETER,
                person=common_pb2.Person(name=name, id_type=common_pb2.ID_TYPE_RESIDENT_ID, id_number=number),
            ),
            metadata=self.metadata,
            timeout=30,
        )

    def events_probe(self) -> None:
        request = credit_pb2.RecordEventsRequest()
        event = request.events.add(event_id="probe-event", platform_id=PLATFORM, account_id="acct-probe")
        event.occurred_at.GetCurrentTime()
        event.review.stars = 5
        self.credit.RecordEvents(request, metadata=self.metadata, timeout=30)


def wait_until(check: Callable[[], bool], within: float, what: str) -> float:
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > within:
            raise TimeoutError(f"{what}: not within {within}s")
        time.sleep(0.1)
    return time.monotonic() - started


def assert_failures_name_a_down_dependency(report: LoadReport, down: dict[str, list[tuple[float, float]]]) -> None:
    """Every failed call is UNAVAILABLE naming a dependency that was down then (the window widened by
    the time a failure may take), and came back fast: within ``FAST_FAILURE_SECONDS`` of its start or, for
    a call already queued at the part when it died, of the kill."""
    for method, code, details, started, ended in report.errors:
        assert code == "UNAVAILABLE", (method, code, details)
        named = [part for part in down if details.startswith(f"{part} service unavailable")]
        assert named, (method, details)
        windows = [(lo, hi) for lo, hi in down[named[0]] if lo - 1.0 <= ended and started <= hi + FAST_FAILURE_SECONDS]
        assert windows, (method, details, started, down[named[0]])
        assert ended - max(started, windows[0][0]) < FAST_FAILURE_SECONDS, (method, details, started, ended, windows)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_kill_9_under_load_answers_unavailable_and_outbox_delivers_everything_once(make_cluster, persons) -> None:
    cluster = make_cluster("postgresql")
    token = cluster.key(PLATFORM)
    cluster.start_all()
    gateway = cluster.addresses["gateway"]
    calls = Calls(cluster, token)
    down: dict[str, list[tuple[float, float]]] = {}
    failures: dict[str, float] = {}

    def kill(part: str) -> None:
        cluster.kill(part)
        down.setdefault(part, []).append((time.time(), float("inf")))

    def ready(part: str) -> None:
        cluster.wait_ready(part, within=120)
        down[part][-1] = (down[part][-1][0], time.time())

    run = load(cluster, token, persons, "kill9")
    try:
        time.sleep(3)
        # Retention down: rooms turn KEY and bans are applied anyway; their retention deliveries wait.
        kill("retention")
        code, details, failures["retention"] = timed_failure(calls.retention_probe)
        assert code is grpc.StatusCode.UNAVAILABLE and details.startswith("retention service unavailable"), details
        wait_until(lambda: health(gateway, READINESS["retention"]) == NOT_SERVING, 10, "gateway mirrors retention")
        for room in range(10):
            calls.key_room(f"room-{room}")
        for n in range(5):
            calls.ban(n)
        cluster.start("retention")  # ready (and its window closed) below, while the others fail

        # Blacklist down: registrations fail naming it; bans still apply, their entries wait in the
        # outbox, and then credit itself dies holding them.
        kill("blacklist")
        code, details, failures["blacklist"] = timed_failure(lambda: calls.registration_probe(persons))
        assert code is grpc.StatusCode.UNAVAILABLE and details.startswith("blacklist service unavailable"), details
        for n in range(5, 10):
            calls.ban(n)
        waiting = scalar(
            cluster.urls["credit"],
            "SELECT count(*) FROM outbox WHERE delivered_at IS NULL AND destination = 'blacklist.SubmitEntry'",
        )
        assert waiting >= 5
        kill("credit")
        code, details, failures["credit"] = timed_failure(calls.events_probe)
        assert code is grpc.StatusCode.UNAVAILABLE and details.startswith("credit service unavailable"), details
        cluster.start("blacklist")
        cluster.start("credit")
        for part in ("retention", "blacklist", "credit"):
            ready(part)
        time.sleep(2)  # some load on the recovered suite
    finally:
        report = run.finish()
    print("\n[kill -9] " + describe(report, report.window[1] - report.window[0]))
    print(f"[kill -9] probes failed in {', '.join(f'{k} {v * 1000:.0f} ms' for k, v in failures.items())}")

    assert max(failures.values()) < FAST_FAILURE_SECONDS
    assert set(report.statuses()) <= {"OK", "UNAVAILABLE"}, report.statuses()
    assert report.statuses(REGISTER)["UNAVAILABLE"] > 0 and report.statuses(RECORD)["UNAVAILABLE"] > 0
    assert_failures_name_a_down_dependency(report, down)
    assert report.calls_between(down["credit"][0][1] + 0.5, float("inf")) > 0  # serving again afterwards

    # Clients resend what failed; then every event is counted exactly once.
    assert set(resend(gateway, token, [batch for _, batch in report.failed_batches], report)) == {"OK"}
    assert_exactly_once(cluster, report, token, PLATFORM, ACCOUNTS)

    # Every outbox row is delivered, none given up, and each side effect exists exactly once.
    credit_db, retention_db, blacklist_db = (cluster.urls[p] for p in ("credit", "retention", "blacklist"))
    drained = wait_until(
        lambda: scalar(credit_db, "SELECT count(*) FROM outbox WHERE delivered_at IS NULL") == 0, 60, "outbox drained"
    )
    print(f"[kill -9] outbox drained {drained:.1f} s after the last restart")
    assert scalar(credit_db, "SELECT count(*) FROM outbox WHERE dead_at IS NOT NULL") == 0
    assert scalar(credit_db, "SELECT count(*) FROM outbox") == 10 + 10 + 10  # rooms, entries, holds
    assert len(set(calls.measures)) == 10
    p = {"p": PLATFORM}
    assert scalar(retention_db, "SELECT count(*) FROM rooms WHERE platform_id = :p AND key_room", p) == 10
    assert scalar(retention_db, "SELECT count(*) FROM rooms WHERE platform_id = :p", p) == 10
    assert scalar(retention_db, "SELECT count(*) FROM holds WHERE platform_id = :p", p) == 10
    for measure in calls.measures:
        case = {"p": PLATFORM, "c": f"enforcement:{measure}"}
        assert scalar(retention_db, "SELECT count(*) FROM holds WHERE platform_id = :p AND case_ref = :c", case) == 1
        entry = {"p": PLATFORM, "m": f"%({measure})%"}
        assert (
            scalar(blacklist_db, "SELECT count(*) FROM entries WHERE platform_id = :p AND legal_basis LIKE :m", entry)
            == 1
        )
    assert scalar(blacklist_db, "SELECT count(*) FROM entries WHERE platform_id = :p", p) == 10


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_postgresql_restart_under_load_goes_not_serving_then_recovers_by_itself(
    make_cluster, persons, private_postgres: PrivatePostgres
) -> None:
    cluster = make_cluster("postgresql", admin_url=private_postgres.admin_url)
    token = cluster.key(PLATFORM)
    cluster.start_all()
    gateway = cluster.addresses["gateway"]
    pids = {part: cluster.pid(part) for part in PARTS}

    def every(status: int) -> bool:
        return all(health(cluster.addresses[part], READINESS[part]) == status for part in PARTS) and all(
            health(gateway, READINESS[part]) == status for part in BACKENDS
        )

    run = load(cluster, token, persons, "pgrestart")
    try:
        time.sleep(3)
        stopped_at = time.time()
        private_postgres.stop("fast")
        not_serving = wait_until(lambda: every(NOT_SERVING), 20, "every part NOT_SERVING")
        time.sleep(2)
        private_postgres.start()
        recovered = wait_until(lambda: every(SERVING), 60, "every part SERVING again")
        recovered_at = time.time()
        time.sleep(3)
    finally:
        report = run.finish()
    print("\n[postgres restart] " + describe(report, report.window[1] - report.window[0]))
    print(
        f"[postgres restart] NOT_SERVING everywhere {not_serving:.1f} s after the stop; SERVING {recovered:.1f} s after the start"
    )

    assert {part: cluster.pid(part) for part in PARTS} == pids and all(cluster.alive(p) for p in PARTS)  # no restart
    assert set(report.statuses()) <= {"OK", "UNAVAILABLE"}, report.statuses()
    for method, _code, details, started, ended in report.errors:
        assert stopped_at - 1 <= ended and started <= recovered_at + FAST_FAILURE_SECONDS, (method, details)
    assert report.calls_between(0, stopped_at) > 0
    assert report.calls_between(recovered_at, float("inf")) > 0  # load is served again

    assert set(resend(gateway, token, [batch for _, batch in report.failed_batches], report)) == {"OK"}
    assert_exactly_once(cluster, report, token, PLATFORM, ACCOUNTS)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_sigterm_under_load_completes_in_flight_calls_refuses_new_ones_and_exits_0(make_cluster, persons) -> None:
    cluster = make_cluster("sqlite")
    token = cluster.key(PLATFORM)
    cluster.start_all()
    calls = Calls(cluster, token)
    exits: dict[str, tuple[int, float, float]] = {}

    def sigterm(part: str) -> float:
        at = time.time()
        cluster.terminate(part)
        code = cluster.wait_exit(part, timeout=30)
        exits[part] = (code, at, time.time() - at)
        return at

    run = load(cluster, token, persons, "sigterm")
    try:
        time.sleep(3)
        credit_at = sigterm("credit")
        code, details, _ = timed_failure(calls.events_probe)
        assert code is grpc.StatusCode.UNAVAILABLE and details.startswith("credit service unavailable"), details
        cluster.start("credit")
        cluster.wait_ready("credit", within=120)
        credit_back = time.time()
        time.sleep(2)
        gateway_at = sigterm("gateway")
        code, details, _ = timed_failure(calls.events_probe)
        assert code is grpc.StatusCode.UNAVAILABLE, details
        time.sleep(1)
    finally:
        report = run.finish()
    print("\n[sigterm] " + describe(report, report.window[1] - report.window[0]))
    print(f"[sigterm] exits {', '.join(f'{k}: code {c} after {s:.2f} s' for k, (c, _, s) in exits.items())}")
    print(f"[sigterm] refused: {dict(Counter(code for _, code, *_ in report.errors))}")

    for part, (exit_code, _, seconds) in exits.items():
        assert exit_code == 0, cluster.tail(part)
        assert seconds < 10 + 5  # within the grace period (10 s) and a margin for a loaded machine

    # A refused call did nothing and no completed call was lost: without any resend, the database holds
    # exactly the events responses called NEW (so no call that failed had recorded anything).
    cluster.start("gateway")
    cluster.wait_ready("gateway", within=120)
    assert_exactly_once(cluster, report, token, PLATFORM, ACCOUNTS)

    # In flight at each SIGTERM, and completed: calls started before it that ended OK after it.
    def completed_across(at: float) -> int:
        return sum(
            1
            for s, e, c in zip(report.started, report.ended, report.code, strict=True)
            if s < at < e and c == grpc.StatusCode.OK.value[0]
        )

    assert completed_across(credit_at) > 0 and completed_across(gateway_at) > 0
    # Refused (UNAVAILABLE) only while a part was going or gone. CANCELLED is what grpc-core answers for
    # calls a server had received but not yet handed to a handler when it began to stop
    # (grpc/grpc#41785): they are refused too (the count above shows they did nothing), at that moment.
    for method, code, details, started, ended in report.errors:
        in_credit_window = credit_at - 0.5 <= ended and started <= credit_back + FAST_FAILURE_SECONDS
        in_gateway_window = ended >= gateway_at - 0.5
        assert code in ("UNAVAILABLE", "CANCELLED"), (method, code, details)
        assert in_credit_window or in_gateway_window, (method, code, details)
        if code == "CANCELLED":  # right after one of the two SIGTERMs (the windows may overlap)
            assert any(at <= ended <= at + 2.0 for at in (credit_at, gateway_at)), (method, details, started, ended)
