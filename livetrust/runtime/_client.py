"""Outbound calls: channels with keepalive, retries of UNAVAILABLE and round-robin, and deadlines
that never outlive the caller's."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence

import grpc

from livetrust.tls import TlsConfig

from ._telemetry import grpc_trace_filter

__all__ = [
    "DEFAULT_CALL_TIMEOUT_SECONDS",
    "open_channel",
    "outbound_timeout",
    "outbound_tracing",
    "retry_service_config",
]

#: Cap on any outbound call when the caller set no deadline (or a longer one).
DEFAULT_CALL_TIMEOUT_SECONDS = 5.0


def retry_service_config(services: Sequence[str] = ()) -> str:
    """gRPC service config: round-robin over resolved addresses, UNAVAILABLE retried with backoff.

    ``services`` limits retries to those proto services; empty means every method on the channel.
    """
    names = [{"service": s} for s in services] or [{}]
    return json.dumps(
        {
            "loadBalancingConfig": [{"round_robin": {}}],
            "methodConfig": [
                {
                    "name": names,
                    "retryPolicy": {
                        "maxAttempts": 4,
                        "initialBackoff": "0.05s",
                        "maxBackoff": "1s",
                        "backoffMultiplier": 2,
                        "retryableStatusCodes": ["UNAVAILABLE"],
                    },
                }
            ],
        }
    )


def open_channel(
    target: str,
    *,
    max_message_bytes: int = 4 * 1024 * 1024,
    env: Mapping[str, str] | None = None,
) -> grpc.aio.Channel:
    """An aio channel to another livetrust part. ``dns:///`` targets resolve every replica (headless
    Services); traces propagate when tracing is on."""
    env = os.environ if env is None else env
    options = [
        ("grpc.service_config", retry_service_config()),
        ("grpc.enable_retries", 1),
        ("grpc.keepalive_time_ms", 30_000),
        ("grpc.keepalive_timeout_ms", 10_000),
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.http2.max_pings_without_data", 0),
        # Inside a cluster a restarted backend is back within seconds: reconnect soon after it.
        ("grpc.initial_reconnect_backoff_ms", 250),
        ("grpc.min_reconnect_backoff_ms", 250),
        ("grpc.max_reconnect_backoff_ms", 5000),
        ("grpc.max_receive_message_length", max_message_bytes),
        ("grpc.max_send_message_length", max_message_bytes),
    ]
    interceptors = []
    if outbound_tracing(env):
        from opentelemetry.instrumentation.grpc import aio_client_interceptors

        interceptors = list(aio_client_interceptors(filter_=grpc_trace_filter(env)))
    tls = TlsConfig.from_env(env)
    if tls is not None:
        return grpc.aio.secure_channel(
            target, tls.channel_credentials(), options=options, interceptors=interceptors or None
        )
    return grpc.aio.insecure_channel(target, options=options, interceptors=interceptors or None)


def outbound_tracing(env: Mapping[str, str]) -> bool:
    """True when channels opened with ``env`` trace their calls (and so send their own trace context)."""
    return env.get("OTEL_TRACES_EXPORTER", "none") not in ("", "none") or bool(env.get("OTEL_EXPORTER_OTLP_ENDPOINT"))


def outbound_timeout(context: grpc.aio.ServicerContext | None, cap: float = DEFAULT_CALL_TIMEOUT_SECONDS) -> float:
    """Seconds an outbound call may take: the caller's remaining time, never more than ``cap``.

    ``time_remaining()`` is huge when the caller set no deadline, so the cap always applies.
    """
    if context is None:
        return cap
    remaining = context.time_remaining()
    if remaining is None:
        return cap
    return max(0.0, min(remaining, cap))
