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

class ComplaintCategory(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COMPLAINT_CATEGORY_UNSPECIFIED: _ClassVar[ComplaintCategory]
    COMPLAINT_CATEGORY_FALSE_ADVERTISING: _ClassVar[ComplaintCategory]
    COMPLAINT_CATEGORY_COUNTERFEIT: _ClassVar[ComplaintCategory]
    COMPLAINT_CATEGORY_PRICE_FRAUD: _ClassVar[ComplaintCategory]
    COMPLAINT_CATEGORY_OFF_PLATFORM_TRANSACTION: _ClassVar[ComplaintCategory]
    COMPLAINT_CATEGORY_VULGAR_CONTENT: _ClassVar[ComplaintCategory]
    COMPLAINT_CATEGORY_MINOR_PROTECTION: _ClassVar[ComplaintCategory]
    COMPLAINT_CATEGORY_OTHER: _ClassVar[ComplaintCategory]

class Outcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OUTCOME_UNSPECIFIED: _ClassVar[Outcome]
    OUTCOME_UPHELD: _ClassVar[Outcome]
    OUTCOME_DISMISSED: _ClassVar[Outcome]

class Severity(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SEVERITY_UNSPECIFIED: _ClassVar[Severity]
    SEVERITY_MINOR: _ClassVar[Severity]
    SEVERITY_SERIOUS: _ClassVar[Severity]
    SEVERITY_SEVERE: _ClassVar[Severity]

class EventOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EVENT_OUTCOME_UNSPECIFIED: _ClassVar[EventOutcome]
    EVENT_OUTCOME_NEW: _ClassVar[EventOutcome]
    EVENT_OUTCOME_DUPLICATE: _ClassVar[EventOutcome]
    EVENT_OUTCOME_REJECTED: _ClassVar[EventOutcome]

class Tier(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TIER_UNSPECIFIED: _ClassVar[Tier]
    TIER_KEY: _ClassVar[Tier]
    TIER_STANDARD: _ClassVar[Tier]
    TIER_WATCH: _ClassVar[Tier]

class JobStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    JOB_STATUS_UNSPECIFIED: _ClassVar[JobStatus]
    JOB_STATUS_RUNNING: _ClassVar[JobStatus]
    JOB_STATUS_DONE: _ClassVar[JobStatus]
    JOB_STATUS_FAILED: _ClassVar[JobStatus]
COMPLAINT_CATEGORY_UNSPECIFIED: ComplaintCategory
COMPLAINT_CATEGORY_FALSE_ADVERTISING: ComplaintCategory
COMPLAINT_CATEGORY_COUNTERFEIT: ComplaintCategory
COMPLAINT_CATEGORY_PRICE_FRAUD: ComplaintCategory
COMPLAINT_CATEGORY_OFF_PLATFORM_TRANSACTION: ComplaintCategory
COMPLAINT_CATEGORY_VULGAR_CONTENT: ComplaintCategory
COMPLAINT_CATEGORY_MINOR_PROTECTION: ComplaintCategory
COMPLAINT_CATEGORY_OTHER: ComplaintCategory
OUTCOME_UNSPECIFIED: Outcome
OUTCOME_UPHELD: Outcome
OUTCOME_DISMISSED: Outcome
SEVERITY_UNSPECIFIED: Severity
SEVERITY_MINOR: Severity
SEVERITY_SERIOUS: Severity
SEVERITY_SEVERE: Severity
EVENT_OUTCOME_UNSPECIFIED: EventOutcome
EVENT_OUTCOME_NEW: EventOutcome
EVENT_OUTCOME_DUPLICATE: EventOutcome
EVENT_OUTCOME_REJECTED: EventOutcome
TIER_UNSPECIFIED: Tier
TIER_KEY: Tier
TIER_STANDARD: Tier
TIER_WATCH: Tier
JOB_STATUS_UNSPECIFIED: JobStatus
JOB_STATUS_RUNNING: JobStatus
JOB_STATUS_DONE: JobStatus
JOB_STATUS_FAILED: JobStatus

class Review(_message.Message):
    __slots__ = ("stars", "verified_buyer")
    STARS_FIELD_NUMBER: _ClassVar[int]
    VERIFIED_BUYER_FIELD_NUMBER: _ClassVar[int]
    stars: int
    verified_buyer: bool
    def __init__(self, stars: _Optional[int] = ..., verified_buyer: _Optional[bool] = ...) -> None: ...

class Complaint(_message.Message):
    __slots__ = ("category", "reporter_id", "verified")
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    REPORTER_ID_FIELD_NUMBER: _ClassVar[int]
    VERIFIED_FIELD_NUMBER: _ClassVar[int]
    category: ComplaintCategory
    reporter_id: str
    verified: bool
    def __init__(self, category: _Optional[_Union[ComplaintCategory, str]] = ..., reporter_id: _Optional[str] = ..., verified: _Optional[bool] = ...) -> None: ...

class PlatformOutcome(_message.Message):
    __slots__ = ("complaint_event_id", "outcome", "severity")
    COMPLAINT_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    complaint_event_id: str
    outcome: Outcome
    severity: Severity
    def __init__(self, complaint_event_id: _Optional[str] = ..., outcome: _Optional[_Union[Outcome, str]] = ..., severity: _Optional[_Union[Severity, str]] = ...) -> None: ...

class RegulatorNotice(_message.Message):
    __slots__ = ("severity", "authority")
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    AUTHORITY_FIELD_NUMBER: _ClassVar[int]
    severity: Severity
    authority: str
    def __init__(self, severity: _Optional[_Union[Severity, str]] = ..., authority: _Optional[str] = ...) -> None: ...

class CreditEvent(_message.Message):
    __slots__ = ("event_id", "platform_id", "account_id", "occurred_at", "review", "complaint", "platform_outcome", "regulator_notice")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    REVIEW_FIELD_NUMBER: _ClassVar[int]
    COMPLAINT_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_OUTCOME_FIELD_NUMBER: _ClassVar[int]
    REGULATOR_NOTICE_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    platform_id: str
    account_id: str
    occurred_at: _timestamp_pb2.Timestamp
    review: Review
    complaint: Complaint
    platform_outcome: PlatformOutcome
    regulator_notice: RegulatorNotice
    def __init__(self, event_id: _Optional[str] = ..., platform_id: _Optional[str] = ..., account_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., review: _Optional[_Union[Review, _Mapping]] = ..., complaint: _Optional[_Union[Complaint, _Mapping]] = ..., platform_outcome: _Optional[_Union[PlatformOutcome, _Mapping]] = ..., regulator_notice: _Optional[_Union[RegulatorNotice, _Mapping]] = ...) -> None: ...

class RecordEventsRequest(_message.Message):
    __slots__ = ("events",)
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[CreditEvent]
    def __init__(self, events: _Optional[_Iterable[_Union[CreditEvent, _Mapping]]] = ...) -> None: ...

class EventResult(_message.Message):
    __slots__ = ("event_id", "outcome", "violations")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    VIOLATIONS_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    outcome: EventOutcome
    violations: _containers.RepeatedCompositeFieldContainer[_common_pb2.FieldViolation]
    def __init__(self, event_id: _Optional[str] = ..., outcome: _Optional[_Union[EventOutcome, str]] = ..., violations: _Optional[_Iterable[_Union[_common_pb2.FieldViolation, _Mapping]]] = ...) -> None: ...

class RecordEventsResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[EventResult]
    def __init__(self, results: _Optional[_Iterable[_Union[EventResult, _Mapping]]] = ...) -> None: ...

class Reason(_message.Message):
    __slots__ = ("code", "points", "hint")
    CODE_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    HINT_FIELD_NUMBER: _ClassVar[int]
    code: str
    points: int
    hint: str
    def __init__(self, code: _Optional[str] = ..., points: _Optional[int] = ..., hint: _Optional[str] = ...) -> None: ...

class Entitlements(_message.Message):
    __slots__ = ("go_live", "promotion_traffic", "product_categories", "max_concurrent_rooms", "band")
    GO_LIVE_FIELD_NUMBER: _ClassVar[int]
    PROMOTION_TRAFFIC_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_CATEGORIES_FIELD_NUMBER: _ClassVar[int]
    MAX_CONCURRENT_ROOMS_FIELD_NUMBER: _ClassVar[int]
    BAND_FIELD_NUMBER: _ClassVar[int]
    go_live: bool
    promotion_traffic: bool
    product_categories: _containers.RepeatedScalarFieldContainer[str]
    max_concurrent_rooms: int
    band: str
    def __init__(self, go_live: _Optional[bool] = ..., promotion_traffic: _Optional[bool] = ..., product_categories: _Optional[_Iterable[str]] = ..., max_concurrent_rooms: _Optional[int] = ..., band: _Optional[str] = ...) -> None: ...

class GetCreditScoreRequest(_message.Message):
    __slots__ = ("platform_id", "account_id")
    PLATFORM_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    platform_id: str
    account_id: str
    def __init__(self, platform_id: _Optional[str] = ..., account_id: _Optional[str] = ...) -> None: ...

class GetCreditScoreResponse(_message.Message):
    __slots__ = ("score", "band", "label", "reasons", "model_version", "computed_at", "entitlements", "inputs_hash", "event_count")
    SCORE_FIELD_NUMBER: _ClassVar[int]
    BAND_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    COMPUTED_AT_FIELD_NUMBER: _ClassVar[int]
    ENTITLEMENTS_FIELD_NUMBER: _ClassVar[int]
    INPUTS_HASH_FIELD_NUMBER: _ClassVar[int]
    EVENT_COUNT_FIELD_NUMBER: _ClassVar[int]
    score: int
    band: str
    label: str
    reasons: _containers.RepeatedCompositeFieldContainer[Reason]
    model_version: str
    computed_at: _timestamp_pb2.Timestamp
    entitlements: Entitlements
    inputs_hash: str
    event_count: int
    def __init__(self, score: _Optional[int] = ..., band: _Optional[str] = ..., label: _Optional[str] = ..., reasons: _Optional[_Iterable[_Union[Reason, _Mapping]]] = ..., model_version: _Optional[str] = ..., computed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., entitlements: _Optional[_Union[Entitlements, _Mapping]] = ..., inputs_hash: _Optional[str] = ..., event_count: _Optional[int] = ...) -> None: ...

class GetPublicCreditStatusRequest(_message.Message):
    __slots__ = ("platform_id", "account_id")
    PLATFORM_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    platform_id: str
    account_id: str
    def __init__(self, platform_id: _Optional[str] = ..., account_id: _Optional[str] = ...) -> None: ...

class GetPublicCreditStatusResponse(_message.Message):
    __slots__ = ("band", "label", "as_of")
    BAND_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    band: str
    label: str
    as_of: _timestamp_pb2.Timestamp
    def __init__(self, band: _Optional[str] = ..., label: _Optional[str] = ..., as_of: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetEntitlementsRequest(_message.Message):
    __slots__ = ("platform_id", "account_id")
    PLATFORM_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    platform_id: str
    account_id: str
    def __init__(self, platform_id: _Optional[str] = ..., account_id: _Optional[str] = ...) -> None: ...

class GetEntitlementsResponse(_message.Message):
    __slots__ = ("entitlements",)
    ENTITLEMENTS_FIELD_NUMBER: _ClassVar[int]
    entitlements: Entitlements
    def __init__(self, entitlements: _Optional[_Union[Entitlements, _Mapping]] = ...) -> None: ...

class OverturnEventRequest(_message.Message):
    __slots__ = ("platform_id", "event_id", "reason")
    PLATFORM_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    platform_id: str
    event_id: str
    reason: str
    def __init__(self, platform_id: _Optional[str] = ..., event_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class OverturnEventResponse(_message.Message):
    __slots__ = ("event_id", "overturned", "score", "band")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    OVERTURNED_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    BAND_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    overturned: bool
    score: int
    band: str
    def __init__(self, event_id: _Optional[str] = ..., overturned: _Optional[bool] = ..., score: _Optional[int] = ..., band: _Optional[str] = ...) -> None: ...

class SimulateScoreRequest(_message.Message):
    __slots__ = ("model_json", "platform_id", "account_id")
    MODEL_JSON_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    model_json: str
    platform_id: str
    account_id: str
    def __init__(self, model_json: _Optional[str] = ..., platform_id: _Optional[str] = ..., account_id: _Optional[str] = ...) -> None: ...

class SimulateScoreResponse(_message.Message):
    __slots__ = ("score",)
    SCORE_FIELD_NUMBER: _ClassVar[int]
    score: GetCreditScoreResponse
    def __init__(self, score: _Optional[_Union[GetCreditScoreResponse, _Mapping]] = ...) -> None: ...

class PublishModelRequest(_message.Message):
    __slots__ = ("model_json",)
    MODEL_JSON_FIELD_NUMBER: _ClassVar[int]
    model_json: str
    def __init__(self, model_json: _Optional[str] = ...) -> None: ...

class RescoreJob(_message.Message):
    __slots__ = ("job_id", "model_version", "status", "processed", "total", "started_at", "finished_at")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PROCESSED_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    model_version: str
    status: JobStatus
    processed: int
    total: int
    started_at: _timestamp_pb2.Timestamp
    finished_at: _timestamp_pb2.Timestamp
    def __init__(self, job_id: _Optional[str] = ..., model_version: _Optional[str] = ..., status: _Optional[_Union[JobStatus, str]] = ..., processed: _Optional[int] = ..., total: _Optional[int] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finished_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class PublishModelResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: RescoreJob
    def __init__(self, job: _Optional[_Union[RescoreJob, _Mapping]] = ...) -> None: ...

class GetRescoreJobRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class GetRescoreJobResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: RescoreJob
    def __init__(self, job: _Optional[_Union[RescoreJob, _Mapping]] = ...) -> None: ...

class RecordRoomMetricsRequest(_message.Message):
    __slots__ = ("platform_id", "room_id", "account_id", "followers", "views", "gmv", "product_categories", "window_days")
    PLATFORM_ID_FIELD_NUMBER: _ClassVar[int]
    ROOM_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    FOLLOWERS_FIELD_NUMBER: _ClassVar[int]
    VIEWS_FIELD_NUMBER: _ClassVar[int]
    GMV_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_CATEGORIES_FIELD_NUMBER: _ClassVar[int]
    WINDOW_DAYS_FIELD_NUMBER: _ClassVar[int]
    platform_id: str
    room_id: str
    account_id: str
    followers: int
    views: int
    gmv: float
    product_categories: _containers.RepeatedScalarFieldContainer[str]
    window_days: int
    def __init__(self, platform_id: _Optional[str] = ..., room_id: _Optional[str] = ..., account_id: _Optional[str] = ..., followers: _Optional[int] = ..., views: _Optional[int] = ..., gmv: _Optional[float] = ..., product_categories: _Optional[_Iterable[str]] = ..., window_days: _Optional[int] = ...) -> None: ...

class RoomTier(_message.Message):
    __slots__ = ("platform_id", "room_id", "account_id", "tier", "reasons", "since")
    PLATFORM_ID_FIELD_NUMBER: _ClassVar[int]
    ROOM_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    platform_id: str
    room_id: str
    account_id: str
    tier: Tier
    reasons: _containers.RepeatedScalarFieldContainer[str]
    since: _timestamp_pb2.Timestamp
    def __init__(self, platform_id: _Optional[str] = ..., room_id: _Optional[str] = ..., account_id: _Optional[str] = ..., tier: _Optional[_Union[Tier, str]] = ..., reasons: _Optional[_Iterable[str]] = ..., since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RecordRoomMetricsResponse(_message.Message):
    __slots__ = ("room",)
    ROOM_FIELD_NUMBER: _ClassVar[int]
    room: RoomTier
    def __init__(self, room: _Optional[_Union[RoomTier, _Mapping]] = ...) -> None: ...

class GetRoomTierRequest(_message.Message):
    __slots__ = ("platform_id", "room_id")
    PLATFORM_ID_FIELD_NUMBER: _ClassVar[int]
    ROOM_ID_FIELD_NUMBER: _ClassVar[int]
    platform_id: str
    room_id: str
    def __init__(self, platform_id: _Optional[str] = ..., room_id: _Optional[str] = ...) -> None: ...

class GetRoomTierResponse(_message.Message):
    __slots__ = ("room",)
    ROOM_FIELD_NUMBER: _ClassVar[int]
    room: RoomTier
    def __init__(self, room: _Optional[_Union[RoomTier, _Mapping]] = ...) -> None: ...

class ListKeyRoomsRequest(_message.Message):
    __slots__ = ("platform_id", "page_size", "page_token")
    PLATFORM_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    platform_id: str
    page_size: int
    page_token: str
    def __init__(self, platform_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListKeyRoomsResponse(_message.Message):
    __slots__ = ("rooms", "next_page_token")
    ROOMS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    rooms: _containers.RepeatedCompositeFieldContainer[RoomTier]
    next_page_token: str
    def __init__(self, rooms: _Optional[_Iterable[_Union[RoomTier, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
