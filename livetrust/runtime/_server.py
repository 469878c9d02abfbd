"""Server bootstrap shared by every service and the gateway: ``create_server`` apart from ``serve``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from livetrust.clock import Clock, SystemClock
from livetrust.tls import TlsConfig

from ._config import ServiceConfig
from ._db import Database
from ._interceptors import RpcInterceptor
from ._telemetry import configure_logging, grpc_trace_filter, setup_telemetry, shutdown_telemetry

__all__ = [
    "LivetrustServer",
    "ServiceDefinition",
    "create_server",
    "database_service",
    "serve",
    "server_options",
]

_log = logging.getLogger("livetrust.server")
_SERVING = health_pb2.HealthCheckResponse.SERVING
_NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


async def _always_ready() -> bool:
    return True


@dataclass(slots=True)
class ServiceDefinition:
    """What a service plugs into the shared server."""

    name: str
    """Short name: ``identity``, ``gateway``, ... (logs, metrics, error domain)."""

    service_names: Sequence[str]
    """Full proto service names served, for health and reflection."""

    register: Callable[[grpc.aio.Server], None]
    """Adds the servicers (or generic handlers) to the server."""

    check_ready: Callable[[], Awaitable[bool]] = _always_ready
    """True when the service can do its work (database reachable and migrated, index loaded, ...)."""

    background: Sequence[Callable[[LivetrustServer], Awaitable[None]]] = ()
    """Long-running tasks (outbox relays, watchers), started with the server and cancelled at stop;
    each gets the running server (to set health, for instance)."""

    on_stop: Sequence[Callable[[], Awaitable[None] | None]] = ()
    """Clean-ups after the server stopped (close channels, dispose engines)."""

    interceptors: Sequence[grpc.aio.ServerInterceptor] = ()
    """Further interceptors, inside the shared one (so what they raise is mapped to a status)."""

    trusts_caller_metadata: bool = True
    """Whether gateway-signed caller metadata identifies the caller. The gateway itself says False:
    it authenticates callers by API key and ignores (and never forwards) such metadata from clients."""

    health_names: Sequence[str] = field(default_factory=tuple)
    """Further service names served through this server (the gateway's backends): listed by reflection;
    their health is set by ``background`` tasks, not by the readiness loop."""


def database_service(
    config: ServiceConfig,
    *,
    service_names: Sequence[str],
    migrations_dir: Path,
    register: Callable[[grpc.aio.Server, Database], None],
    background: Sequence[Callable[[LivetrustServer], Awaitable[None]]] = (),
) -> ServiceDefinition:
    """A service that owns one database: ready while it answers and sits at its Alembic head."""
    if config.database_url is None:
        raise ValueError(f"{config.name} needs a database URL")
    db = Database(config.database_url, migrations_dir=migrations_dir, pool_size=config.db_pool_size)
    return ServiceDefinition(
        name=config.name,
        service_names=tuple(service_names),
        register=lambda server: register(server, db),
        check_ready=db.check_ready,
        background=background,
        on_stop=[db.close],
    )


def server_options(config: ServiceConfig) -> list[tuple[str, int]]:
    age_ms = int(config.max_connection_age_seconds * 1000)
    return [
        ("grpc.max_receive_message_length", config.max_message_bytes),
        ("grpc.max_send_message_length", config.max_message_bytes),
        # Close old connections so clients behind a Kubernetes Service re-resolve and spread out.
        ("grpc.max_connection_age_ms", age_ms),
        ("grpc.max_connection_age_grace_ms", int(config.grace_seconds * 1000)),
        ("grpc.keepalive_time_ms", 60_000),
        ("grpc.keepalive_timeout_ms", 20_000),
        ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
        ("grpc.keepalive_permit_without_calls", 1),
    ]


class LivetrustServer:
    """A started-or-not gRPC server with health that follows readiness, and graceful stop."""

    def __init__(self, config: ServiceConfig, definition: ServiceDefinition, server: grpc.aio.Server) -> None:
        self.config = config
        self.definition = definition
        self.grpc_server = server
        self.health = health.aio.HealthServicer()
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self._stopped = asyncio.Event()

    async def _set_all(self, status: int) -> None:
        for name in self.definition.service_names:
            await self.health.set(name, status)

    async def _follow_readiness(self) -> None:
        """Each service name says SERVING only while ``check_ready`` says so (readiness, re-checked every
        interval). The overall name "" is liveness: SERVING while the process runs, so that a database
        outage takes replicas out of rotation without getting them restarted."""
        last: bool | None = None
        while not self._stopping:
            try:
                ready = await self.definition.check_ready()
            except Exception:
                _log.exception("readiness check failed")
                ready = False
            if ready != last and not self._stopping:
                await self._set_all(_SERVING if ready else _NOT_SERVING)
                _log.info("readiness changed", extra={"ready": ready, "service": self.definition.name})
                last = ready
            await asyncio.sleep(self.config.readiness_interval_seconds if ready else 0.2)

    async def start(self) -> None:
        await self._set_all(_NOT_SERVING)
        await self.health.set("", _SERVING)
        await self.grpc_server.start()
        self._tasks.append(asyncio.create_task(self._follow_readiness(), name="readiness"))
        for job in self.definition.background:
            self._tasks.append(asyncio.create_task(job(self), name=getattr(job, "__name__", "background")))

    async def stop(self, grace: float | None = None) -> None:
        """Refuse new calls, let in-flight ones finish within ``grace``, then stop background work."""
        if self._stopping:
            await self._stopped.wait()
            return
        self._stopping = True
        grace = self.config.grace_seconds if grace is None else grace
        await self.health.enter_graceful_shutdown()
        await self.grpc_server.stop(grace)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for clean_up in self.definition.on_stop:
            result = clean_up()
            if result is not None:
                await result
        self._stopped.set()

    async def wait_for_termination(self) -> None:
        await self._stopped.wait()


def create_server(
    config: ServiceConfig, definition: ServiceDefinition, *, clock: Clock | None = None
) -> tuple[LivetrustServer, int]:
    """Build (not start) the server for ``definition``, bound to ``config.listen_address``.

    Returns the server and the bound port (tests pass port 0 and read the real one back).
    """
    telemetry = setup_telemetry(config.name, config.env)
    interceptors: list[grpc.aio.ServerInterceptor] = []
    if telemetry.tracing:
        from opentelemetry.instrumentation.grpc import aio_server_interceptor

        interceptors.append(aio_server_interceptor(filter_=grpc_trace_filter(config.env)))
    interceptors.append(
        RpcInterceptor(
            service=config.name,
            caller_secret=config.caller_secret,
            previous_caller_secret=config.previous_caller_secret,
            clock=clock or SystemClock(),
            trusts_caller_metadata=definition.trusts_caller_metadata,
        )
    )
    interceptors.extend(definition.interceptors)
    server = grpc.aio.server(interceptors=interceptors, options=server_options(config))
    wrapper = LivetrustServer(config, definition, server)
    health_pb2_grpc.add_HealthServicer_to_server(wrapper.health, server)
    definition.register(server)
    reflection.enable_server_reflection(
        (*definition.service_names, *definition.health_names, health.SERVICE_NAME, reflection.SERVICE_NAME),
        server,
    )
    tls = TlsConfig.from_env(config.env)
    if tls is not None and definition.name != "gateway":
        port = server.add_secure_port(config.listen_address, tls.server_credentials())
    else:  # the gateway's public listener: callers' TLS ends at the ingress in front of it
        port = server.add_insecure_port(config.listen_address)
    if port == 0:
        raise OSError(f"cannot bind {config.listen_address}")
    return wrapper, port


_T = TypeVar("_T")


def run_event_loop(main: Coroutine[Any, Any, _T], *, event_loop: str = "uvloop") -> _T:
    """Run ``main`` to the end on a new event loop: uvloop unless ``event_loop`` is ``asyncio`` or uvloop is
    not installed (it is not on Windows). grpc.aio runs on either; uvloop takes less CPU per call."""
    if event_loop == "uvloop":
        try:
            import uvloop
        except ImportError:
            pass
        else:
            return uvloop.run(main)
    return asyncio.run(main)


async def serve(config: ServiceConfig, build: Callable[[ServiceConfig], ServiceDefinition]) -> None:
    """Run one service until SIGTERM or SIGINT, then drain in-flight calls within the grace period."""
    configure_logging(config.name, config.env)
    definition = build(config)
    server, port = create_server(config, definition)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await server.start()
    _log.info("serving", extra={"service": config.name, "address": config.listen_address, "port": port})
    await stop.wait()
    _log.info("stopping", extra={"service": config.name, "grace_seconds": config.grace_seconds})
    await server.stop()
    shutdown_telemetry()
    _log.info("stopped", extra={"service": config.name})
