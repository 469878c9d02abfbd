"""The credit service wired into the shared server: servicer, re-scoring jobs, and the outbox relay
that delivers room-tier changes to the retention service."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import grpc

from livetrust.blacklist.v1 import blacklist_pb2, blacklist_pb2_grpc
from livetrust.clock import Clock, SystemClock
from livetrust.retention.v1 import retention_pb2, retention_pb2_grpc
from livetrust.runtime import (
    Database,
    LivetrustServer,
    OutboxRelay,
    ServiceConfig,
    ServiceDefinition,
    open_channel,
    service_address,
    service_caller_metadata,
)

from . import _storage as store
from ._enforcement import PLACE_LEGAL_HOLD, SUBMIT_BLACKLIST_ENTRY, EnforcementService
from ._enforcement_servicer import EnforcementServicer
from ._ladder import Ladder
from ._risk import RiskEngine, RiskRules
from ._risk_service import RiskService
from ._risk_servicer import RiskServicer
from ._service import SET_ROOM_TIER, CreditService
from ._servicer import CreditServicer
from ._tiering import TierPolicy
from .v1 import credit_pb2, credit_pb2_grpc, enforcement_pb2, enforcement_pb2_grpc, risk_pb2, risk_pb2_grpc

__all__ = ["MIGRATIONS_DIR", "SERVICE_NAMES", "build_service"]

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SERVICE_NAMES = tuple(
    s.full_name
    for module in (credit_pb2, enforcement_pb2, risk_pb2)
    for s in module.DESCRIPTOR.services_by_name.values()
)
_log = logging.getLogger("livetrust.credit")


def build_service(config: ServiceConfig, *, clock: Clock | None = None) -> ServiceDefinition:
    assert config.database_url is not None
    clock = clock or SystemClock()
    env = config.env
    db = Database(config.database_url, migrations_dir=MIGRATIONS_DIR, pool_size=config.db_pool_size)
    retention_channel = open_channel(service_address("retention", env), env=env)
    retention = retention_pb2_grpc.RetentionServiceStub(retention_channel)
    blacklist_channel = open_channel(service_address("blacklist", env), env=env)
    blacklist = blacklist_pb2_grpc.BlacklistServiceStub(blacklist_channel)
    timeout = float(env.get("LIVETRUST_CREDIT_CALL_TIMEOUT_SECONDS", 5.0))
    secret = config.caller_secret or b""

    async def set_room_tier(payload: bytes, idempotency_key: str) -> None:
        request = retention_pb2.SetRoomTierRequest.FromString(payload)
        request.request_id = idempotency_key
        # Signed at the real time: tokens expire by the wall clock, whatever clock the domain is given.
        now = SystemClock().now()
        await retention.SetRoomTier(
            request,
            timeout=timeout,
            metadata=service_caller_metadata("credit", secret, platform_id=request.platform_id, now=now),
        )

    async def submit_blacklist_entry(payload: bytes, idempotency_key: str) -> None:
        request = blacklist_pb2.SubmitEntryRequest.FromString(payload)
        request.request_id = idempotency_key  # the blacklist returns the first entry for a resend
        metadata = service_caller_metadata("credit", secret, platform_id=request.platform_id, now=SystemClock().now())
        await blacklist.SubmitEntry(request, timeout=timeout, metadata=metadata)

    async def place_legal_hold(payload: bytes, idempotency_key: str) -> None:
        request = retention_pb2.PlaceLegalHoldRequest.FromString(payload)
        request.request_id = idempotency_key
        metadata = service_caller_metadata("credit", secret, platform_id=request.platform_id, now=SystemClock().now())
        await retention.PlaceLegalHold(request, timeout=timeout, metadata=metadata)

    relay = OutboxRelay(
        db=db,
        table=store.OUTBOX,
        deliverers={
            SET_ROOM_TIER: set_room_tier,
            SUBMIT_BLACKLIST_ENTRY: submit_blacklist_entry,
            PLACE_LEGAL_HOLD: place_legal_hold,
        },
        clock=SystemClock(),  # retry timing is operational: real time, whatever clock the domain is given
        interval_seconds=float(env.get("LIVETRUST_OUTBOX_INTERVAL_SECONDS", 0.5)),
        max_backoff_seconds=float(env.get("LIVETRUST_OUTBOX_MAX_BACKOFF_SECONDS", 30)),
    )
    policy_json = env.get("LIVETRUST_CREDIT_TIER_POLICY")
    tier_policy = TierPolicy.from_dict(json.loads(policy_json)) if policy_json else TierPolicy.default()
    if problems := tier_policy.validate():
        raise ValueError(f"LIVETRUST_CREDIT_TIER_POLICY is invalid: {problems}")
    service = CreditService(db=db, clock=clock, tier_policy=tier_policy, relay=relay)
    ladder_json = env.get("LIVETRUST_CREDIT_LADDER")
    ladder = Ladder.from_dict(json.loads(ladder_json)) if ladder_json else Ladder()
    if problems := ladder.validate():
        raise ValueError(f"LIVETRUST_CREDIT_LADDER is invalid: {problems}")
    enforcement = EnforcementService(db=db, clock=clock, ladder=ladder, credit=service, relay=relay)
    rules_file = env.get("LIVETRUST_CREDIT_RISK_RULES_FILE")
    rules = RiskRules.from_dict(json.loads(Path(rules_file).read_text())) if rules_file else RiskRules.default()
    if problems := rules.validate():
        raise ValueError(f"risk rules are invalid: {problems}")
    risk = RiskService(engine=RiskEngine(rules), credit=service, clock=clock)

    def register(server: grpc.aio.Server) -> None:
        credit_pb2_grpc.add_CreditServiceServicer_to_server(CreditServicer(service), server)
        enforcement_pb2_grpc.add_EnforcementServiceServicer_to_server(EnforcementServicer(enforcement), server)
        risk_pb2_grpc.add_RiskServiceServicer_to_server(RiskServicer(risk), server)

    async def deliver_outbox(_: LivetrustServer) -> None:
        await relay.run()

    async def rescore(_: LivetrustServer) -> None:
        while True:  # resumes RUNNING jobs after a restart, and picks up newly published ones
            try:
                await service.run_rescore_jobs()
            except Exception as exc:
                _log.warning("rescore pass failed", extra={"error": type(exc).__name__})
            await asyncio.sleep(1.0)

    async def close() -> None:
        await retention_channel.close()
        await blacklist_channel.close()
        db.close()

    return ServiceDefinition(
        name=config.name,
        service_names=SERVICE_NAMES,
        register=register,
        check_ready=db.check_ready,
        background=[deliver_outbox, rescore],
        on_stop=[close],
    )
