"""The gateway as a service definition: proxy routes to every backend, and health that mirrors theirs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from livetrust.runtime import SERVICES, LivetrustServer, ServiceConfig, ServiceDefinition, open_channel, service_address

from ._proxy import Backend, ProxyHandler
from ._services import BACKEND_SERVICES, GATEWAY_SERVICE

__all__ = ["build_gateway"]

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
) -> ServiceDefinition:
    """The gateway. ``addresses`` maps backend name -> target (default ``LIVETRUST_<NAME>_ADDR``);
    ``routes`` maps full proto service name -> backend name (default: the four services' own);
    ``method_kinds`` gives the call shape of methods outside the generated contracts (tests)."""
    addresses = dict(addresses or {name: service_address(name, config.env) for name in SERVICES})
    routes = dict(routes or {svc: name for name, svcs in BACKEND_SERVICES.items() for svc in svcs})
    timeout = float(config.env.get("LIVETRUST_GATEWAY_CALL_TIMEOUT_SECONDS", 5.0))
    backends = {
        name: Backend(
            name=name,
            channel=open_channel(target, max_message_bytes=config.max_message_bytes, env=config.env),
            call_timeout_seconds=timeout,
        )
        for name, target in addresses.items()
    }
    proxy = ProxyHandler({svc: backends[name] for svc, name in routes.items()}, method_kinds=method_kinds)
    names_by_backend: dict[str, tuple[str, ...]] = {}
    for svc, name in routes.items():
        names_by_backend[name] = (*names_by_backend.get(name, ()), svc)

    async def close_channels() -> None:
        for backend in backends.values():
            await backend.channel.close()

    return ServiceDefinition(
        name="gateway",
        service_names=(GATEWAY_SERVICE,),
        register=lambda server: server.add_generic_rpc_handlers((proxy,)),
        background=[_mirror_health(backends[name], names) for name, names in names_by_backend.items()],
        on_stop=[close_channels],
        trusts_caller_metadata=False,
        health_names=tuple(routes),
    )
