"""The gateway: the single entry for callers. Routes every service's RPCs, mirrors their health,
serves reflection for all of them, and (later) authenticates and runs the composite flows."""

from ._app import build_gateway
from ._proxy import Backend, ProxyHandler, forwardable_metadata

__all__ = ["Backend", "ProxyHandler", "build_gateway", "forwardable_metadata"]
