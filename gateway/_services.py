"""Which proto services live behind which backend (from the generated descriptors, not by hand)."""

from __future__ import annotations

from livetrust.blacklist.v1 import blacklist_pb2
from livetrust.credit.v1 import credit_pb2, enforcement_pb2, risk_pb2
from livetrust.gateway.v1 import gateway_pb2
from livetrust.identity.v1 import identity_pb2
from livetrust.retention.v1 import retention_pb2

__all__ = ["BACKEND_SERVICES", "GATEWAY_SERVICE"]

GATEWAY_SERVICE: str = gateway_pb2.DESCRIPTOR.services_by_name["ComplianceGateway"].full_name

#: backend name -> full names of the proto services it serves
BACKEND_SERVICES: dict[str, tuple[str, ...]] = {
    name: tuple(service.full_name for module in modules for service in module.DESCRIPTOR.services_by_name.values())
    for name, modules in {
        "identity": (identity_pb2,),
        "blacklist": (blacklist_pb2,),
        "credit": (credit_pb2, enforcement_pb2, risk_pb2),
        "retention": (retention_pb2,),
    }.items()
}
