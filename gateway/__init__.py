"""The gateway: the single entry for callers. Routes every service's RPCs, mirrors their health,
serves reflection for all of them, and (later) authenticates and runs the composite flows."""

from ._app import MIGRATIONS_DIR, build_gateway
from ._proxy import Backend, MethodHooks, ProxyHandler, forwardable_metadata

__all__ = ["MIGRATIONS_DIR", "Backend", "MethodHooks", "ProxyHandler", "build_gateway", "forwardable_metadata"]
