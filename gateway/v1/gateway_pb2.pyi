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

class RegistrationVerdict(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REGISTRATION_VERDICT_UNSPECIFIED: _ClassVar[RegistrationVerdict]
    REGISTRATION_VERDICT_ALLOW: _ClassVar[RegistrationVerdict]
    REGISTRATION_VERDICT_REQUIRE_GUARDIAN_CONSENT: _ClassVar[RegistrationVerdict]
    REGISTRATION_VERDICT_DENY_UNDER_16: _ClassVar[RegistrationVerdict]
    REGISTRATION_VERDICT_DENY_BLACKLISTED: _ClassVar[RegistrationVerdict]
    REGISTRATION_VERDICT_REJECT_INVALID_IDENTITY: _ClassVar[RegistrationVerdict]
    REGISTRATION_VERDICT_REVIEW: _ClassVar[RegistrationVerdict]

class BroadcastVerdict(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BROADCAST_VERDICT_UNSPECIFIED: _ClassVar[BroadcastVerdict]
    BROADCAST_VERDICT_ALLOW: _ClassVar[BroadcastVerdict]
    BROADCAST_VERDICT_DENY: _ClassVar[BroadcastVerdict]
REGISTRATION_VERDICT_UNSPECIFIED: RegistrationVerdict
REGISTRATION_VERDICT_ALLOW: RegistrationVerdict
REGISTRATION_VERDICT_REQUIRE_GUARDIAN_CONSENT: RegistrationVerdict
REGISTRATION_VERDICT_DENY_UNDER_16: RegistrationVerdict
REGISTRATION_VERDICT_DENY_BLACKLISTED: RegistrationVerdict
REGISTRATION_VERDICT_REJECT_INVALID_IDENTITY: RegistrationVerdict
REGISTRATION_VERDICT_REVIEW: RegistrationVerdict
BROADCAST_VERDICT_UNSPECIFIED: BroadcastVerdict
BROADCAST_VERDICT_ALLOW: BroadcastVerdict
BROADCAST_VERDICT_DENY: BroadcastVerdict

class CheckRegistrationRequest(_message.Message):
    __slots__ = ("platform_id", "account_id", "role", "person")
    PLATFORM_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    PERSON_FIELD_NUMBER: _ClassVar[int]
    platform_id: str
    account_id: str
    role: _common_pb2.SubjectRole
    person: _common_pb2.Person
    def __init__(self, platform_id: _Optional[str] = ..., account_id: _Optional[str] = ..., role: _Optional[_Union[_common_pb2.SubjectRole, str]] = ..., person: _Optional[_Union[_common_pb2.Person, _Mapping]] = ...) -> None: ...

class BlacklistMatch(_message.Message):
    __slots__ = ("entry_id", "category", "listed_until")
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    LISTED_UNTIL_FIELD_NUMBER: _ClassVar[int]
    entry_id: str
    category: str
    listed_until: _timestamp_pb2.Timestamp
    def __init__(self, entry_id: _Optional[str] = ..., category: _Optional[str] = ..., listed_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CheckRegistrationResponse(_message.Message):
    __slots__ = ("verdict", "reasons", "verification_id", "subject_digest", "masked_id_number", "blacklist", "violations", "changes_at")
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    VERIFICATION_ID_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_DIGEST_FIELD_NUMBER: _ClassVar[int]
    MASKED_ID_NUMBER_FIELD_NUMBER: _ClassVar[int]
    BLACKLIST_FIELD_NUMBER: _ClassVar[int]
    VIOLATIONS_FIELD_NUMBER: _ClassVar[int]
    CHANGES_AT_FIELD_NUMBER: _ClassVar[int]
    verdict: RegistrationVerdict
    reasons: _containers.RepeatedScalarFieldContainer[str]
    verification_id: str
    subject_digest: str
    masked_id_number: str
    blacklist: BlacklistMatch
    violations: _containers.RepeatedCompositeFieldContainer[_common_pb2.FieldViolation]
    changes_at: _timestamp_pb2.Timestamp
    def __init__(self, verdict: _Optional[_Union[RegistrationVerdict, str]] = ..., reasons: _Optional[_Iterable[str]] = ..., verification_id: _Optional[str] = ..., subject_digest: _Optional[str] = ..., masked_id_number: _Optional[str] = ..., blacklist: _Optional[_Union[BlacklistMatch, _Mapping]] = ..., violations: _Optional[_Iterable[_Union[_common_pb2.FieldViolation, _Mapping]]] = ..., changes_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class PreBroadcastCheckRequest(_message.Message):
    __slots__ = ("platform_id", "account_id", "room_id", "session_id")
    PLATFORM_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    ROOM_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    platform_id: str
    account_id: str
    room_id: str
    session_id: str
    def __init__(self, platform_id: _Optional[str] = ..., account_id: _Optional[str] = ..., room_id: _Optional[str] = ..., session_id: _Optional[str] = ...) -> None: ...

class PreBroadcastCheckResponse(_message.Message):
    __slots__ = ("verdict", "reasons", "changes_at")
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    CHANGES_AT_FIELD_NUMBER: _ClassVar[int]
    verdict: BroadcastVerdict
    reasons: _containers.RepeatedScalarFieldContainer[str]
    changes_at: _timestamp_pb2.Timestamp
    def __init__(self, verdict: _Optional[_Union[BroadcastVerdict, str]] = ..., reasons: _Optional[_Iterable[str]] = ..., changes_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
