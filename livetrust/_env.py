"""Names, addresses and secrets from the environment: stdlib only, so light commands (``livetrust
probe``) start fast. ``livetrust.runtime`` re-exports these."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

__all__ = ["DEFAULT_ADDRESSES", "PARTS", "SERVICES", "env_secret", "service_address"]

#: The four services behind the gateway, in start-up order.
SERVICES: tuple[str, ...] = ("identity", "blacklist", "credit", "retention")

#: Every part ``livetrust serve`` can run.
PARTS: tuple[str, ...] = (*SERVICES, "gateway")

#: Where each part listens (and is dialled) unless ``LIVETRUST_<NAME>_ADDR`` says otherwise.
DEFAULT_ADDRESSES: Mapping[str, str] = {
    "gateway": "127.0.0.1:50051",
    "credit": "127.0.0.1:50052",
    "blacklist": "127.0.0.1:50053",
    "identity": "127.0.0.1:50054",
    "retention": "127.0.0.1:50055",
}


def service_address(name: str, env: Mapping[str, str] | None = None) -> str:
    """The address other parts dial to reach ``name`` (``LIVETRUST_<NAME>_ADDR``)."""
    env = os.environ if env is None else env
    return env.get(f"LIVETRUST_{name.upper()}_ADDR", DEFAULT_ADDRESSES[name])


def env_secret(name: str, env: Mapping[str, str] | None = None) -> bytes | None:
    """A secret from ``NAME`` or from the file named by ``NAME_FILE`` (Kubernetes Secret mounts)."""
    env = os.environ if env is None else env
    if value := env.get(name):
        return value.encode()
    if path := env.get(f"{name}_FILE"):
        return Path(path).read_bytes().strip()
    return None
