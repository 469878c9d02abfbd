import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ContentClass(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONTENT_CLASS_UNSPECIFIED: _ClassVar[ContentClass]
    CONTENT_CLASS_LIVE_REPLAY: _ClassVar[ContentClass]
    CONTENT_CLASS_INTERACTION_RECORD: _ClassVar[ContentClass]
    CONTENT_CLASS_TRANSACTION_RECORD: _ClassVar[ContentClass]
    CONTENT_CLASS_VERIFICATION_RECORD: _ClassVar[ContentClass]
    CONTENT_CLASS_LIVE_CONTENT: _ClassVar[ContentClass]
    CONTENT_CLASS_LOG: _ClassVar[ContentClass]

class Mode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MODE_UNSPECIFIED: _ClassVar[Mode]
    MODE_GOVERNANCE: _ClassVar[Mode]
    MODE_COMPLIANCE: _ClassVar[Mode]

class RoomTier(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ROOM_TIER_UNSPECIFIED: _ClassVar[RoomTier]
    ROOM_TIER_KEY: _ClassVar[RoomTier]
    ROOM_TIER_STANDARD: _ClassVar[RoomTier]
    ROOM_TIER_WATCH: _ClassVar[RoomTier]

class ArtifactState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ARTIFACT_STATE_UNSPECIFIED: _ClassVar[ArtifactState]
    ARTIFACT_STATE_RETAINED: _ClassVar[ArtifactState]
    ARTIFACT_STATE_PURGEABLE: _ClassVar[ArtifactState]
    ARTIFACT_STATE_PURGING: _ClassVar[ArtifactState]
    ARTIFACT_STATE_PURGED: _ClassVar[ArtifactState]
CONTENT_CLASS_UNSPECIFIED: ContentClass
CONTENT_CLASS_LIVE_REPLAY: ContentClass
CONTENT_CLASS_INTERACTION_RECORD: ContentClass
CONTENT_CLASS_TRANSACTION_RECORD: ContentClass
CONTENT_CLASS_VERIFICATION_RECORD: ContentClass
CONTENT_CLASS_LIVE_CONTENT: ContentClass
CONTENT_CLASS_LOG: ContentClass
MODE_UNSPECIFIED: Mode
MODE_GOVERNANCE: Mode
MODE_COMPLIANCE: Mode
ROOM_TIER_UNSPECIFIED: RoomTier
ROOM_TIER_KEY: RoomTier
ROOM_TIER_STANDARD: RoomTier
ROOM_TIER_WATCH: RoomTier
ARTIFACT_STATE_UNSPECIFIED: ArtifactState
ARTIFACT_STATE_RETAINED: ArtifactState
ARTIFACT_STATE_PURGEABLE: ArtifactState
ARTIFACT_STATE_PURGING: ArtifactState
ARTIFACT_STATE_PURGED: ArtifactState

class Policy(_message.Message):
    __slots__ = ("platform_id", "content_class", "base_days", "key_room_extension_days", "mode", "locked", "version", "updated_at", "updated_by", "reason")
    PLATFORM_ID_FIELD_NUMBER: _ClassVar[int]
    CONTENT_CLASS_FIELD_NUMBER: _ClassVar[int]
    BASE_DAYS_FIELD_NUMBER: _ClassVar[int]
    KEY_ROOM_EXTENSION_DAYS_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    LOCKED_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_BY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    platform_id: str
    content_class: ContentClass
    base_days: int
    key_room_extension_days: int
    mode: Mode
    locked: bool
    version: int
    updated_at: _timestamp_pb2.Timestamp
    updated_by: str
    reason: str
    def __init__(self, platform_id: _Optional[str] = ..., content_class: _Optional[_Union[ContentClass, str]] = ..., base_days: _Optional[int] = ..., key_room_extension_days: _Optional[int] = ..., mode: _Optional[_Union[Mode, str]] = ..., locked: _Optional[bool] = ..., version: _Optional[int] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_by: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class UpsertPolicyRequest(_message.Message):
    __slots__ = ("platform_id", "content_class", "base_days", "key_room_extension_days", "mode", "reason")
    PLATFORM_ID_FIELD_NUMBER: _ClassVar[int]
    CONTENT_CLASS_FIELD_NUMBER: _ClassVar[int]
    BASE_DAYS_FIELD_NUMBER: _ClassVar[int]
    KEY_ROOM_EXTENSION_DAYS_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    platform_id: str
    content_class: ContentClass
    base_days: int
    key_room_extension_days: int
    mode: Mode
    reason: str
    def __init__(self, platform_id: _Optional[str] = ..., content_class: _Optional[_Union[ContentClass, str]] = ..., base_days: _Optional[int] = ..., key_room_extension_days: _Optional[int] = ..., mode: _Optional[_Union[Mode, str]] = ..., reason: _Optional[str] = ...) -> None: ...

class UpsertPolicyResponse(_message.Message):
    __slots__ = ("policy",)
    POLICY_FIELD_NUMBER: _ClassVar[int]
    policy: Policy
    def __init__(self, policy: _Optional[_Union[Policy, _Mapping]] = ...) -> None: ...

class LockPolicyRequest(_message.Message):
    __slots__ = ("platform_id", "content_class")
    PLATFORM_ID_FIELD_NUMBER: _ClassVar[int]
    CONTENT_CLASS_FIELD_NUMBER: _ClassVar[int]
    platform_id: str
    content_class: ContentClass
    def __init__(self, platform_id: _Optional[str] = ..., content_class: _Optional[_Union[ContentClass, str]] = ...) -> None: ...

class LockPolicyResponse(_message.Message):
    __slots__ = ("policy",)
    POLICY_FIELD_NUMBER: _ClassVar[int]
    policy: Policy
    def __init__(self, policy: _Optional[_Union[Policy, _Mapping]] = ...) -> None: ...

class ListPoliciesRequest(_message.Message):
    __slots__ = ("platform_id",)
    PLATFORM_ID_FIELD_NUMBER: _ClassVar[int]
    platform_id: str
    def __init__(self, platform_id: _Optional[str] = ...) -> None: ...

class ListPoliciesResponse(_message.Message):
    __slots__ = ("policies",)
    POLICIES_FIELD_NUMBER: _ClassVar[int]
    policies: _containers.RepeatedCompositeFieldContainer[Policy]
    def __init__(self, policies: _Optional[_Iterable[_Union[Policy, _Mapping]]] = ...) -> None: ...

class RegisterArtifactRequest(_message.Message):
    __slots__ = ("platform_id", "room_id", "session_id", "account_id", "content_class", "storage_uri", "size_bytes", "ended_at")
    PLATFORM_ID_FIELD_NUMBER: _ClassVar[int]
    ROOM_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    CONTENT_CLASS_FIELD_NUMBER: _ClassVar[int]
    STORAGE_URI_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    ENDED_AT_FIELD_NUMBER: _ClassVar[int]
    platform_id: str
    room_id: str
    session_id: str
    account_id: str
    content_class: ContentClass
    storage_uri: str
    size_bytes: int
    ended_at: _timestamp_pb2.Timestamp
    def __init__(self, platform_id: _Optional[str] = ..., room_id: _Optional[str] = ..., session_id: _Optional[str] = ..., account_id: _Optional[str] = ..., content_class: _Optional[_Union[ContentClass, str]] = ..., storage_uri: _Optional[str] = ..., size_bytes: _Optional[int] = ..., ended_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RegisterArtifactResponse(_message.Message):
    __slots__ = ("artifact_id", "retain_until", "created")
    ARTIFACT_ID_FIELD_NUMBER: _ClassVar[int]
    RETAIN_UNTIL_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    artifact_id: str
    retain_until: _timestamp_pb2.Timestamp
    created: bool
    def __init__(self, artifact_id: _Optional[str] = ..., retain_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created: _Optional[bool] = ...) -> None: ...

class GetRetentionRequest(_message.Message):
    __slots__ = ("platform_id", "artifact_id")
    PLATFORM_ID_FIELD_NUMBER: _ClassVar[int]
    ARTIFACT_ID_FIELD_NUMBER: _ClassVar[int]
    platform_id: str
    artifact_id: str
    def __init__(self, platform_id: _Optional[str] = ..., artifact_id: _Optional[str] = ...) -> None: ...

class GetRetentionResponse(_message.Message):
    __slots__ = ("artifact_id", "retain_until", "purgeable_at", "reasons", "state", "policy_version", "active_hold_ids")
    ARTIFACT_ID_FIELD_NUMBER: _ClassVar[int]
    RETAIN_UNTIL_FIELD_NUMBER: _ClassVar[int]
    PURGEABLE_AT_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    POLICY_VERSION_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_HOLD_IDS_FIELD_NUMBER: _ClassVar[int]
    artifact_id: str
    retain_until: _timestamp_pb2.Timestamp
    purgeable_at: _timestamp_pb2.Timestamp
    reasons: _containers.RepeatedScalarFieldContainer[str]
    state: ArtifactState
    policy_version: int
    active_hold_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, artifact_id: _Optional[str] = ..., retain_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., purgeable_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reasons: _Optional[_Iterable[str]] = ..., state: _Optional[_Union[ArtifactState, str]] = ..., policy_version: _Optional[int] = ..., active_hold_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class SetRoomTierRequest(_message.Message):
    __slots__ = ("platform_id", "room_id", "tier", "changed_at", "request_id")
    PLATFORM_ID_FIELD_NUMBER: _ClassVar[int]
    ROOM_ID_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    CHANGED_AT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    platform_id: str
    room_id: str
    tier: RoomTier
    changed_at: _timestamp_pb2.Timestamp
    request_id: str
    def __init__(self, platform_id: _Optional[str] = ..., room_id: _Optional[str] = ..., tier: _Optional[_Union[RoomTier, str]] = ..., changed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class SetRoomTierResponse(_message.Message):
    __slots__ = ("artifacts_updated",)
    ARTIFACTS_UPDATED_FIELD_NUMBER: _ClassVar[int]
    artifacts_updated: int
    def __init__(self, artifacts_updated: _Optional[int] = ...) -> None: ...

class PlaceLegalHoldRequest(_message.Message):
    __slots__ = ("platform_id", "case_id", "reason", "room_id", "session_id", "account_id", "artifact_ids", "request_id")
    PLATFORM_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ROOM_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    ARTIFACT_IDS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    platform_id: str
    case_id: str
    reason: str
    room_id: str
    session_id: str
    account_id: str
    artifact_ids: ArtifactIds
    request_id: str
    def __init__(self, platform_id: _Optional[str] = ..., case_id: _Optional[str] = ..., reason: _Optional[str] = ..., room_id: _Optional[str] = ..., session_id: _Optional[str] = ..., account_id: _Optional[str] = ..., artifact_ids: _Optional[_Union[ArtifactIds, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class ArtifactIds(_message.Message):
    __slots__ = ("ids",)
    IDS_FIELD_NUMBER: _ClassVar[int]
    ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, ids: _Optional[_Iterable[str]] = ...) -> None: ...

class PlaceLegalHoldResponse(_message.Message):
    __slots__ = ("hold_id", "artifacts_covered")
    HOLD_ID_FIELD_NUMBER: _ClassVar[int]
    ARTIFACTS_COVERED_FIELD_NUMBER: _ClassVar[int]
    hold_id: str
    artifacts_covered: int
    def __init__(self, hold_id: _Optional[str] = ..., artifacts_covered: _Optional[int] = ...) -> None: ...

class ReleaseLegalHoldRequest(_message.Message):
    __slots__ = ("platform_id", "hold_id", "case_id", "reason")
    PLATFORM_ID_FIELD_NUMBER: _ClassVar[int]
    HOLD_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    platform_id: str
    hold_id: str
    case_id: str
    reason: str
    def __init__(self, platform_id: _Optional[str] = ..., hold_id: _Optional[str] = ..., case_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ReleaseLegalHoldResponse(_message.Message):
    __slots__ = ("released_hold_ids",)
    RELEASED_HOLD_IDS_FIELD_NUMBER: _ClassVar[int]
    released_hold_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, released_hold_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class PlaceEventHoldRequest(_message.Message):
    __slots__ = ("platform_id", "event_ref", "reason", "room_id", "session_id", "account_id", "artifact_ids", "request_id")
    PLATFORM_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_REF_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ROOM_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    ARTIFACT_IDS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    platform_id: str
    event_ref: str
    reason: str
    room_id: str
    session_id: str
    account_id: str
    artifact_ids: ArtifactIds
    request_id: str
    def __init__(self, platform_id: _Optional[str] = ..., event_ref: _Optional[str] = ..., reason: _Optional[str] = ..., room_id: _Optional[str] = ..., session_id: _Optional[str] = ..., account_id: _Optional[str] = ..., artifact_ids: _Optional[_Union[ArtifactIds, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class PlaceEventHoldResponse(_message.Message):
    __slots__ = ("hold_id", "artifacts_covered")
    HOLD_ID_FIELD_NUMBER: _ClassVar[int]
    ARTIFACTS_COVERED_FIELD_NUMBER: _ClassVar[int]
    hold_id: str
    artifacts_covered: int
    def __init__(self, hold_id: _Optional[str] = ..., artifacts_covered: _Optional[int] = ...) -> None: ...

class PurgeCandidate(_message.Message):
    __slots__ = ("artifact_id", "content_class", "size_bytes", "retain_until")
    ARTIFACT_ID_FIELD_NUMBER: _ClassVar[int]
    CONTENT_CLASS_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    RETAIN_UNTIL_FIELD_NUMBER: _ClassVar[int]
    artifact_id: str
    content_class: ContentClass
    size_bytes: int
    retain_until: _timestamp_pb2.Timestamp
    def __init__(self, artifact_id: _Optional[str] = ..., content_class: _Optional[_Union[ContentClass, str]] = ..., size_bytes: _Optional[int] = ..., retain_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class PlanPurgeRequest(_message.Message):
    __slots__ = ("platform_id", "as_of", "page_size", "page_token")
    PLATFORM_ID_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    platform_id: str
    as_of: _timestamp_pb2.Timestamp
    page_size: int
    page_token: str
    def __init__(self, platform_id: _Optional[str] = ..., as_of: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class PlanPurgeResponse(_message.Message):
    __slots__ = ("candidates", "next_page_token", "total_bytes", "total_artifacts")
    CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_BYTES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_ARTIFACTS_FIELD_NUMBER: _ClassVar[int]
    candidates: _containers.RepeatedCompositeFieldContainer[PurgeCandidate]
    next_page_token: str
    total_bytes: int
    total_artifacts: int
    def __init__(self, candidates: _Optional[_Iterable[_Union[PurgeCandidate, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_bytes: _Optional[int] = ..., total_artifacts: _Optional[int] = ...) -> None: ...

class ExecutePurgeRequest(_message.Message):
    __slots__ = ("platform_id", "limit")
    PLATFORM_ID_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    platform_id: str
    limit: int
    def __init__(self, platform_id: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class ExecutePurgeResponse(_message.Message):
    __slots__ = ("purged", "bytes_freed", "skipped", "failed")
    PURGED_FIELD_NUMBER: _ClassVar[int]
    BYTES_FREED_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    purged: int
    bytes_freed: int
    skipped: int
    failed: int
    def __init__(self, purged: _Optional[int] = ..., bytes_freed: _Optional[int] = ..., skipped: _Optional[int] = ..., failed: _Optional[int] = ...) -> None: ...

class Tombstone(_message.Message):
    __slots__ = ("artifact_id", "platform_id", "content_class", "purged_at", "policy", "policy_version", "storage_uri_sha256", "size_bytes")
    ARTIFACT_ID_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_ID_FIELD_NUMBER: _ClassVar[int]
    CONTENT_CLASS_FIELD_NUMBER: _ClassVar[int]
    PURGED_AT_FIELD_NUMBER: _ClassVar[int]
    POLICY_FIELD_NUMBER: _ClassVar[int]
    POLICY_VERSION_FIELD_NUMBER: _ClassVar[int]
    STORAGE_URI_SHA256_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    artifact_id: str
    platform_id: str
    content_class: ContentClass
    purged_at: _timestamp_pb2.Timestamp
    policy: str
    policy_version: int
    storage_uri_sha256: str
    size_bytes: int
    def __init__(self, artifact_id: _Optional[str] = ..., platform_id: _Optional[str] = ..., content_class: _Optional[_Union[ContentClass, str]] = ..., purged_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., policy: _Optional[str] = ..., policy_version: _Optional[int] = ..., storage_uri_sha256: _Optional[str] = ..., size_bytes: _Optional[int] = ...) -> None: ...

class ListTombstonesRequest(_message.Message):
    __slots__ = ("platform_id", "page_size", "page_token")
    PLATFORM_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    platform_id: str
    page_size: int
    page_token: str
    def __init__(self, platform_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListTombstonesResponse(_message.Message):
    __slots__ = ("tombstones", "next_page_token")
    TOMBSTONES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    tombstones: _containers.RepeatedCompositeFieldContainer[Tombstone]
    next_page_token: str
    def __init__(self, tombstones: _Optional[_Iterable[_Union[Tombstone, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
