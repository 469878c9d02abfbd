"""OpenTelemetry traces and metrics, and JSON logs that carry the trace and span ids.

Off unless the standard ``OTEL_*`` variables ask for it: with no exporter configured no SDK provider
is installed, the gRPC instrumentation is not added, and the metric instruments are the API's no-ops.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from opentelemetry import metrics, trace
from pythonjsonlogger.json import JsonFormatter

__all__ = ["Telemetry", "configure_logging", "grpc_trace_filter", "setup_telemetry"]

_EXPORTER_VARS = ("OTEL_TRACES_EXPORTER", "OTEL_METRICS_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT")


class _TraceContextFilter(logging.Filter):
    """Stamps every record with the service name and the current trace and span ids."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self._service
        ctx = trace.get_current_span().get_span_context()
        if ctx.is_valid:
            record.trace_id = format(ctx.trace_id, "032x")
            record.span_id = format(ctx.span_id, "016x")
        return True


def configure_logging(service: str, env: Mapping[str, str] | None = None) -> None:
    """JSON lines on stderr (``LIVETRUST_LOG_FORMAT=text`` for humans), level ``LIVETRUST_LOG_LEVEL``."""
    env = os.environ if env is None else env
    handler = logging.StreamHandler(sys.stderr)
    if env.get("LIVETRUST_LOG_FORMAT", "json") == "text":
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(service)s %(name)s: %(message)s"))
    else:
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"levelname": "level", "asctime": "time"},
            )
        )
    handler.addFilter(_TraceContextFilter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(env.get("LIVETRUST_LOG_LEVEL", "INFO").upper())
    # Alembic announces its context on every readiness probe; only its warnings matter here.
    logging.getLogger("alembic").setLevel(logging.WARNING)


@dataclass(frozen=True, slots=True)
class Telemetry:
    """What :func:`setup_telemetry` set up; ``enabled`` is False when nothing is exported."""

    enabled: bool
    tracing: bool
    metrics: bool


def _wanted(env: Mapping[str, str], signal: str) -> str | None:
    """The exporter asked for ``signal`` (``traces``/``metrics``): ``otlp``, ``console`` or None."""
    if env.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return None
    exporter = env.get(f"OTEL_{signal.upper()}_EXPORTER")
    if exporter is None and env.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        exporter = "otlp"
    if exporter in (None, "", "none"):
        return None
    return exporter.split(",")[0].strip()


def grpc_trace_filter(env: Mapping[str, str]) -> Any:
    """The gRPC instrumentation's filter for ``OTEL_PYTHON_GRPC_EXCLUDED_SERVICES`` (comma-separated service
    names kept out of traces, e.g. health probes), or None. The library reads the variable only in its global
    instrumentors, from ``os.environ``; our interceptors are built by hand and take config from ``env``."""
    from opentelemetry.instrumentation.grpc import filters

    services = [s.strip() for s in env.get("OTEL_PYTHON_GRPC_EXCLUDED_SERVICES", "").split(",") if s.strip()]
    if not services:
        return None
    return filters.negate(filters.any_of(*(filters.service_name(name) for name in services)))


def setup_telemetry(service: str, env: Mapping[str, str] | None = None) -> Telemetry:
    """Install SDK providers for the exporters the ``OTEL_*`` variables name; idempotent per process."""
    env = os.environ if env is None else env
    trace_exporter = _wanted(env, "traces")
    metric_exporter = _wanted(env, "metrics")
    if trace_exporter is None and metric_exporter is None:
        return Telemetry(enabled=False, tracing=False, metrics=False)

    from opentelemetry.sdk.resources import SERVICE_NAME, Resource

    resource = Resource.create({SERVICE_NAME: env.get("OTEL_SERVICE_NAME", f"livetrust-{service}")})
    if trace_exporter is not None:
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

        provider = TracerProvider(resource=resource)
        if trace_exporter == "console":
            span_exporter = ConsoleSpanExporter()
        else:
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

            span_exporter = OTLPSpanExporter()
        provider.add_span_processor(BatchSpanProcessor(span_exporter))
        trace.set_tracer_provider(provider)
    if metric_exporter is not None:
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import ConsoleMetricExporter, PeriodicExportingMetricReader

        if metric_exporter == "console":
            exporter = ConsoleMetricExporter()
        else:
            from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter

            exporter = OTLPMetricExporter()
        metrics.set_meter_provider(
            MeterProvider(resource=resource, metric_readers=[PeriodicExportingMetricReader(exporter)])
        )
    return Telemetry(enabled=True, tracing=trace_exporter is not None, metrics=metric_exporter is not None)


def shutdown_telemetry() -> None:
    """Flush what is buffered (spans, metrics) before the process exits."""
    for provider in (trace.get_tracer_provider(), metrics.get_meter_provider()):
        shutdown = getattr(provider, "shutdown", None)
        if shutdown is not None:
            shutdown()
