"""Configuration from the environment, read once at start-up into typed dataclasses."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from livetrust._env import DEFAULT_ADDRESSES, SERVICES, env_secret, service_address

__all__ = [
    "DEFAULT_ADDRESSES",
    "SERVICES",
    "ServiceConfig",
    "env_secret",
    "service_address",
]


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    """How one service (or the gateway) runs. Build it with :meth:`from_env`."""

    name: str
    """``gateway``, ``identity``, ``blacklist``, ``credit`` or ``retention``."""

    listen_address: str
    """Where the server binds: ``LIVETRUST_LISTEN_ADDR`` if set (containers bind 0.0.0.0:port), else
    the service's own ``LIVETRUST_<NAME>_ADDR``. Port 0 picks a free port (tests)."""

    data_dir: Path
    """``LIVETRUST_DATA_DIR`` (default ``./.livetrust``): SQLite files, dev keys, the gateway key store."""

    database_url: str | None
    """``LIVETRUST_<NAME>_DATABASE_URL`` (or ``_FILE``: URLs carry passwords); default
    ``sqlite:///<data_dir>/<name>.db``. The gateway's holds its API keys."""

    grace_seconds: float = 10.0
    """``LIVETRUST_GRACE_SECONDS``: how long in-flight calls may run on after SIGTERM."""

    max_message_bytes: int = 4 * 1024 * 1024
    """``LIVETRUST_MAX_MESSAGE_BYTES``: largest request or response accepted."""

    readiness_interval_seconds: float = 2.0
    """``LIVETRUST_READINESS_INTERVAL_SECONDS``: how often the database and schema are re-checked."""

    max_connection_age_seconds: float = 300.0
    """``LIVETRUST_MAX_CONNECTION_AGE_SECONDS``: servers close connections this old so clients behind a
    Kubernetes Service re-resolve and spread over new replicas."""

    caller_secret: bytes | None = None
    """``LIVETRUST_CALLER_SECRET`` (or ``_FILE``): key of the HMAC the gateway signs caller metadata with.
    When unset, services accept no caller identity at all."""

    previous_caller_secret: bytes | None = None
    """``LIVETRUST_CALLER_SECRET_PREVIOUS`` (or ``_FILE``): still accepted (never used to sign) while a
    rotation rolls out, so gateway and services need not restart at the same instant."""

    db_pool_size: int = 8
    """``LIVETRUST_DB_POOL_SIZE``: database connections, and threads running database work."""

    event_loop: str = "uvloop"
    """``LIVETRUST_EVENT_LOOP``: ``uvloop`` (default where it is installed: each gRPC hop costs less on it)
    or ``asyncio`` (the standard library's loop)."""

    env: Mapping[str, str] = field(default_factory=dict, repr=False)
    """The environment it was read from, for service-specific settings."""

    @classmethod
    def from_env(cls, name: str, env: Mapping[str, str] | None = None) -> ServiceConfig:
        env = dict(os.environ if env is None else env)
        data_dir = Path(env.get("LIVETRUST_DATA_DIR", ".livetrust")).resolve()
        from_secret = env_secret(f"LIVETRUST_{name.upper()}_DATABASE_URL", env)
        database_url = from_secret.decode() if from_secret else f"sqlite:///{data_dir / name}.db"
        return cls(
            name=name,
            listen_address=env.get("LIVETRUST_LISTEN_ADDR") or service_address(name, env),
            data_dir=data_dir,
            database_url=database_url,
            grace_seconds=float(env.get("LIVETRUST_GRACE_SECONDS", 10.0)),
            max_message_bytes=int(env.get("LIVETRUST_MAX_MESSAGE_BYTES", 4 * 1024 * 1024)),
            readiness_interval_seconds=float(env.get("LIVETRUST_READINESS_INTERVAL_SECONDS", 2.0)),
            max_connection_age_seconds=float(env.get("LIVETRUST_MAX_CONNECTION_AGE_SECONDS", 300.0)),
            caller_secret=env_secret("LIVETRUST_CALLER_SECRET", env),
            previous_caller_secret=env_secret("LIVETRUST_CALLER_SECRET_PREVIOUS", env),
            db_pool_size=int(env.get("LIVETRUST_DB_POOL_SIZE", 8)),
            event_loop=_event_loop(env.get("LIVETRUST_EVENT_LOOP", "uvloop")),
            env=env,
        )


def _event_loop(value: str) -> str:
    if value not in ("uvloop", "asyncio"):
        raise ValueError(f"LIVETRUST_EVENT_LOOP must be uvloop or asyncio, not {value!r}")
    return value
