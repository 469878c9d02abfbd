"""Who may call what through the gateway: one table for every RPC, and the interceptor that applies
it (authenticate the API key, rate-limit the key, check the role, check the platform)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf import descriptor_pool, message_factory
from google.protobuf.message import DecodeError, Message

from livetrust.errors import FieldViolation, InvalidArgument, PermissionDenied, ResourceExhausted, Unauthenticated
from livetrust.runtime import Caller, Role, current_caller, guard_handler

from ._keys import KeyRing
from ._ratelimit import RateLimiter

__all__ = ["ACCESS_RULES", "PUBLIC_SERVICES", "AccessInterceptor", "AccessRule"]

ANY_ROLE = frozenset({Role.PLATFORM, Role.REVIEWER, Role.ADMIN})
PLATFORM = frozenset({Role.PLATFORM})
REVIEWER = frozenset({Role.REVIEWER})
ADMIN = frozenset({Role.ADMIN})
PLATFORM_OR_REVIEWER = frozenset({Role.PLATFORM, Role.REVIEWER})


@dataclass(frozen=True, slots=True)
class AccessRule:
    roles: frozenset[Role]
    """Roles that may call. Empty with ``public``: anyone, no key needed."""
    own_platform_field: str | None = "platform_id"
    """The request field that must name a PLATFORM caller's own platform (None: not tenant-scoped);
    ``events.platform_id`` checks that field in every element of a repeated ``events``. Reviewers and
    admins act across platforms."""
    public: bool = False


def _rules(service: str, table: Mapping[str, AccessRule]) -> dict[str, AccessRule]:
    return {f"/{service}/{method}": rule for method, rule in table.items()}


_IDENTITY = "livetrust.identity.v1.IdentityService"
_BLACKLIST = "livetrust.blacklist.v1.BlacklistService"
_GATEWAY = "livetrust.gateway.v1.ComplianceGateway"
_CREDIT = "livetrust.credit.v1.CreditService"
_RETENTION = "livetrust.retention.v1.RetentionService"
_ENFORCEMENT = "livetrust.credit.v1.EnforcementService"
_RISK = "livetrust.credit.v1.RiskService"

#: Every RPC reachable through the gateway. An RPC missing here is refused (and fails the build:
#: a test walks every method found by reflection).
ACCESS_RULES: dict[str, AccessRule] = {
    **_rules(
        _IDENTITY,
        {
            "ValidateIdNumber": AccessRule(ANY_ROLE, own_platform_field=None),
            "VerifyIdentity": AccessRule(PLATFORM),
            "GetVerification": AccessRule(frozenset({Role.PLATFORM, Role.REVIEWER})),
            "CheckEligibility": AccessRule(frozenset({Role.PLATFORM, Role.REVIEWER})),
            "RequestGuardianConsent": AccessRule(PLATFORM),
            "ConfirmGuardianConsent": AccessRule(PLATFORM),
            "RevokeGuardianConsent": AccessRule(PLATFORM),
            "ListGuardianConsents": AccessRule(frozenset({Role.PLATFORM, Role.REVIEWER})),
            "RecordBroadcastCheck": AccessRule(PLATFORM),
            "GetBroadcastCheck": AccessRule(frozenset({Role.PLATFORM, Role.REVIEWER})),
        },
    ),
    **_rules(
        _BLACKLIST,
        {
            "SubmitEntry": AccessRule(PLATFORM),
            "ReviewEntry": AccessRule(REVIEWER, own_platform_field=None),
            "GetEntry": AccessRule(ANY_ROLE, own_platform_field=None),
            "ListEntries": AccessRule(ANY_ROLE, own_platform_field=None),
            "FileAppeal": AccessRule(frozenset({Role.PLATFORM, Role.REVIEWER}), own_platform_field=None),
            "ResolveAppeal": AccessRule(REVIEWER, own_platform_field=None),
            # Ownership of the entry is checked by the blacklist itself (it knows the entry's platform).
            "LiftEntry": AccessRule(frozenset({Role.PLATFORM, Role.REVIEWER}), own_platform_field=None),
            "Lookup": AccessRule(ANY_ROLE, own_platform_field=None),
            "LookupByPrefix": AccessRule(ANY_ROLE, own_platform_field=None),
            "ListChanges": AccessRule(ANY_ROLE, own_platform_field=None),
            "WatchChanges": AccessRule(ANY_ROLE, own_platform_field=None),
            "GetFilter": AccessRule(ANY_ROLE, own_platform_field=None),
            "StreamFilter": AccessRule(ANY_ROLE, own_platform_field=None),
            "VerifyAuditLog": AccessRule(frozenset({Role.REVIEWER, Role.ADMIN}), own_platform_field=None),
        },
    ),
    **_rules(
        _CREDIT,
        {
            "RecordEvents": AccessRule(PLATFORM, own_platform_field="events.platform_id"),
            "GetCreditScore": AccessRule(PLATFORM_OR_REVIEWER),
            "GetPublicCreditStatus": AccessRule(frozenset(), own_platform_field=None, public=True),
            "GetEntitlements": AccessRule(PLATFORM_OR_REVIEWER),
            "OverturnEvent": AccessRule(PLATFORM_OR_REVIEWER),
            "SimulateScore": AccessRule(ANY_ROLE),
            "PublishModel": AccessRule(ADMIN, own_platform_field=None),
            "GetRescoreJob": AccessRule(frozenset({Role.ADMIN, Role.REVIEWER}), own_platform_field=None),
            "RecordRoomMetrics": AccessRule(PLATFORM),
            "GetRoomTier": AccessRule(PLATFORM_OR_REVIEWER),
            "ListKeyRooms": AccessRule(PLATFORM_OR_REVIEWER),
        },
    ),
    **_rules(
        _ENFORCEMENT,
        {
            "ApplyMeasure": AccessRule(PLATFORM_OR_REVIEWER),
            "LiftMeasure": AccessRule(PLATFORM_OR_REVIEWER),
            "ListMeasures": AccessRule(PLATFORM_OR_REVIEWER),
            "GetActiveRestrictions": AccessRule(PLATFORM_OR_REVIEWER),
            # A platform exports its own; reviewers any platform's.
            "ExportRegulatorReport": AccessRule(PLATFORM_OR_REVIEWER),
        },
    ),
    **_rules(
        _RISK,
        {
            "AssessSegment": AccessRule(PLATFORM),
            # Each streamed segment names its platform; the credit service checks it against the caller.
            "StreamAssess": AccessRule(PLATFORM, own_platform_field=None),
        },
    ),
    **_rules(
        _RETENTION,
        {
            "UpsertPolicy": AccessRule(frozenset({Role.PLATFORM, Role.ADMIN})),
            "LockPolicy": AccessRule(frozenset({Role.PLATFORM, Role.ADMIN})),
            "ListPolicies": AccessRule(ANY_ROLE),
            "RegisterArtifact": AccessRule(PLATFORM),
            "GetRetention": AccessRule(ANY_ROLE),
            # Credit calls it directly; through the gateway only operators may.
            "SetRoomTier": AccessRule(ADMIN, own_platform_field=None),
            "PlaceLegalHold": AccessRule(PLATFORM_OR_REVIEWER),
            "ReleaseLegalHold": AccessRule(PLATFORM_OR_REVIEWER),
            "PlaceEventHold": AccessRule(PLATFORM),
            "PlanPurge": AccessRule(frozenset({Role.PLATFORM, Role.ADMIN})),
            "ExecutePurge": AccessRule(frozenset({Role.PLATFORM, Role.ADMIN})),
            "ListTombstones": AccessRule(ANY_ROLE),
        },
    ),
    **_rules(
        _GATEWAY,
        {
            "CheckRegistration": AccessRule(PLATFORM),
            "PreBroadcastCheck": AccessRule(PLATFORM),
        },
    ),
}

#: Served by the gateway itself without a key.
PUBLIC_SERVICES = (
    "/grpc.health.v1.Health/",
    "/grpc.reflection.v1alpha.ServerReflection/",
    "/grpc.reflection.v1.ServerReflection/",
)


def _platforms_named(message: Any, path: str) -> list[str]:
    """The platform ids a request names at ``path`` (``field`` or ``repeated.field``)."""
    head, _, rest = path.partition(".")
    value = getattr(message, head, None)
    if not rest:
        return [value] if isinstance(value, str) else []
    items = value if isinstance(value, Sequence) or hasattr(value, "__iter__") else [value]
    return [p for item in items for p in _platforms_named(item, rest)]


def _request_class(method: str) -> type[Message] | None:
    service, _, name = method.lstrip("/").partition("/")
    try:
        descriptor = descriptor_pool.Default().FindServiceByName(service).methods_by_name[name]
    except KeyError:
        return None
    return message_factory.GetMessageClass(descriptor.input_type)


class AccessInterceptor(grpc.aio.ServerInterceptor):
    """Admits a call only with a valid, unrevoked key of an allowed role, within its rate, acting
    for its own platform; then ``current_caller`` names it (the proxy signs it for the services)."""

    def __init__(
        self,
        *,
        keys: KeyRing,
        limiter: RateLimiter,
        default_rate: float,
        default_burst: int,
        rules: Mapping[str, AccessRule] = ACCESS_RULES,
    ) -> None:
        self._keys = keys
        self._limiter = limiter
        self._default_rate = default_rate
        self._default_burst = default_burst
        self._rules = dict(rules)
        self._classes: dict[str, type[Message] | None] = {}

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(details)
        method = details.method
        if handler is None or method.startswith(PUBLIC_SERVICES):
            return handler
        token = next(
            (v for k, v in details.invocation_metadata or () if k == "authorization" and isinstance(v, str)), None
        )

        async def admit(request: Any, context: grpc.aio.ServicerContext) -> None:
            current_caller.set(await self._admit(method, token, request))

        return guard_handler(handler, admit)

    async def _admit(self, method: str, authorization: str | None, request: Any) -> Caller | None:
        rule = self._rules.get(method)
        if rule is None:
            raise PermissionDenied("no access rule allows this method", reason="NO_ACCESS_RULE")
        if rule.public and authorization is None:
            return None
        if authorization is None or not authorization.startswith("Bearer "):
            raise Unauthenticated("an API key is required: authorization: Bearer <key>", reason="API_KEY_MISSING")
        key = await self._keys.authenticate(authorization.removeprefix("Bearer ").strip())
        retry_after = self._limiter.take(
            key.key_id,
            rate=key.rate_per_second or self._default_rate,
            burst=key.burst or self._default_burst,
        )
        if retry_after > 0:
            raise ResourceExhausted(
                "rate limit exceeded for this key", reason="RATE_LIMITED", retry_after_seconds=retry_after
            )
        if key.role not in rule.roles and not rule.public:
            raise PermissionDenied(f"role {key.role.value} may not call this method", reason="ROLE_NOT_ALLOWED")
        if rule.own_platform_field and key.role is Role.PLATFORM and request is not None:
            named = _platforms_named(self._message(method, request), rule.own_platform_field)
            if not named or any(p != key.platform_id for p in named):
                raise PermissionDenied("a platform may only act for itself", reason="OTHER_PLATFORM")
        return Caller(platform_id=key.platform_id, role=key.role, key_id=key.key_id)

    def _message(self, method: str, request: Any) -> Any:
        if not isinstance(request, bytes):
            return request  # the gateway's own servicer: already parsed
        if method not in self._classes:
            self._classes[method] = _request_class(method)
        cls = self._classes[method]
        if cls is None:
            return request
        try:
            return cls.FromString(request)  # parsed to authorize only; the original bytes are forwarded
        except DecodeError:
            raise InvalidArgument([FieldViolation("request", "not a valid message", "MALFORMED")]) from None
