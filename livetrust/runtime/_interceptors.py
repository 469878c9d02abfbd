"""The server interceptor every livetrust server runs: caller identity, error mapping, logs, metrics."""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, NoReturn

import grpc
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from opentelemetry import metrics
from sqlalchemy import exc as sa_exc

from livetrust.clock import Clock
from livetrust.errors import DomainError, FieldViolation, InvalidArgument, Unauthenticated

from ._auth import CALLER_METADATA_KEY, Caller, current_caller, verify_caller
from ._status import status_for_error, status_for_internal, status_for_unavailable_database

__all__ = ["Guard", "RpcInterceptor", "guard_handler"]

_log = logging.getLogger("livetrust.rpc")
# Calls whose outcome is not worth a log line or a metric point each time.
_QUIET_PREFIXES = ("/grpc.health.v1.Health/", "/grpc.reflection.")


class _Refused:
    """Stands in for a request refused as it is read: its bytes do not parse as the method's request
    message (left to grpc, that ends the call with UNKNOWN and the parser's exception text), or a string
    in it holds U+0000 (PostgreSQL cannot store or even compare it, SQLite would: refused alike on both).
    The handler raises ``error`` (INVALID_ARGUMENT), after the caller was authenticated."""

    __slots__ = ("violation",)

    def __init__(self, violation: FieldViolation) -> None:
        self.violation = violation

    def error(self) -> InvalidArgument:
        return InvalidArgument([self.violation], reason=self.violation.reason)

    def __repr__(self) -> str:
        return f"<refused request: {self.violation.field}>"


_MALFORMED = _Refused(
    FieldViolation("request", "the bytes are not a valid message of the method's request type", "MALFORMED_REQUEST")
)


def _field_with_nul(message: Message, prefix: str = "") -> str | None:
    """The path of the first string field of ``message`` (nested ones too) that contains U+0000."""
    for field, value in message.ListFields():
        path = prefix + field.name
        if field.type == FieldDescriptor.TYPE_MESSAGE and field.message_type.GetOptions().map_entry:
            items: list[Any] = [x for pair in value.items() for x in pair]
        elif field.is_repeated:
            items = list(value)
        else:
            items = [value]
        for i, item in enumerate(items):
            if isinstance(item, str) and "\x00" in item:
                return path
            if isinstance(item, Message):
                found = _field_with_nul(item, f"{path}[{i}]." if field.is_repeated else f"{path}.")
                if found is not None:
                    return found
    return None


def _tolerant(deserializer: Callable[[bytes], Any] | None) -> Callable[[bytes], Any] | None:
    """``deserializer`` returning a :class:`_Refused` instead of raising (None stays None: raw bytes)."""
    if deserializer is None or getattr(deserializer, "livetrust_tolerant", False):
        return deserializer

    def deserialize(data: bytes) -> Any:
        try:
            message = deserializer(data)
        except Exception:  # DecodeError, or anything a custom deserializer raises on bad bytes
            return _MALFORMED
        # No zero byte at all (most requests): no string can hold U+0000, nothing to walk.
        if b"\x00" in data and isinstance(message, Message) and (field := _field_with_nul(message)) is not None:
            return _Refused(FieldViolation(field, "must not contain the character U+0000", "NUL_CHARACTER"))
        return message

    deserialize.livetrust_tolerant = True  # type: ignore[attr-defined]
    return deserialize


async def _parsed(requests: AsyncIterator[Any]) -> AsyncIterator[Any]:
    """A client stream that raises InvalidArgument at the first message refused as it was read."""
    async for request in requests:
        if isinstance(request, _Refused):
            raise request.error()
        yield request


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
        # Wrapped handlers by (method, caller token) -> (the handler wrapped, the wrapper): building one
        # per call costs a closure and a grpc handler tuple (with an import inside grpc) on every RPC. The
        # wrapper only binds what the key names, so it is shared by concurrent calls. Bounded like _verified.
        # Only for methods whose handler is one object call after call (registered servicers); where inner
        # interceptors build a new handler per call (the gateway's), a cache would only churn.
        self._wrapped: dict[tuple[str, str | bytes | None], tuple[grpc.RpcMethodHandler, grpc.RpcMethodHandler]] = {}
        self._last_handler: dict[str, grpc.RpcMethodHandler] = {}
        self._uncacheable: set[str] = set()
        # Metric attributes by (method, code), built once each.
        self._attributes: dict[tuple[str, str], dict[str, str]] = {}
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
        if method in self._uncacheable:
            return _wrap(handler, self, method, caller_token)
        key = (method, caller_token)
        cached = self._wrapped.get(key)
        if cached is not None and cached[0] is handler:
            return cached[1]
        wrapped = _wrap(handler, self, method, caller_token)
        if len(self._last_handler) >= 4096 or len(self._uncacheable) >= 4096:  # method names come from callers
            self._last_handler.clear()
            self._uncacheable.clear()
        last = self._last_handler.setdefault(method, handler)
        if last is not handler:
            self._uncacheable.add(method)
            return wrapped
        if len(self._wrapped) >= 4096:
            self._wrapped.clear()
        self._wrapped[key] = (handler, wrapped)
        return wrapped

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
        attributes = self._attributes.get((method, name))
        if attributes is None:
            if len(self._attributes) >= 4096:
                self._attributes.clear()
            attributes = self._attributes[(method, name)] = {"rpc.method": method, "rpc.grpc.status_code": name}
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
    # A request refused as it was read (bytes that do not parse, a NUL character) is refused here
    # (INVALID_ARGUMENT), unless a guard inside refuses it after admitting the caller (its deserializer
    # is already tolerant: guard_handler).
    guarded = getattr(handler.request_deserializer, "livetrust_tolerant", False)
    deserializer = _tolerant(handler.request_deserializer)

    def parsed(request: Any) -> Any:
        if handler.request_streaming:
            return _parsed(request)
        if isinstance(request, _Refused) and not guarded:
            raise request.error()
        return request

    if handler.unary_unary or handler.stream_unary:
        inner = handler.unary_unary or handler.stream_unary

        async def unary_response(request: Any, context: grpc.aio.ServicerContext) -> Any:
            started = time.perf_counter()
            try:
                interceptor.enter(caller_token)
                return await inner(parsed(request), context)
            except BaseException as exc:
                await interceptor.fail(exc, context, method)
            finally:
                interceptor.record(method, context, started)

        factory = grpc.unary_unary_rpc_method_handler if handler.unary_unary else grpc.stream_unary_rpc_method_handler
        return factory(
            unary_response, request_deserializer=deserializer, response_serializer=handler.response_serializer
        )

    inner_stream = handler.unary_stream or handler.stream_stream

    async def stream_response(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
        started = time.perf_counter()
        try:
            interceptor.enter(caller_token)
            result = inner_stream(parsed(request), context)
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
    return factory(stream_response, request_deserializer=deserializer, response_serializer=handler.response_serializer)


#: Runs before a handler: gets the request (None for client-streaming calls, and for a request refused
#: as it was read: INVALID_ARGUMENT once the guard has passed) and the context;
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

    async def admit(request: Any, context: grpc.aio.ServicerContext) -> None:
        refused = isinstance(request, _Refused)
        await guard(request if takes_request and not refused else None, context)
        if refused:
            raise request.error()

    if kind.endswith("_unary"):

        async def unary_response(request: Any, context: grpc.aio.ServicerContext) -> Any:
            await admit(request, context)
            return await inner(request, context)

        behavior: Any = unary_response
    else:

        async def stream_response(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            await admit(request, context)
            result = inner(request, context)
            if inspect.isasyncgen(result):
                async for item in result:
                    yield item
            else:
                await result

        behavior = stream_response
    return _FACTORIES[kind](
        behavior,
        request_deserializer=_tolerant(handler.request_deserializer),
        response_serializer=handler.response_serializer,
    )
