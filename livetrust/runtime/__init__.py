"""What every livetrust server needs, written once: config, server bootstrap, database, telemetry,
error mapping, caller identity and outbound channels."""

from livetrust.tls import TlsConfig

from ._audit import append_audit, audit_table, verify_audit
from ._auth import (
    CALLER_METADATA_KEY,
    Caller,
    Role,
    current_caller,
    require_caller,
    service_caller_metadata,
    sign_caller,
    verify_caller,
)
from ._client import (
    DEFAULT_CALL_TIMEOUT_SECONDS,
    open_channel,
    outbound_timeout,
    outbound_tracing,
    retry_service_config,
)
from ._config import DEFAULT_ADDRESSES, SERVICES, ServiceConfig, env_secret, service_address
from ._convert import (
    enum_from_proto,
    enum_to_proto,
    from_date,
    from_timestamp,
    set_timestamp,
    to_date,
    to_timestamp,
)
from ._db import (
    Database,
    UtcDateTime,
    alembic_config,
    insert_on_conflict,
    make_metadata,
    migrate,
    normalize_url,
    serialize_writes,
)
from ._interceptors import Guard, guard_handler
from ._outbox import Deliver, OutboxRelay, enqueue, outbox_table, pending_count
from ._server import (
    LivetrustServer,
    ServiceDefinition,
    create_server,
    database_service,
    run_event_loop,
    serve,
    server_options,
)
from ._status import status_for_error
from ._telemetry import configure_logging, setup_telemetry, shutdown_telemetry

__all__ = [
    "CALLER_METADATA_KEY",
    "DEFAULT_ADDRESSES",
    "DEFAULT_CALL_TIMEOUT_SECONDS",
    "SERVICES",
    "Caller",
    "Database",
    "Deliver",
    "Guard",
    "LivetrustServer",
    "OutboxRelay",
    "Role",
    "ServiceConfig",
    "ServiceDefinition",
    "TlsConfig",
    "UtcDateTime",
    "alembic_config",
    "append_audit",
    "audit_table",
    "configure_logging",
    "create_server",
    "current_caller",
    "database_service",
    "enqueue",
    "enum_from_proto",
    "enum_to_proto",
    "env_secret",
    "from_date",
    "from_timestamp",
    "guard_handler",
    "insert_on_conflict",
    "make_metadata",
    "migrate",
    "normalize_url",
    "open_channel",
    "outbound_timeout",
    "outbound_tracing",
    "outbox_table",
    "pending_count",
    "require_caller",
    "retry_service_config",
    "run_event_loop",
    "serialize_writes",
    "serve",
    "server_options",
    "service_address",
    "service_caller_metadata",
    "set_timestamp",
    "setup_telemetry",
    "shutdown_telemetry",
    "sign_caller",
    "status_for_error",
    "to_date",
    "to_timestamp",
    "verify_audit",
    "verify_caller",
]
