"""Load through the gateway, real processes and sockets: 200 concurrent callers for 30 s on
CheckRegistration and RecordEvents. Only deliberate RESOURCE_EXHAUSTED (a key with a small rate limit)
may fail; afterwards every accepted event is counted exactly once, by the credit database and by
GetCreditScore, and no refused event is counted at all."""

from __future__ import annotations

import statistics
import time

import grpc
import pytest

from livetrust.credit.v1 import credit_pb2, credit_pb2_grpc

from ._cluster import Cluster, scalar
from ._load import RECORD, RECORD_THROTTLED, REGISTER, LoadPlan, LoadReport, LoadRun, percentile

PLATFORM = "plat-load"
CALLERS = 200
DURATION = 30.0
#: The SQLite run is a shorter confirmation (the slow set must stay within a few minutes).
SQLITE_DURATION = 15.0
ACCOUNTS = 200


def assert_exactly_once(cluster: Cluster, report: LoadReport, token: str, platform: str, accounts: int) -> None:
    """Every event a response called NEW is in the credit database once; nothing else is; each account's
    event count (stored, and as GetCreditScore tells it) is the number of its accepted events."""
    assert report.new_twice == [], f"{len(report.new_twice)} events accepted twice"
    stored = scalar(cluster.urls["credit"], "SELECT count(*) FROM events WHERE platform_id = :p", {"p": platform})
    assert stored == len(report.new_events)
    counted = scalar(
        cluster.urls["credit"],
        "SELECT coalesce(sum(event_count), 0) FROM accounts WHERE platform_id = :p",
        {"p": platform},
    )
    assert counted == len(report.new_events)
    expected = {f"acct-{i}": 0 for i in range(accounts)}
    for account in report.new_events.values():
        expected[account] += 1
    with grpc.insecure_channel(cluster.addresses["gateway"]) as channel:
        stub = credit_pb2_grpc.CreditServiceStub(channel)
        metadata = (("authorization", f"Bearer {token}"),)
        for account, count in expected.items():
            reply = stub.GetCreditScore(
                credit_pb2.GetCreditScoreRequest(platform_id=platform, account_id=account),
                metadata=metadata,
                timeout=10,
            )
            assert reply.event_count == count, account


def describe(report: LoadReport, seconds: float) -> str:
    lines = [f"{report.calls:,} calls in {seconds:.0f} s = {report.calls / seconds:,.0f} calls/s"]
    for method in (REGISTER, RECORD, RECORD_THROTTLED):
        latencies = report.latencies(method, "OK")
        statuses = dict(report.statuses(method))
        lines.append(
            f"  {method.rsplit('/', 1)[1]}: {statuses}, OK p50 {statistics.median(latencies) * 1000 if latencies else 0:.0f} ms"
            f" p99 {percentile(latencies, 99) * 1000:.0f} ms max {max(latencies, default=0) * 1000:.0f} ms"
            + "".join(
                f", {code} max {max(report.latencies(method, code)) * 1000:.0f} ms" for code in statuses if code != "OK"
            )
        )
    lines.append(
        f"  events accepted {len(report.new_events):,}, resends answered DUPLICATE {report.duplicates_seen}"
        f"/{report.duplicates_expected}; verdicts {dict(report.verdicts)}; client CPU {report.client_cpu_seconds / seconds:.0%}"
    )
    return "\n".join(lines)


@pytest.mark.slow
@pytest.mark.timeout(240)
@pytest.mark.parametrize(("backend", "duration"), [("postgresql", DURATION), ("sqlite", SQLITE_DURATION)])
def test_200_callers_for_30_seconds_hold_and_count_every_event_once(make_cluster, persons, backend, duration) -> None:
    # A generous cap on the gateway's calls to services: 200 callers queue up on a 2-core machine, and
    # only a hang (not a queue) may fail a call.
    cluster = make_cluster(backend, LIVETRUST_GATEWAY_CALL_TIMEOUT_SECONDS="30")
    token = cluster.key(PLATFORM)
    throttled = cluster.key(PLATFORM, rate=5, burst=5)
    started = time.monotonic()
    cluster.start_all()
    startup = time.monotonic() - started
    run = LoadRun(
        LoadPlan(
            target=cluster.addresses["gateway"],
            platform=PLATFORM,
            token=token,
            persons=persons,
            registration_callers=CALLERS // 2,
            event_callers=CALLERS // 2,
            throttled_token=throttled,
            throttled_callers=10,
            duration=duration,
            accounts=ACCOUNTS,
            tag=backend,
            timeout=60.0,
        )
    )
    run.start()
    report = run.join()
    print(f"\n[load {backend}] start-up {startup:.1f} s; " + describe(report, duration))

    # Only the throttled key is refused, and only with RESOURCE_EXHAUSTED; nothing timed out or failed.
    assert set(report.statuses(REGISTER)) == {"OK"}, report.errors[:5]
    assert set(report.statuses(RECORD)) == {"OK"}, report.errors[:5]
    assert set(report.statuses(RECORD_THROTTLED)) == {"OK", "RESOURCE_EXHAUSTED"}
    assert report.statuses(REGISTER)["OK"] > 100 and report.statuses(RECORD)["OK"] > 100
    assert set(report.verdicts) == {"REGISTRATION_VERDICT_ALLOW"}  # known adults, nobody listed
    assert report.rejected == 0
    assert report.duplicates_seen == report.duplicates_expected > 0
    assert max(report.latencies()) < 60.0
    for part in cluster.processes:
        assert cluster.alive(part), cluster.tail(part)

    # Refused events were never recorded; accepted ones exactly once.
    assert_exactly_once(cluster, report, token, PLATFORM, ACCOUNTS)
