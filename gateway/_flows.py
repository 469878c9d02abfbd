"""The composite flows: registration check and pre-broadcast check, each one call under one deadline.

Backends are asked as the caller (gateway-signed metadata), so their own rules apply. A backend that
cannot answer makes the flow answer UNAVAILABLE naming it: never ALLOW by default. The blacklist step
takes a certain miss from the gateway's mirror of the registry while that mirror is current
(``_blacklist_mirror``); the registry answers everything else.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, NoReturn, TypeVar

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from opentelemetry import metrics

from livetrust.blacklist.v1 import blacklist_pb2, blacklist_pb2_grpc
from livetrust.clock import Clock
from livetrust.common.v1 import common_pb2
from livetrust.credit.v1 import enforcement_pb2, enforcement_pb2_grpc
from livetrust.errors import Unavailable
from livetrust.identity.v1 import identity_pb2, identity_pb2_grpc
from livetrust.runtime import outbound_timeout, status_for_error

from ._blacklist_mirror import FreshMirror
from .v1 import gateway_pb2 as pb
from .v1 import gateway_pb2_grpc

__all__ = ["ComplianceFlows"]

T = TypeVar("T")
_verdicts = metrics.get_meter("livetrust").create_counter(
    "livetrust.gateway.verdicts", description="Composite-flow answers, by flow and verdict"
)
Metadata = Callable[[], list[tuple[str, str]]]


async def _abort_for(context: grpc.aio.ServicerContext, exc: grpc.aio.AioRpcError, dependency: str) -> NoReturn:
    """A backend failed: UNAVAILABLE naming it when it could not answer, else its own status."""
    if exc.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.CANCELLED):
        error = Unavailable(
            f"{dependency} service unavailable",
            reason="DEPENDENCY_UNAVAILABLE",
            metadata={"dependency": dependency},
            retry_after_seconds=1.0,
        )
        await context.abort_with_status(status_for_error(error, domain="livetrust.gateway"))
    # abort() wants a tuple: the call's Metadata object made every passed-on error INTERNAL (TypeError).
    await context.abort(exc.code(), exc.details() or "", tuple(exc.trailing_metadata() or ()))
    raise AssertionError("abort returned")  # pragma: no cover


def _violations(exc: grpc.aio.AioRpcError) -> list[common_pb2.FieldViolation]:
    status = rpc_status.from_call(exc)  # type: ignore[arg-type]
    out: list[common_pb2.FieldViolation] = []
    for detail in status.details if status else ():
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            out.extend(
                common_pb2.FieldViolation(field=v.field, reason=v.reason, description=v.description)
                for v in bad.field_violations
            )
    return out


class ComplianceFlows(gateway_pb2_grpc.ComplianceGatewayServicer):
    def __init__(
        self,
        *,
        identity: grpc.aio.Channel,
        blacklist: grpc.aio.Channel,
        credit: grpc.aio.Channel,
        caller_metadata: Metadata,
        clock: Clock,
        call_timeout_seconds: float,
        broadcast_check_max_age: timedelta,
        blacklist_mirror: FreshMirror | None = None,
    ) -> None:
        self._identity = identity_pb2_grpc.IdentityServiceStub(identity)
        self._blacklist = blacklist_pb2_grpc.BlacklistServiceStub(blacklist)
        self._enforcement = enforcement_pb2_grpc.EnforcementServiceStub(credit)
        self._metadata = caller_metadata
        self._clock = clock
        self._cap = call_timeout_seconds
        self._max_age = broadcast_check_max_age
        self._mirror = blacklist_mirror

    async def _call(
        self, context: grpc.aio.ServicerContext, dependency: str, rpc: Callable[..., Awaitable[T]], request: Any
    ) -> T:
        try:
            return await rpc(request, timeout=outbound_timeout(context, self._cap), metadata=self._metadata())
        except grpc.aio.AioRpcError as exc:
            await _abort_for(context, exc, dependency)

    async def _blacklisted(self, context: grpc.aio.ServicerContext, digest: str) -> blacklist_pb2.LookupResult | None:
        if self._mirror is not None and self._mirror.certainly_unlisted(digest):
            return None
        reply = await self._call(
            context, "blacklist", self._blacklist.Lookup, blacklist_pb2.LookupRequest(subject_digests=[digest])
        )
        return reply.results[0] if reply.results and reply.results[0].listed else None

    async def CheckRegistration(
        self, request: pb.CheckRegistrationRequest, context: grpc.aio.ServicerContext
    ) -> pb.CheckRegistrationResponse:
        response = await self._check_registration(request, context)
        _verdicts.add(1, {"flow": "registration", "verdict": pb.RegistrationVerdict.Name(response.verdict)})
        return response

    async def _check_registration(
        self, request: pb.CheckRegistrationRequest, context: grpc.aio.ServicerContext
    ) -> pb.CheckRegistrationResponse:
        verify = identity_pb2.VerifyIdentityRequest(
            platform_id=request.platform_id, account_id=request.account_id, role=request.role, person=request.person
        )
        try:
            verified = await self._identity.VerifyIdentity(
                verify, timeout=outbound_timeout(context, self._cap), metadata=self._metadata()
            )
        except grpc.aio.AioRpcError as exc:
            violations = _violations(exc) if exc.code() is grpc.StatusCode.INVALID_ARGUMENT else []
            # A verdict about the person only when the person's data is what was wrong; a malformed request
            # (no account, no role) is the caller's INVALID_ARGUMENT, passed on as identity gave it.
            if violations and all(v.field.startswith("person.") for v in violations):
                return pb.CheckRegistrationResponse(
                    verdict=pb.REGISTRATION_VERDICT_REJECT_INVALID_IDENTITY,
                    reasons=["INVALID_IDENTITY"],
                    violations=violations,
                )
            await _abort_for(context, exc, "identity")
        v = verified.verification
        response = pb.CheckRegistrationResponse(
            verification_id=v.verification_id, subject_digest=v.subject_digest, masked_id_number=v.masked_id_number
        )
        if v.status == identity_pb2.VERIFICATION_STATUS_REJECTED:
            response.verdict = pb.REGISTRATION_VERDICT_REJECT_INVALID_IDENTITY
            response.reasons.extend(["IDENTITY_REJECTED", *v.reasons])
            return response
        if v.status != identity_pb2.VERIFICATION_STATUS_VERIFIED:
            response.verdict = pb.REGISTRATION_VERDICT_REVIEW
            response.reasons.extend(v.reasons or ["VERIFICATION_PENDING"])
            return response
        # The verification carries the eligibility decision taken with it: one more call, the lookup.
        match = await self._blacklisted(context, v.subject_digest)
        if v.HasField("eligibility_changes_at"):
            response.changes_at.CopyFrom(v.eligibility_changes_at)
        if match is not None:
            response.verdict = pb.REGISTRATION_VERDICT_DENY_BLACKLISTED
            response.reasons.append("BLACKLISTED")
            response.blacklist.entry_id = match.entry_id
            response.blacklist.category = blacklist_pb2.Category.Name(match.category)
            if match.HasField("listed_until"):
                response.blacklist.listed_until.CopyFrom(match.listed_until)
            return response
        response.reasons.extend(v.eligibility_reasons)
        if v.eligibility == identity_pb2.ELIGIBILITY_ELIGIBLE:
            response.verdict = pb.REGISTRATION_VERDICT_ALLOW
        elif v.eligibility == identity_pb2.ELIGIBILITY_NEEDS_GUARDIAN_CONSENT:
            response.verdict = pb.REGISTRATION_VERDICT_REQUIRE_GUARDIAN_CONSENT
        elif "UNDER_16" in v.eligibility_reasons:
            response.verdict = pb.REGISTRATION_VERDICT_DENY_UNDER_16
        else:  # verified yet ineligible for another reason: a person must look
            response.verdict = pb.REGISTRATION_VERDICT_REVIEW
        return response

    async def PreBroadcastCheck(
        self, request: pb.PreBroadcastCheckRequest, context: grpc.aio.ServicerContext
    ) -> pb.PreBroadcastCheckResponse:
        eligibility_call = self._call(
            context,
            "identity",
            self._identity.CheckEligibility,
            identity_pb2.CheckEligibilityRequest(platform_id=request.platform_id, account_id=request.account_id),
        )
        restrictions_call = self._call(
            context,
            "credit",
            self._enforcement.GetActiveRestrictions,
            enforcement_pb2.GetActiveRestrictionsRequest(
                platform_id=request.platform_id, account_id=request.account_id
            ),
        )
        results = await asyncio.gather(
            eligibility_call, self._broadcast_check(context, request), restrictions_call, return_exceptions=True
        )
        if failures := [r for r in results if isinstance(r, BaseException)]:
            # Two backends may refuse at once; the first abort set the status, the second one's
            # "Abort already called!" (UsageError) must not turn it into an unhandled error.
            raise next((f for f in failures if isinstance(f, grpc.aio.AbortError)), failures[0])
        eligibility, check, restrictions = results
        reasons: list[str] = []
        if eligibility.eligibility != identity_pb2.ELIGIBILITY_ELIGIBLE:
            reasons.extend(eligibility.reasons)
        if check is None:
            reasons.append("BROADCAST_CHECK_MISSING")
        elif not check.passed:
            reasons.append("BROADCAST_CHECK_FAILED")
        elif self._clock.now() - check.checked_at.ToDatetime(tzinfo=self._clock.now().tzinfo) > self._max_age:
            reasons.append("BROADCAST_CHECK_STALE")
        if eligibility.subject_digest and await self._blacklisted(context, eligibility.subject_digest):
            reasons.append("BLACKLISTED")
        if not restrictions.go_live:  # enforcement measures and the credit band, merged by credit
            reasons.extend(
                r for r in restrictions.reasons if "NO_PROMOTION" not in r and r != "MEASURE_TRAFFIC_RESTRICTION"
            )
        response = pb.PreBroadcastCheckResponse(
            verdict=pb.BROADCAST_VERDICT_DENY if reasons else pb.BROADCAST_VERDICT_ALLOW, reasons=reasons or ["OK"]
        )
        _verdicts.add(1, {"flow": "pre_broadcast", "verdict": pb.BroadcastVerdict.Name(response.verdict)})
        if eligibility.HasField("changes_at"):
            response.changes_at.CopyFrom(eligibility.changes_at)
        return response

    async def _broadcast_check(
        self, context: grpc.aio.ServicerContext, request: pb.PreBroadcastCheckRequest
    ) -> identity_pb2.BroadcastCheck | None:
        try:
            reply = await self._identity.GetBroadcastCheck(
                identity_pb2.GetBroadcastCheckRequest(
                    platform_id=request.platform_id, account_id=request.account_id, session_id=request.session_id
                ),
                timeout=outbound_timeout(context, self._cap),
                metadata=self._metadata(),
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() is grpc.StatusCode.NOT_FOUND:
                return None
            await _abort_for(context, exc, "identity")
        return reply.check
