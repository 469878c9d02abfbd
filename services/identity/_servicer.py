"""gRPC adapter of the identity service: protobuf in, domain call, protobuf out. No rules here."""

from __future__ import annotations

import grpc

from livetrust.common.v1 import common_pb2
from livetrust.runtime import enum_from_proto, enum_to_proto, from_timestamp, set_timestamp, to_date

from ._age import AgeBand
from ._idnumbers import IdType
from ._service import (
    BroadcastCheckMethod,
    BroadcastCheckView,
    ConsentView,
    GuardianRelationship,
    IdentityService,
    Role,
    VerificationView,
)
from .v1 import identity_pb2 as pb
from .v1 import identity_pb2_grpc

__all__ = ["IdentityServicer"]


def _verification(view: VerificationView) -> pb.Verification:
    message = pb.Verification(
        verification_id=view.verification_id,
        platform_id=view.platform_id,
        account_id=view.account_id,
        role=enum_to_proto(view.role, common_pb2.SubjectRole),
        status=enum_to_proto(view.status, pb.VerificationStatus),
        reasons=list(view.reasons),
        masked_id_number=view.masked_id_number,
        age_band=_age_band(view.age_band, view.id_type),
        eligibility=enum_to_proto(view.eligibility, pb.Eligibility),
        subject_digest=view.subject_digest,
        id_type=enum_to_proto(view.id_type, common_pb2.IdType),
        provider=view.provider,
        eligibility_reasons=list(view.eligibility_reasons),
    )
    for name in ("reverify_by", "verified_at", "created_at", "updated_at", "eligibility_changes_at"):
        set_timestamp(message, name, getattr(view, name))
    return message


def _age_band(band: AgeBand | None, id_type: IdType) -> int:
    if band is None:
        return pb.AGE_BAND_NOT_APPLICABLE if id_type is IdType.USCC else pb.AGE_BAND_UNSPECIFIED
    return enum_to_proto(band, pb.AgeBand)


def _consent(view: ConsentView) -> pb.GuardianConsent:
    message = pb.GuardianConsent(
        consent_id=view.consent_id,
        platform_id=view.platform_id,
        account_id=view.account_id,
        minor_verification_id=view.minor_verification_id,
        status=enum_to_proto(view.status, pb.ConsentStatus),
        relationship=enum_to_proto(view.relationship, pb.GuardianRelationship),
        guardian_masked_id_number=view.guardian_masked_id_number,
        guardian_subject_digest=view.guardian_subject_digest,
        evidence_ref=view.evidence_ref,
        consent_text_version=view.consent_text_version,
        revoke_reason=view.revoke_reason,
    )
    for name in ("requested_at", "granted_at", "revoked_at", "expires_at"):
        set_timestamp(message, name, getattr(view, name))
    return message


def _check(view: BroadcastCheckView) -> pb.BroadcastCheck:
    message = pb.BroadcastCheck(
        check_id=view.check_id,
        platform_id=view.platform_id,
        account_id=view.account_id,
        session_id=view.session_id,
        passed=view.passed,
        method=enum_to_proto(view.method, pb.BroadcastCheckMethod),
    )
    set_timestamp(message, "checked_at", view.checked_at)
    return message


class IdentityServicer(identity_pb2_grpc.IdentityServiceServicer):
    def __init__(self, service: IdentityService) -> None:
        self._service = service

    async def ValidateIdNumber(
        self, request: pb.ValidateIdNumberRequest, context: grpc.aio.ServicerContext
    ) -> pb.ValidateIdNumberResponse:
        check = self._service.validate_id_number(
            id_type=enum_from_proto(request.id_type, common_pb2.IdType, IdType), id_number=request.id_number
        )
        response = pb.ValidateIdNumberResponse(
            valid=check.valid,
            normalized_id_number=check.normalized or "",
            sex=enum_to_proto(check.sex, pb.Sex),
            violations=[
                common_pb2.FieldViolation(field=v.field, reason=v.reason, description=v.description)
                for v in check.violations
            ],
        )
        if check.birth_date is not None:
            response.birth_date.CopyFrom(to_date(check.birth_date))
        return response

    async def VerifyIdentity(
        self, request: pb.VerifyIdentityRequest, context: grpc.aio.ServicerContext
    ) -> pb.VerifyIdentityResponse:
        view = await self._service.verify_identity(
            platform_id=request.platform_id,
            account_id=request.account_id,
            role=enum_from_proto(request.role, common_pb2.SubjectRole, Role),
            name=request.person.name,
            id_type=enum_from_proto(request.person.id_type, common_pb2.IdType, IdType),
            id_number=request.person.id_number,
            reverify=request.reverify,
        )
        return pb.VerifyIdentityResponse(verification=_verification(view))

    async def GetVerification(
        self, request: pb.GetVerificationRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetVerificationResponse:
        view = await self._service.get_verification(
            platform_id=request.platform_id, verification_id=request.verification_id
        )
        return pb.GetVerificationResponse(verification=_verification(view))

    async def CheckEligibility(
        self, request: pb.CheckEligibilityRequest, context: grpc.aio.ServicerContext
    ) -> pb.CheckEligibilityResponse:
        view = await self._service.check_eligibility(
            platform_id=request.platform_id,
            account_id=request.account_id,
            as_of=from_timestamp(request, "as_of"),
        )
        decision = view.decision
        response = pb.CheckEligibilityResponse(
            eligibility=enum_to_proto(decision.eligibility, pb.Eligibility),
            reasons=list(decision.reasons),
            verification_id=view.verification_id,
            age_band=enum_to_proto(decision.age_band, pb.AgeBand),
            subject_digest=view.subject_digest,
        )
        set_timestamp(response, "changes_at", decision.changes_at)
        set_timestamp(response, "reverify_by", view.reverify_by)
        return response

    async def RequestGuardianConsent(
        self, request: pb.RequestGuardianConsentRequest, context: grpc.aio.ServicerContext
    ) -> pb.RequestGuardianConsentResponse:
        view = await self._service.request_guardian_consent(
            platform_id=request.platform_id,
            account_id=request.account_id,
            guardian_name=request.guardian.name,
            guardian_id_type=enum_from_proto(request.guardian.id_type, common_pb2.IdType, IdType),
            guardian_id_number=request.guardian.id_number,
            relationship=enum_from_proto(request.relationship, pb.GuardianRelationship, GuardianRelationship),
            request_id=request.request_id,
        )
        return pb.RequestGuardianConsentResponse(consent=_consent(view))

    async def ConfirmGuardianConsent(
        self, request: pb.ConfirmGuardianConsentRequest, context: grpc.aio.ServicerContext
    ) -> pb.ConfirmGuardianConsentResponse:
        view = await self._service.confirm_guardian_consent(
            platform_id=request.platform_id,
            consent_id=request.consent_id,
            evidence_ref=request.evidence_ref,
            consent_text_version=request.consent_text_version,
        )
        return pb.ConfirmGuardianConsentResponse(consent=_consent(view))

    async def RevokeGuardianConsent(
        self, request: pb.RevokeGuardianConsentRequest, context: grpc.aio.ServicerContext
    ) -> pb.RevokeGuardianConsentResponse:
        view = await self._service.revoke_guardian_consent(
            platform_id=request.platform_id, consent_id=request.consent_id, reason=request.reason
        )
        return pb.RevokeGuardianConsentResponse(consent=_consent(view))

    async def ListGuardianConsents(
        self, request: pb.ListGuardianConsentsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListGuardianConsentsResponse:
        views, next_token = await self._service.list_guardian_consents(
            platform_id=request.platform_id,
            account_id=request.account_id,
            page_size_requested=request.page_size,
            page_token=request.page_token,
        )
        return pb.ListGuardianConsentsResponse(consents=[_consent(v) for v in views], next_page_token=next_token)

    async def RecordBroadcastCheck(
        self, request: pb.RecordBroadcastCheckRequest, context: grpc.aio.ServicerContext
    ) -> pb.RecordBroadcastCheckResponse:
        view = await self._service.record_broadcast_check(
            platform_id=request.platform_id,
            account_id=request.account_id,
            session_id=request.session_id,
            passed=request.passed,
            method=enum_from_proto(request.method, pb.BroadcastCheckMethod, BroadcastCheckMethod),
            checked_at=from_timestamp(request, "checked_at"),
            request_id=request.request_id,
        )
        return pb.RecordBroadcastCheckResponse(check=_check(view))

    async def GetBroadcastCheck(
        self, request: pb.GetBroadcastCheckRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetBroadcastCheckResponse:
        view = await self._service.get_broadcast_check(
            platform_id=request.platform_id, account_id=request.account_id, session_id=request.session_id
        )
        return pb.GetBroadcastCheckResponse(check=_check(view))
