"""The gateway as a service definition: API keys and the access table, proxy routes to every backend,
the composite flows, and health that mirrors the backends'."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from livetrust.clock import Clock, SystemClock
from livetrust.runtime import (
    CALLER_METADATA_KEY,
    SERVICES,
    Caller,
    Database,
    LivetrustServer,
    ServiceConfig,
    ServiceDefinition,
    current_caller,
    open_channel,
    outbound_tracing,
    service_address,
    service_caller_metadata,
    sign_caller,
)

from ._access import ACCESS_RULES, AccessInterceptor, AccessRule
from ._blacklist_mirror import FreshMirror, MirrorConfig, proxy_hooks
from ._flows import ComplianceFlows
from ._keys import KeyRing
from ._proxy import Backend, ProxyHandler
from ._ratelimit import RateLimiter
from ._services import BACKEND_SERVICES, GATEWAY_SERVICE
from .v1 import gateway_pb2_grpc

__all__ = ["MIGRATIONS_DIR", "build_gateway"]

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_log = logging.getLogger("livetrust.gateway")
_SERVING = health_pb2.HealthCheckResponse.SERVING
_NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
_HEALTH_POLL_SECONDS = 1.0


def _mirror_health(backend: Backend, names: tuple[str, ...]) -> Callable[[LivetrustServer], Awaitable[None]]:
    """A background task keeping the gateway's health for ``names`` equal to the backend's own."""

    async def mirror_backend_health(server: LivetrustServer) -> None:
        stub = health_pb2_grpc.HealthStub(backend.channel)
        last: dict[str, int] = {}
        while True:
            for name in names:
                try:
                    reply = await stub.Check(health_pb2.HealthCheckRequest(service=name), timeout=1.0)
                    status = _SERVING if reply.status == _SERVING else _NOT_SERVING
                except grpc.aio.AioRpcError:
                    status = _NOT_SERVING
                if last.get(name) != status:
                    await server.health.set(name, status)
                    last[name] = status
                    _log.info("backend health", extra={"backend": backend.name, "serving": status == _SERVING})
            await asyncio.sleep(_HEALTH_POLL_SECONDS)

    return mirror_backend_health


def build_gateway(
    config: ServiceConfig,
    *,
    addresses: Mapping[str, str] | None = None,
    routes: Mapping[str, str] | None = None,
    method_kinds: Mapping[str, str] | None = None,
    access_rules: Mapping[str, AccessRule] | None = None,
    clock: Clock | None = None,
) -> ServiceDefinition:
    """The gateway. ``addresses`` maps backend name -> target (default ``LIVETRUST_<NAME>_ADDR``);
    ``routes`` maps full proto service name -> backend name (default: the four services' own);
    ``method_kinds`` and ``access_rules`` extend the contracts' for methods outside them (tests)."""
    assert config.database_url is not None, "the gateway keeps its API keys in its own database"
    if config.caller_secret is None:
        raise ValueError("the gateway needs LIVETRUST_CALLER_SECRET to tell services who called")
    clock = clock or SystemClock()
    env = config.env
    addresses = dict(addresses or {name: service_address(name, env) for name in SERVICES})
    routes = dict(routes or {svc: name for name, svcs in BACKEND_SERVICES.items() for svc in svcs})
    timeout = float(env.get("LIVETRUST_GATEWAY_CALL_TIMEOUT_SECONDS", 5.0))
    backends = {
        name: Backend(
            name=name,
            channel=open_channel(target, max_message_bytes=config.max_message_bytes, env=env),
            call_timeout_seconds=timeout,
        )
        for name, target in addresses.items()
    }
    db = Database(config.database_url, migrations_dir=MIGRATIONS_DIR, pool_size=config.db_pool_size)
    keys = KeyRing(db)
    secret = config.caller_secret

    minted: dict[Caller, tuple[str, float]] = {}

    def caller_metadata() -> list[tuple[str, str]]:
        caller = current_caller.get()
        if caller is None:
            return []
        # Tokens live 5 minutes; reusing one for a minute saves signing on every call (and lets services
        # hit their cache of verified tokens). Expiry is by the wall clock, whatever clock the flows are given.
        now = SystemClock().now()
        token, at = minted.get(caller, ("", 0.0))
        if now.timestamp() - at > 60:
            if len(minted) > 10_000:
                minted.clear()
            token = sign_caller(caller, secret, now=now)
            minted[caller] = (token, now.timestamp())
        return [(CALLER_METADATA_KEY, token)]

    mirror_config = MirrorConfig.from_env(env)
    mirror: FreshMirror | None = None
    if mirror_config.enabled and "blacklist" in backends:

        def mirror_metadata() -> list[tuple[str, str]]:
            return service_caller_metadata("gateway", secret, platform_id="livetrust", now=SystemClock().now())

        mirror = FreshMirror(
            backends["blacklist"].channel,
            config=mirror_config,
            metadata=mirror_metadata,
            call_timeout_seconds=timeout,
        )

    proxy = ProxyHandler(
        {svc: backends[name] for svc, name in routes.items()},
        method_kinds=method_kinds,
        extra_metadata=lambda _context: caller_metadata(),
        forward_trace_context=not outbound_tracing(env),
        hooks=proxy_hooks(mirror) if mirror is not None else None,
    )
    access = AccessInterceptor(
        keys=keys,
        limiter=RateLimiter(),
        default_rate=float(env.get("LIVETRUST_GATEWAY_RATE_LIMIT_PER_SECOND", 200)),
        default_burst=int(env.get("LIVETRUST_GATEWAY_RATE_LIMIT_BURST", 400)),
        rules={**ACCESS_RULES, **(access_rules or {})},
    )
    names_by_backend: dict[str, tuple[str, ...]] = {}
    for svc, name in routes.items():
        names_by_backend[name] = (*names_by_backend.get(name, ()), svc)

    def register(server: grpc.aio.Server) -> None:
        if {"identity", "blacklist", "credit"} <= backends.keys():
            flows = ComplianceFlows(
                identity=backends["identity"].channel,
                blacklist=backends["blacklist"].channel,
                credit=backends["credit"].channel,
                caller_metadata=caller_metadata,
                clock=clock,
                call_timeout_seconds=timeout,
                broadcast_check_max_age=timedelta(
                    seconds=float(env.get("LIVETRUST_GATEWAY_BROADCAST_CHECK_MAX_AGE_SECONDS", 900))
                ),
                blacklist_mirror=mirror,
            )
            gateway_pb2_grpc.add_ComplianceGatewayServicer_to_server(flows, server)
        server.add_generic_rpc_handlers((proxy,))

    async def follow_keys(_: LivetrustServer) -> None:
        await keys.follow(float(env.get("LIVETRUST_GATEWAY_KEY_REFRESH_SECONDS", 0.2)))

    async def follow_blacklist(_: LivetrustServer) -> None:
        if mirror is not None:
            await mirror.follow()

    async def close() -> None:
        for backend in backends.values():
            await backend.channel.close()
        db.close()

    return ServiceDefinition(
        name="gateway",
        service_names=(GATEWAY_SERVICE,),
        register=register,
        check_ready=db.check_ready,
        background=[
            follow_keys,
            follow_blacklist,
            *(_mirror_health(backends[n], names) for n, names in names_by_backend.items()),
        ],
        on_stop=[close],
        interceptors=[access],
        trusts_caller_metadata=False,
        health_names=tuple(routes),
    )
