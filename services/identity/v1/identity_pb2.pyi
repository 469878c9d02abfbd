import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from livetrust.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Sex(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SEX_UNSPECIFIED: _ClassVar[Sex]
    SEX_MALE: _ClassVar[Sex]
    SEX_FEMALE: _ClassVar[Sex]

class VerificationStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VERIFICATION_STATUS_UNSPECIFIED: _ClassVar[VerificationStatus]
    VERIFICATION_STATUS_PENDING: _ClassVar[VerificationStatus]
    VERIFICATION_STATUS_VERIFIED: _ClassVar[VerificationStatus]
    VERIFICATION_STATUS_REJECTED: _ClassVar[VerificationStatus]
    VERIFICATION_STATUS_NEEDS_REVIEW: _ClassVar[VerificationStatus]

class AgeBand(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AGE_BAND_UNSPECIFIED: _ClassVar[AgeBand]
    AGE_BAND_UNDER_16: _ClassVar[AgeBand]
    AGE_BAND_AGE_16_17: _ClassVar[AgeBand]
    AGE_BAND_ADULT: _ClassVar[AgeBand]
    AGE_BAND_NOT_APPLICABLE: _ClassVar[AgeBand]

class Eligibility(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ELIGIBILITY_UNSPECIFIED: _ClassVar[Eligibility]
    ELIGIBILITY_ELIGIBLE: _ClassVar[Eligibility]
    ELIGIBILITY_NEEDS_GUARDIAN_CONSENT: _ClassVar[Eligibility]
    ELIGIBILITY_INELIGIBLE: _ClassVar[Eligibility]

class ConsentStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONSENT_STATUS_UNSPECIFIED: _ClassVar[ConsentStatus]
    CONSENT_STATUS_REQUESTED: _ClassVar[ConsentStatus]
    CONSENT_STATUS_GRANTED: _ClassVar[ConsentStatus]
    CONSENT_STATUS_REVOKED: _ClassVar[ConsentStatus]
    CONSENT_STATUS_EXPIRED: _ClassVar[ConsentStatus]

class GuardianRelationship(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    GUARDIAN_RELATIONSHIP_UNSPECIFIED: _ClassVar[GuardianRelationship]
    GUARDIAN_RELATIONSHIP_PARENT: _ClassVar[GuardianRelationship]
    GUARDIAN_RELATIONSHIP_GRANDPARENT: _ClassVar[GuardianRelationship]
    GUARDIAN_RELATIONSHIP_SIBLING: _ClassVar[GuardianRelationship]
    GUARDIAN_RELATIONSHIP_COURT_APPOINTED: _ClassVar[GuardianRelationship]
    GUARDIAN_RELATIONSHIP_OTHER_LEGAL_GUARDIAN: _ClassVar[GuardianRelationship]

class BroadcastCheckMethod(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BROADCAST_CHECK_METHOD_UNSPECIFIED: _ClassVar[BroadcastCheckMethod]
    BROADCAST_CHECK_METHOD_FACE_MATCH: _ClassVar[BroadcastCheckMethod]
    BROADCAST_CHECK_METHOD_LIVENESS: _ClassVar[BroadcastCheckMethod]
    BROADCAST_CHECK_METHOD_FACE_MATCH_AND_LIVENESS: _ClassVar[BroadcastCheckMethod]
SEX_UNSPECIFIED: Sex
SEX_MALE: Sex
SEX_FEMALE: Sex
VERIFICATION_STATUS_UNSPECIFIED: VerificationStatus
VERIFICATION_STATUS_PENDING: VerificationStatus
VERIFICATION_STATUS_VERIFIED: VerificationStatus
VERIFICATION_STATUS_REJECTED: VerificationStatus
VERIFICATION_STATUS_NEEDS_REVIEW: VerificationStatus
AGE_BAND_UNSPECIFIED: AgeBand
AGE_BAND_UNDER_16: AgeBand
AGE_BAND_AGE_16_17: AgeBand
AGE_BAND_ADULT: AgeBand
AGE_BAND_NOT_APPLICABLE: AgeBand
ELIGIBILITY_UNSPECIFIED: Eligibility
ELIGIBILITY_ELIGIBLE: Eligibility
ELIGIBILITY_NEEDS_GUARDIAN_CONSENT: Eligibility
ELIGIBILITY_INELIGIBLE: Eligibility
CONSENT_STATUS_UNSPECIFIED: ConsentStatus
CONSENT_STATUS_REQUESTED: ConsentStatus
CONSENT_STATUS_GRANTED: ConsentStatus
CONSENT_STATUS_REVOKED: ConsentStatus
CONSENT_STATUS_EXPIRED: ConsentStatus
GUARDIAN_RELATIONSHIP_UNSPECIFIED: GuardianRelationship
GUARDIAN_RELATIONSHIP_PARENT: GuardianRelationship
GUARDIAN_RELATIONSHIP_GRANDPARENT: GuardianRelationship
GUARDIAN_RELATIONSHIP_SIBLING: GuardianRelationship
GUARDIAN_RELATIONSHIP_COURT_APPOINTED: GuardianRelationship
GUARDIAN_RELATIONSHIP_OTHER_LEGAL_GUARDIAN: GuardianRelationship
BROADCAST_CHECK_METHOD_UNSPECIFIED: BroadcastCheckMethod
BROADCAST_CHECK_METHOD_FACE_MATCH: BroadcastCheckMethod
BROADCAST_CHECK_METHOD_LIVENESS: BroadcastCheckMethod
BROADCAST_CHECK_METHOD_FACE_MATCH_AND_LIVENESS: BroadcastCheckMethod

class ValidateIdNumberRequest(_message.Message):
    __slots__ = ("id_type", "id_number")
    ID_TYPE_FIELD_NUMBER: _ClassVar[int]
    ID_NUMBER_FIELD_NUMBER: _ClassVar[int]
    id_type: _common_pb2.IdType
    id_number: str
    def __init__(self, id_type: _Optional[_Union[_common_pb2.IdType, str]] = ..., id_number: _Optional[str] = ...) -> None: ...

class ValidateIdNumberResponse(_message.Message):
    __slots__ = ("valid", "normalized_id_number", "birth_date", "sex", "violations")
    VALID_FIELD_NUMBER: _ClassVar[int]
    NORMALIZED_ID_NUMBER_FIELD_NUMBER: _ClassVar[int]
    BIRTH_DATE_FIELD_NUMBER: _ClassVar[int]
    SEX_FIELD_NUMBER: _ClassVar[int]
    VIOLATIONS_FIELD_NUMBER: _ClassVar[int]
    valid: bool
    normalized_id_number: str
    birth_date: _common_pb2.Date
    sex: Sex
    violations: _containers.RepeatedCompositeFieldContainer[_common_pb2.FieldViolation]
    def __init__(self, valid: _Optional[bool] = ..., normalized_id_number: _Optional[str] = ..., birth_date: _Optional[_Union[_common_pb2.Date, _Mapping]] = ..., sex: _Optional[_Union[Sex, str]] = ..., violations: _Optional[_Iterable[_Union[_common_pb2.FieldViolation, _Mapping]]] = ...) -> None: ...

class Verification(_message.Message):
    __slots__ = ("verification_id", "platform_id", "account_id", "role", "status", "reasons", "masked_id_number", "age_band", "eligibility", "subject_digest", "reverify_by", "verified_at", "created_at", "updated_at", "id_type", "provider", "eligibility_reasons", "eligibility_changes_at")
    VERIFICATION_ID_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    MASKED_ID_NUMBER_FIELD_NUMBER: _ClassVar[int]
    AGE_BAND_FIELD_NUMBER: _ClassVar[int]
    ELIGIBILITY_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_DIGEST_FIELD_NUMBER: _ClassVar[int]
    REVERIFY_BY_FIELD_NUMBER: _ClassVar[int]
    VERIFIED_AT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    ID_TYPE_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    ELIGIBILITY_REASONS_FIELD_NUMBER: _ClassVar[int]
    ELIGIBILITY_CHANGES_AT_FIELD_NUMBER: _ClassVar[int]
    verification_id: str
    platform_id: str
    account_id: str
    role: _common_pb2.SubjectRole
    status: VerificationStatus
    reasons: _containers.RepeatedScalarFieldContainer[str]
    masked_id_number: str
    age_band: AgeBand
    eligibility: Eligibility
    subject_digest: str
    reverify_by: _timestamp_pb2.Timestamp
    verified_at: _timestamp_pb2.Timestamp
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    id_type: _common_pb2.IdType
    provider: str
    eligibility_reasons: _containers.RepeatedScalarFieldContainer[str]
    eligibility_changes_at: _timestamp_pb2.Timestamp
    def __init__(self, verification_id: _Optional[str] = ..., platform_id: _Optional[str] = ..., account_id: _Optional[str] = ..., role: _Optional[_Union[_common_pb2.SubjectRole, str]] = ..., status: _Optional[_Union[VerificationStatus, str]] = ..., reasons: _Optional[_Iterable[str]] = ..., masked_id_number: _Optional[str] = ..., age_band: _Optional[_Union[AgeBand, str]] = ..., eligibility: _Optional[_Union[Eligibility, str]] = ..., subject_digest: _Optional[str] = ..., reverify_by: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., verified_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., id_type: _Optional[_Union[_common_pb2.IdType, str]] = ..., provider: _Optional[str] = ..., eligibility_reasons: _Optional[_Iterable[str]] = ..., eligibility_changes_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class VerifyIdentityRequest(_message.Message):
    __slots__ = ("platform_id", "account_id", "role", "person", "reverify")
    PLATFORM_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    PERSON_FIELD_NUMBER: _ClassVar[int]
    REVERIFY_FIELD_NUMBER: _ClassVar[int]
    platform_id: str
    account_id: str
    role: _common_pb2.SubjectRole
    person: _common_pb2.Person
    reverify: bool
    def __init__(self, platform_id: _Optional[str] = ..., account_id: _Optional[str] = ..., role: _Optional[_Union[_common_pb2.SubjectRole, str]] = ..., person: _Optional[_Union[_common_pb2.Person, _Mapping]] = ..., reverify: _Optional[bool] = ...) -> None: ...

class VerifyIdentityResponse(_message.Message):
    __slots__ = ("verification",)
    VERIFICATION_FIELD_NUMBER: _ClassVar[int]
    verification: Verification
    def __init__(self, verification: _Optional[_Union[Verification, _Mapping]] = ...) -> None: ...

class GetVerificationRequest(_message.Message):
    __slots__ = ("verification_id", "platform_id")
    VERIFICATION_ID_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_ID_FIELD_NUMBER: _ClassVar[int]
    verification_id: str
    platform_id: str
    def __init__(self, verification_id: _Optional[str] = ..., platform_id: _Optional[str] = ...) -> None: ...

class GetVerificationResponse(_message.Message):
    __slots__ = ("verification",)
    VERIFICATION_FIELD_NUMBER: _ClassVar[int]
    verification: Verification
    def __init__(self, verification: _Optional[_Union[Verification, _Mapping]] = ...) -> None: ...

class CheckEligibilityRequest(_message.Message):
    __slots__ = ("platform_id", "account_id", "as_of")
    PLATFORM_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    platform_id: str
    account_id: str
    as_of: _timestamp_pb2.Timestamp
    def __init__(self, platform_id: _Optional[str] = ..., account_id: _Optional[str] = ..., as_of: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CheckEligibilityResponse(_message.Message):
    __slots__ = ("eligibility", "reasons", "changes_at", "verification_id", "age_band", "subject_digest", "reverify_by")
    ELIGIBILITY_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    CHANGES_AT_FIELD_NUMBER: _ClassVar[int]
    VERIFICATION_ID_FIELD_NUMBER: _ClassVar[int]
    AGE_BAND_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_DIGEST_FIELD_NUMBER: _ClassVar[int]
    REVERIFY_BY_FIELD_NUMBER: _ClassVar[int]
    eligibility: Eligibility
    reasons: _containers.RepeatedScalarFieldContainer[str]
    changes_at: _timestamp_pb2.Timestamp
    verification_id: str
    age_band: AgeBand
    subject_digest: str
    reverify_by: _timestamp_pb2.Timestamp
    def __init__(self, eligibility: _Optional[_Union[Eligibility, str]] = ..., reasons: _Optional[_Iterable[str]] = ..., changes_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., verification_id: _Optional[str] = ..., age_band: _Optional[_Union[AgeBand, str]] = ..., subject_digest: _Optional[str] = ..., reverify_by: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GuardianConsent(_message.Message):
    __slots__ = ("consent_id", "platform_id", "account_id", "minor_verification_id", "status", "relationship", "guardian_masked_id_number", "guardian_subject_digest", "evidence_ref", "consent_text_version", "requested_at", "granted_at", "revoked_at", "revoke_reason", "expires_at")
    CONSENT_ID_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    MINOR_VERIFICATION_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    RELATIONSHIP_FIELD_NUMBER: _ClassVar[int]
    GUARDIAN_MASKED_ID_NUMBER_FIELD_NUMBER: _ClassVar[int]
    GUARDIAN_SUBJECT_DIGEST_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_REF_FIELD_NUMBER: _ClassVar[int]
    CONSENT_TEXT_VERSION_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_AT_FIELD_NUMBER: _ClassVar[int]
    GRANTED_AT_FIELD_NUMBER: _ClassVar[int]
    REVOKED_AT_FIELD_NUMBER: _ClassVar[int]
    REVOKE_REASON_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    consent_id: str
    platform_id: str
    account_id: str
    minor_verification_id: str
    status: ConsentStatus
    relationship: GuardianRelationship
    guardian_masked_id_number: str
    guardian_subject_digest: str
    evidence_ref: str
    consent_text_version: str
    requested_at: _timestamp_pb2.Timestamp
    granted_at: _timestamp_pb2.Timestamp
    revoked_at: _timestamp_pb2.Timestamp
    revoke_reason: str
    expires_at: _timestamp_pb2.Timestamp
    def __init__(self, consent_id: _Optional[str] = ..., platform_id: _Optional[str] = ..., account_id: _Optional[str] = ..., minor_verification_id: _Optional[str] = ..., status: _Optional[_Union[ConsentStatus, str]] = ..., relationship: _Optional[_Union[GuardianRelationship, str]] = ..., guardian_masked_id_number: _Optional[str] = ..., guardian_subject_digest: _Optional[str] = ..., evidence_ref: _Optional[str] = ..., consent_text_version: _Optional[str] = ..., requested_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., granted_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., revoked_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., revoke_reason: _Optional[str] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RequestGuardianConsentRequest(_message.Message):
    __slots__ = ("platform_id", "account_id", "guardian", "relationship", "request_id")
    PLATFORM_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    GUARDIAN_FIELD_NUMBER: _ClassVar[int]
    RELATIONSHIP_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    platform_id: str
    account_id: str
    guardian: _common_pb2.Person
    relationship: GuardianRelationship
    request_id: str
    def __init__(self, platform_id: _Optional[str] = ..., account_id: _Optional[str] = ..., guardian: _Optional[_Union[_common_pb2.Person, _Mapping]] = ..., relationship: _Optional[_Union[GuardianRelationship, str]] = ..., request_id: _Optional[str] = ...) -> None: ...

class RequestGuardianConsentResponse(_message.Message):
    __slots__ = ("consent",)
    CONSENT_FIELD_NUMBER: _ClassVar[int]
    consent: GuardianConsent
    def __init__(self, consent: _Optional[_Union[GuardianConsent, _Mapping]] = ...) -> None: ...

class ConfirmGuardianConsentRequest(_message.Message):
    __slots__ = ("platform_id", "consent_id", "evidence_ref", "consent_text_version")
    PLATFORM_ID_FIELD_NUMBER: _ClassVar[int]
    CONSENT_ID_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_REF_FIELD_NUMBER: _ClassVar[int]
    CONSENT_TEXT_VERSION_FIELD_NUMBER: _ClassVar[int]
    platform_id: str
    consent_id: str
    evidence_ref: str
    consent_text_version: str
    def __init__(self, platform_id: _Optional[str] = ..., consent_id: _Optional[str] = ..., evidence_ref: _Optional[str] = ..., consent_text_version: _Optional[str] = ...) -> None: ...

class ConfirmGuardianConsentResponse(_message.Message):
    __slots__ = ("consent",)
    CONSENT_FIELD_NUMBER: _ClassVar[int]
    consent: GuardianConsent
    def __init__(self, consent: _Optional[_Union[GuardianConsent, _Mapping]] = ...) -> None: ...

class RevokeGuardianConsentRequest(_message.Message):
    __slots__ = ("platform_id", "consent_id", "reason")
    PLATFORM_ID_FIELD_NUMBER: _ClassVar[int]
    CONSENT_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    platform_id: str
    consent_id: str
    reason: str
    def __init__(self, platform_id: _Optional[str] = ..., consent_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class RevokeGuardianConsentResponse(_message.Message):
    __slots__ = ("consent",)
    CONSENT_FIELD_NUMBER: _ClassVar[int]
    consent: GuardianConsent
    def __init__(self, consent: _Optional[_Union[GuardianConsent, _Mapping]] = ...) -> None: ...

class ListGuardianConsentsRequest(_message.Message):
    __slots__ = ("platform_id", "account_id", "page_size", "page_token")
    PLATFORM_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    platform_id: str
    account_id: str
    page_size: int
    page_token: str
    def __init__(self, platform_id: _Optional[str] = ..., account_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListGuardianConsentsResponse(_message.Message):
    __slots__ = ("consents", "next_page_token")
    CONSENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    consents: _containers.RepeatedCompositeFieldContainer[GuardianConsent]
    next_page_token: str
    def __init__(self, consents: _Optional[_Iterable[_Union[GuardianConsent, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class BroadcastCheck(_message.Message):
    __slots__ = ("check_id", "platform_id", "account_id", "session_id", "passed", "method", "checked_at")
    CHECK_ID_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    PASSED_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    CHECKED_AT_FIELD_NUMBER: _ClassVar[int]
    check_id: str
    platform_id: str
    account_id: str
    session_id: str
    passed: bool
    method: BroadcastCheckMethod
    checked_at: _timestamp_pb2.Timestamp
    def __init__(self, check_id: _Optional[str] = ..., platform_id: _Optional[str] = ..., account_id: _Optional[str] = ..., session_id: _Optional[str] = ..., passed: _Optional[bool] = ..., method: _Optional[_Union[BroadcastCheckMethod, str]] = ..., checked_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RecordBroadcastCheckRequest(_message.Message):
    __slots__ = ("platform_id", "account_id", "session_id", "passed", "method", "checked_at", "request_id")
    PLATFORM_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    PASSED_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    CHECKED_AT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    platform_id: str
    account_id: str
    session_id: str
    passed: bool
    method: BroadcastCheckMethod
    checked_at: _timestamp_pb2.Timestamp
    request_id: str
    def __init__(self, platform_id: _Optional[str] = ..., account_id: _Optional[str] = ..., session_id: _Optional[str] = ..., passed: _Optional[bool] = ..., method: _Optional[_Union[BroadcastCheckMethod, str]] = ..., checked_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class RecordBroadcastCheckResponse(_message.Message):
    __slots__ = ("check",)
    CHECK_FIELD_NUMBER: _ClassVar[int]
    check: BroadcastCheck
    def __init__(self, check: _Optional[_Union[BroadcastCheck, _Mapping]] = ...) -> None: ...

class GetBroadcastCheckRequest(_message.Message):
    __slots__ = ("platform_id", "account_id", "session_id")
    PLATFORM_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    platform_id: str
    account_id: str
    session_id: str
    def __init__(self, platform_id: _Optional[str] = ..., account_id: _Optional[str] = ..., session_id: _Optional[str] = ...) -> None: ...

class GetBroadcastCheckResponse(_message.Message):
    __slots__ = ("check",)
    CHECK_FIELD_NUMBER: _ClassVar[int]
    check: BroadcastCheck
    def __init__(self, check: _Optional[_Union[BroadcastCheck, _Mapping]] = ...) -> None: ...
