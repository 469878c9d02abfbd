"""Pass-through of every backend RPC by method path: bytes in, bytes out, nothing re-serialised.

Metadata passes through an allow-list, the deadline is the caller's (capped for unary calls), and a
backend's error comes back unchanged: code, message and trailing metadata, which carries the rich
``grpc-status-details-bin`` details.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn, TypeVar

import grpc
from google.protobuf import descriptor_pool
from grpc_status import rpc_status

from livetrust.errors import Unavailable
from livetrust.runtime import CALLER_METADATA_KEY, outbound_timeout, status_for_error

__all__ = ["Backend", "MethodHooks", "ProxyHandler", "forwardable_metadata"]

T = TypeVar("T")
_log = logging.getLogger("livetrust.gateway")

# Caller metadata the gateway passes on. Credentials stop here; the gateway's own signed caller
# metadata replaces anything a client sent under that key.
_FORWARDED_KEYS = frozenset({"traceparent", "tracestate", "baggage", "grpc-trace-bin"})
_DROPPED_KEYS = frozenset({"authorization", CALLER_METADATA_KEY})
_NO_DEADLINE = 1e6
_HANDLER_FACTORIES = {
    "unary_unary": grpc.unary_unary_rpc_method_handler,
    "stream_unary": grpc.stream_unary_rpc_method_handler,
    "unary_stream": grpc.unary_stream_rpc_method_handler,
    "stream_stream": grpc.stream_stream_rpc_method_handler,
}  # time_remaining() of a call without a deadline is about 2**63 ns


def forwardable_metadata(metadata: Any, *, trace_context: bool = True) -> list[tuple[str, str | bytes]]:
    """The part of the caller's metadata that a backend may see: ``x-*`` application keys and, unless the
    gateway traces its own outbound calls (which then carry the continued trace), the caller's trace context."""
    forwarded = _FORWARDED_KEYS if trace_context else frozenset()
    return [
        (key, value)
        for key, value in metadata or ()
        if key not in _DROPPED_KEYS and (key in forwarded or key.startswith("x-"))
    ]


@dataclass(slots=True)
class Backend:
    """One service behind the gateway."""

    name: str
    channel: grpc.aio.Channel
    call_timeout_seconds: float = 5.0
    _calls: dict[tuple[str, str], Any] = field(default_factory=dict)

    def multicallable(self, method: str, kind: str) -> Any:
        # No serializers: request and response bytes pass unparsed.
        key = (method, kind)
        if key not in self._calls:
            self._calls[key] = getattr(self.channel, kind)(method)
        return self._calls[key]


@dataclass(frozen=True, slots=True)
class MethodHooks:
    """The gateway's own work around one forwarded unary-unary method. A hook never changes the answer:
    one that raises is logged and the call goes on."""

    answer: Callable[[bytes], bytes | None] | None = None
    """Given the request bytes: the response bytes to send without calling the backend, or None to forward."""
    before_forward: Callable[[], None] | None = None
    """Called just before the call goes to the backend."""
    after_forward: Callable[[grpc.StatusCode], None] | None = None
    """Called with the backend's status code (OK included) before the caller hears back."""


def _kind(method: str) -> str:
    """``unary_unary`` etc. for a method path, from the descriptor pool (unknown methods: unary)."""
    service_name, _, method_name = method.lstrip("/").partition("/")
    try:
        descriptor = descriptor_pool.Default().FindServiceByName(service_name).methods_by_name[method_name]
    except KeyError:
        return "unary_unary"
    client = "stream" if descriptor.client_streaming else "unary"
    server = "stream" if descriptor.server_streaming else "unary"
    return f"{client}_{server}"


class ProxyHandler(grpc.GenericRpcHandler):
    """Routes ``/<service>/<method>`` to the backend that serves ``<service>``."""

    def __init__(
        self,
        routes: Mapping[str, Backend],
        *,
        method_kinds: Mapping[str, str] | None = None,
        extra_metadata: Any = None,
        forward_trace_context: bool = True,
        hooks: Mapping[str, MethodHooks] | None = None,
    ) -> None:
        self._routes = dict(routes)
        #: ``/svc/Method`` -> work the gateway does around forwarding it (unary-unary methods only).
        self._hooks = dict(hooks or {})
        #: False when the backend channels are traced: their interceptor sends the trace on, once.
        self._forward_trace_context = forward_trace_context
        #: Call shapes of methods the descriptor pool does not know (``/svc/Method`` -> ``unary_stream``).
        self._method_kinds = dict(method_kinds or {})
        self._handlers: dict[str, grpc.RpcMethodHandler | None] = {}
        #: Called per call with the context; returns metadata to add (the signed caller, issue 8).
        self._extra_metadata = extra_metadata

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler | None:
        method = handler_call_details.method
        if method not in self._handlers:
            self._handlers[method] = self._build(method)
        return self._handlers[method]

    def _build(self, method: str) -> grpc.RpcMethodHandler | None:
        backend = self._routes.get(method.lstrip("/").partition("/")[0])
        if backend is None:
            return None
        kind = self._method_kinds.get(method) or _kind(method)
        call = backend.multicallable(method, kind)
        hooks = self._hooks.get(method, MethodHooks())
        if hooks != MethodHooks() and kind != "unary_unary":
            raise ValueError(f"hooks are for unary-unary methods; {method} is {kind}")
        answer, before, after = hooks.answer, hooks.before_forward, hooks.after_forward
        if kind.endswith("_unary"):

            async def unary_response(request: Any, context: grpc.aio.ServicerContext) -> bytes:
                if answer is not None and (local := _hook(answer, method, request)) is not None:
                    return local
                if before is not None:
                    _hook(before, method)
                try:
                    inflight = call(
                        request,
                        timeout=outbound_timeout(context, backend.call_timeout_seconds),
                        metadata=self._metadata(context),
                    )
                    response = await inflight
                    context.set_trailing_metadata(await inflight.trailing_metadata())
                except grpc.aio.AioRpcError as exc:
                    if after is not None:
                        _hook(after, method, exc.code())
                    await _pass_error(context, exc, backend.name)
                except asyncio.CancelledError:  # the caller went away (or its deadline passed) mid-call
                    if after is not None:
                        _hook(after, method, grpc.StatusCode.CANCELLED)
                    raise
                if after is not None:
                    _hook(after, method, grpc.StatusCode.OK)
                return response

            factory = (
                grpc.unary_unary_rpc_method_handler if kind == "unary_unary" else grpc.stream_unary_rpc_method_handler
            )
            return factory(unary_response)

        async def stream_response(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[bytes]:
            remaining = context.time_remaining()
            try:
                inflight = call(
                    request,
                    timeout=None if remaining is None or remaining > _NO_DEADLINE else remaining,
                    metadata=self._metadata(context),
                )
                async for response in inflight:
                    yield response
                context.set_trailing_metadata(await inflight.trailing_metadata())
            except grpc.aio.AioRpcError as exc:
                await _pass_error(context, exc, backend.name)

        factory = (
            grpc.unary_stream_rpc_method_handler if kind == "unary_stream" else grpc.stream_stream_rpc_method_handler
        )
        return factory(stream_response)

    def _metadata(self, context: grpc.aio.ServicerContext) -> list[tuple[str, str | bytes]]:
        metadata = forwardable_metadata(context.invocation_metadata(), trace_context=self._forward_trace_context)
        if self._extra_metadata is not None:
            metadata.extend(self._extra_metadata(context))
        return metadata


def _hook(hook: Callable[..., T], method: str, *args: Any) -> T | None:
    try:
        return hook(*args)
    except Exception:
        _log.exception("gateway hook failed; the call goes on", extra={"method": method})
        return None


async def _pass_error(context: grpc.aio.ServicerContext, exc: grpc.aio.AioRpcError, backend: str) -> NoReturn:
    """Answer with the backend's status unchanged (rich details ride in the trailing metadata).

    A backend that could not be reached answered nothing: say which dependency is missing instead.
    """
    trailing = tuple((k, v) for k, v in exc.trailing_metadata() or ())
    has_details = any(k == rpc_status.GRPC_DETAILS_METADATA_KEY for k, _ in trailing)
    # CANCELLED without details: the backend stopped while the call waited for a handler (a stopping
    # grpc server answers so, grpc/grpc#41785); to the caller that is the dependency being unavailable.
    unreached = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.CANCELLED)
    if exc.code() in unreached and not has_details:
        error = Unavailable(
            f"{backend} service unavailable",
            reason="DEPENDENCY_UNAVAILABLE",
            metadata={"dependency": backend},
            retry_after_seconds=1.0,
        )
        if exc.code() is grpc.StatusCode.DEADLINE_EXCEEDED:
            await context.abort(exc.code(), f"{backend} service did not answer in time", trailing)
        await context.abort_with_status(status_for_error(error, domain="livetrust.gateway"))
    await context.abort(exc.code(), exc.details() or "", trailing)
    raise AssertionError("abort returned")  # pragma: no cover
