"""The server interceptor every livetrust server runs: caller identity, error mapping, logs, metrics."""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, NoReturn

import grpc
from opentelemetry import metrics
from sqlalchemy import exc as sa_exc

from livetrust.clock import Clock
from livetrust.errors import DomainError, Unauthenticated

from ._auth import CALLER_METADATA_KEY, Caller, current_caller, verify_caller
from ._status import status_for_error, status_for_internal, status_for_unavailable_database

__all__ = ["Guard", "RpcInterceptor", "guard_handler"]

_log = logging.getLogger("livetrust.rpc")
# Calls whose outcome is not worth a log line or a metric point each time.
_QUIET_PREFIXES = ("/grpc.health.v1.Health/", "/grpc.reflection.")


def _is_database_outage(exc: BaseException) -> bool:
    return isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError) or (
        isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated
    )


class RpcInterceptor(grpc.aio.ServerInterceptor):
    """Wraps every handler so that, whatever it raises, the caller gets a deliberate status.

    - caller metadata signed by the gateway is verified and exposed as ``current_caller``; metadata
      that does not verify is refused (UNAUTHENTICATED), so no one can forge a caller;
    - :class:`DomainError` -> its status with rich details (one table, ``_status.py``);
    - a lost database -> UNAVAILABLE with RetryInfo; anything else -> INTERNAL with nothing leaked;
    - one log line and one latency point per call, with its method and code.
    """

    def __init__(
        self,
        *,
        service: str,
        caller_secret: bytes | None,
        clock: Clock,
        trusts_caller_metadata: bool = True,
        previous_caller_secret: bytes | None = None,
    ) -> None:
        self._domain = f"livetrust.{service}"
        self._previous_secret = previous_caller_secret
        # Verified tokens -> (caller, expiry): verifying a JWT costs ~0.25 ms, and the gateway's tokens
        # repeat (one per caller per second), so most calls skip the work. Bounded; expired ones re-verify.
        self._verified: dict[str, tuple[Caller, float]] = {}
        self._trusts_caller_metadata = trusts_caller_metadata
        self._caller_secret = caller_secret
        self._clock = clock
        meter = metrics.get_meter("livetrust")
        self._duration = meter.create_histogram(
            "livetrust.rpc.server.duration", unit="ms", description="Server-side RPC latency"
        )
        self._errors = meter.create_counter(
            "livetrust.rpc.server.errors", description="RPCs that ended with a non-OK status, by code"
        )

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None or method.startswith(_QUIET_PREFIXES):
            return handler
        caller_token = None
        if self._trusts_caller_metadata:
            caller_token = next(
                (v for k, v in handler_call_details.invocation_metadata or () if k == CALLER_METADATA_KEY), None
            )
        return _wrap(handler, self, method, caller_token)

    # --- helpers used by the wrapped behaviours ---------------------------------------------------

    def enter(self, caller_token: str | bytes | None) -> None:
        """Sets ``current_caller``; raises Unauthenticated for metadata that does not verify."""
        caller: Caller | None = None
        if caller_token is not None:
            token = caller_token.decode() if isinstance(caller_token, bytes) else caller_token
            if self._caller_secret is None:
                raise Unauthenticated("this server accepts no caller metadata", reason="CALLER_METADATA_INVALID")
            cached = self._verified.get(token)
            now = self._clock.now()
            if cached is not None and cached[1] > now.timestamp():
                current_caller.set(cached[0])
                return
            try:
                caller = verify_caller(token, self._caller_secret, now=now)
            except Unauthenticated:
                if self._previous_secret is None:
                    raise
                caller = verify_caller(token, self._previous_secret, now=now)
            if len(self._verified) >= 4096:
                self._verified.clear()
            # Trust the cache for a minute at most, well inside the token's own validity.
            self._verified[token] = (caller, now.timestamp() + 60)
        current_caller.set(caller)

    async def fail(self, exc: BaseException, context: grpc.aio.ServicerContext, method: str) -> NoReturn:
        """Abort the call with the status ``exc`` deserves (re-raises what is not ours to map)."""
        if isinstance(exc, grpc.aio.AbortError | asyncio.CancelledError):
            raise exc
        if isinstance(exc, DomainError):
            status = status_for_error(exc, domain=self._domain)
        elif _is_database_outage(exc):
            _log.warning("database unavailable", extra={"rpc.method": method, "error": type(exc).__name__})
            status = status_for_unavailable_database(domain=self._domain)
        else:
            # The traceback goes to the log, never to the caller. Exceptions here carry no request data.
            _log.exception("unhandled error", extra={"rpc.method": method})
            status = status_for_internal(domain=self._domain)
        await context.abort_with_status(status)
        raise AssertionError("abort_with_status returned")  # pragma: no cover

    def record(self, method: str, context: grpc.aio.ServicerContext, started: float) -> None:
        elapsed_ms = (time.perf_counter() - started) * 1000
        code = context.code()
        name = code.name if isinstance(code, grpc.StatusCode) else "OK" if code in (None, 0) else str(code)
        attributes = {"rpc.method": method, "rpc.grpc.status_code": name}
        self._duration.record(elapsed_ms, attributes)
        if name != "OK":
            self._errors.add(1, attributes)
        # Successful calls are counted and traced; a log line each (~0.1 ms) is only worth it when asked for.
        level = logging.DEBUG if name == "OK" else logging.INFO
        if _log.isEnabledFor(level):
            _log.log(level, "rpc", extra={"rpc.method": method, "rpc.code": name, "duration_ms": round(elapsed_ms, 3)})


def _wrap(
    handler: grpc.RpcMethodHandler, interceptor: RpcInterceptor, method: str, caller_token: str | bytes | None
) -> grpc.RpcMethodHandler:
    if handler.unary_unary or handler.stream_unary:
        inner = handler.unary_unary or handler.stream_unary

        async def unary_response(request: Any, context: grpc.aio.ServicerContext) -> Any:
            started = time.perf_counter()
            try:
                interceptor.enter(caller_token)
                return await inner(request, context)
            except BaseException as exc:
                await interceptor.fail(exc, context, method)
            finally:
                interceptor.record(method, context, started)

        factory = grpc.unary_unary_rpc_method_handler if handler.unary_unary else grpc.stream_unary_rpc_method_handler
        return factory(
            unary_response,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )

    inner_stream = handler.unary_stream or handler.stream_stream

    async def stream_response(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
        started = time.perf_counter()
        try:
            interceptor.enter(caller_token)
            result = inner_stream(request, context)
            if inspect.isasyncgen(result):
                async for item in result:
                    yield item
            else:  # a handler that writes with context.write()
                await result
        except BaseException as exc:
            await interceptor.fail(exc, context, method)
        finally:
            interceptor.record(method, context, started)

    factory = grpc.unary_stream_rpc_method_handler if handler.unary_stream else grpc.stream_stream_rpc_method_handler
    return factory(
        stream_response,
        request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )


#: Runs before a handler: gets the request (None for client-streaming calls) and the context;
#: raises a DomainError to refuse the call.
Guard = Callable[[Any, grpc.aio.ServicerContext], Awaitable[None]]

_FACTORIES = {
    "unary_unary": grpc.unary_unary_rpc_method_handler,
    "unary_stream": grpc.unary_stream_rpc_method_handler,
    "stream_unary": grpc.stream_unary_rpc_method_handler,
    "stream_stream": grpc.stream_stream_rpc_method_handler,
}


def guard_handler(handler: grpc.RpcMethodHandler, guard: Guard) -> grpc.RpcMethodHandler:
    """The same handler with ``guard`` run first. Used by interceptors that admit or refuse calls
    (the gateway's authentication and authorization); the RpcInterceptor outside maps what it raises."""
    kind = next(k for k in _FACTORIES if getattr(handler, k) is not None)
    inner = getattr(handler, kind)
    takes_request = kind.startswith("unary_")

    if kind.endswith("_unary"):

        async def unary_response(request: Any, context: grpc.aio.ServicerContext) -> Any:
            await guard(request if takes_request else None, context)
            return await inner(request, context)

        behavior: Any = unary_response
    else:

        async def stream_response(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            await guard(request if takes_request else None, context)
            result = inner(request, context)
            if inspect.isasyncgen(result):
                async for item in result:
                    yield item
            else:
                await result

        behavior = stream_response
    return _FACTORIES[kind](
        behavior, request_deserializer=handler.request_deserializer, response_serializer=handler.response_serializer
    )
