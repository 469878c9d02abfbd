import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class MeasureType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MEASURE_TYPE_UNSPECIFIED: _ClassVar[MeasureType]
    MEASURE_TYPE_WARNING: _ClassVar[MeasureType]
    MEASURE_TYPE_FUNCTION_RESTRICTION: _ClassVar[MeasureType]
    MEASURE_TYPE_TRAFFIC_RESTRICTION: _ClassVar[MeasureType]
    MEASURE_TYPE_LIVE_SUSPENSION: _ClassVar[MeasureType]
    MEASURE_TYPE_FIXED_TERM_SUSPENSION: _ClassVar[MeasureType]
    MEASURE_TYPE_ACCOUNT_CLOSURE: _ClassVar[MeasureType]
    MEASURE_TYPE_REREGISTRATION_BAN: _ClassVar[MeasureType]
    MEASURE_TYPE_BLACKLISTING: _ClassVar[MeasureType]

class MeasureStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MEASURE_STATUS_UNSPECIFIED: _ClassVar[MeasureStatus]
    MEASURE_STATUS_ACTIVE: _ClassVar[MeasureStatus]
    MEASURE_STATUS_LIFTED: _ClassVar[MeasureStatus]
    MEASURE_STATUS_EXPIRED: _ClassVar[MeasureStatus]

class ReportLevel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REPORT_LEVEL_UNSPECIFIED: _ClassVar[ReportLevel]
    REPORT_LEVEL_COUNTY: _ClassVar[ReportLevel]
    REPORT_LEVEL_PROVINCIAL: _ClassVar[ReportLevel]
MEASURE_TYPE_UNSPECIFIED: MeasureType
MEASURE_TYPE_WARNING: MeasureType
MEASURE_TYPE_FUNCTION_RESTRICTION: MeasureType
MEASURE_TYPE_TRAFFIC_RESTRICTION: MeasureType
MEASURE_TYPE_LIVE_SUSPENSION: MeasureType
MEASURE_TYPE_FIXED_TERM_SUSPENSION: MeasureType
MEASURE_TYPE_ACCOUNT_CLOSURE: MeasureType
MEASURE_TYPE_REREGISTRATION_BAN: MeasureType
MEASURE_TYPE_BLACKLISTING: MeasureType
MEASURE_STATUS_UNSPECIFIED: MeasureStatus
MEASURE_STATUS_ACTIVE: MeasureStatus
MEASURE_STATUS_LIFTED: MeasureStatus
MEASURE_STATUS_EXPIRED: MeasureStatus
REPORT_LEVEL_UNSPECIFIED: ReportLevel
REPORT_LEVEL_COUNTY: ReportLevel
REPORT_LEVEL_PROVINCIAL: ReportLevel

class EnforcementMeasure(_message.Message):
    __slots__ = ("measure_id", "platform_id", "account_id", "room_id", "requested", "measure", "reason", "rule_id", "evidence_refs", "duration_days", "starts_at", "ends_at", "status", "appeal_route", "escalation", "lifted_at", "lift_reason", "subject_digest", "lifted_on_appeal")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    ROOM_ID_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_FIELD_NUMBER: _ClassVar[int]
    MEASURE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_REFS_FIELD_NUMBER: _ClassVar[int]
    DURATION_DAYS_FIELD_NUMBER: _ClassVar[int]
    STARTS_AT_FIELD_NUMBER: _ClassVar[int]
    ENDS_AT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    APPEAL_ROUTE_FIELD_NUMBER: _ClassVar[int]
    ESCALATION_FIELD_NUMBER: _ClassVar[int]
    LIFTED_AT_FIELD_NUMBER: _ClassVar[int]
    LIFT_REASON_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_DIGEST_FIELD_NUMBER: _ClassVar[int]
    LIFTED_ON_APPEAL_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    platform_id: str
    account_id: str
    room_id: str
    requested: MeasureType
    measure: MeasureType
    reason: str
    rule_id: str
    evidence_refs: _containers.RepeatedScalarFieldContainer[str]
    duration_days: int
    starts_at: _timestamp_pb2.Timestamp
    ends_at: _timestamp_pb2.Timestamp
    status: MeasureStatus
    appeal_route: str
    escalation: str
    lifted_at: _timestamp_pb2.Timestamp
    lift_reason: str
    subject_digest: str
    lifted_on_appeal: bool
    def __init__(self, measure_id: _Optional[str] = ..., platform_id: _Optional[str] = ..., account_id: _Optional[str] = ..., room_id: _Optional[str] = ..., requested: _Optional[_Union[MeasureType, str]] = ..., measure: _Optional[_Union[MeasureType, str]] = ..., reason: _Optional[str] = ..., rule_id: _Optional[str] = ..., evidence_refs: _Optional[_Iterable[str]] = ..., duration_days: _Optional[int] = ..., starts_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ends_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., status: _Optional[_Union[MeasureStatus, str]] = ..., appeal_route: _Optional[str] = ..., escalation: _Optional[str] = ..., lifted_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., lift_reason: _Optional[str] = ..., subject_digest: _Optional[str] = ..., lifted_on_appeal: _Optional[bool] = ...) -> None: ...

class ApplyMeasureRequest(_message.Message):
    __slots__ = ("platform_id", "account_id", "measure", "reason", "rule_id", "evidence_refs", "duration_days", "subject_digest", "room_id", "request_id")
    PLATFORM_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    MEASURE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_REFS_FIELD_NUMBER: _ClassVar[int]
    DURATION_DAYS_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_DIGEST_FIELD_NUMBER: _ClassVar[int]
    ROOM_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    platform_id: str
    account_id: str
    measure: MeasureType
    reason: str
    rule_id: str
    evidence_refs: _containers.RepeatedScalarFieldContainer[str]
    duration_days: int
    subject_digest: str
    room_id: str
    request_id: str
    def __init__(self, platform_id: _Optional[str] = ..., account_id: _Optional[str] = ..., measure: _Optional[_Union[MeasureType, str]] = ..., reason: _Optional[str] = ..., rule_id: _Optional[str] = ..., evidence_refs: _Optional[_Iterable[str]] = ..., duration_days: _Optional[int] = ..., subject_digest: _Optional[str] = ..., room_id: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class ApplyMeasureResponse(_message.Message):
    __slots__ = ("measure",)
    MEASURE_FIELD_NUMBER: _ClassVar[int]
    measure: EnforcementMeasure
    def __init__(self, measure: _Optional[_Union[EnforcementMeasure, _Mapping]] = ...) -> None: ...

class LiftMeasureRequest(_message.Message):
    __slots__ = ("platform_id", "measure_id", "reason", "appeal_upheld")
    PLATFORM_ID_FIELD_NUMBER: _ClassVar[int]
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    APPEAL_UPHELD_FIELD_NUMBER: _ClassVar[int]
    platform_id: str
    measure_id: str
    reason: str
    appeal_upheld: bool
    def __init__(self, platform_id: _Optional[str] = ..., measure_id: _Optional[str] = ..., reason: _Optional[str] = ..., appeal_upheld: _Optional[bool] = ...) -> None: ...

class LiftMeasureResponse(_message.Message):
    __slots__ = ("measure",)
    MEASURE_FIELD_NUMBER: _ClassVar[int]
    measure: EnforcementMeasure
    def __init__(self, measure: _Optional[_Union[EnforcementMeasure, _Mapping]] = ...) -> None: ...

class ListMeasuresRequest(_message.Message):
    __slots__ = ("platform_id", "account_id", "period_start", "period_end", "page_size", "page_token")
    PLATFORM_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    PERIOD_START_FIELD_NUMBER: _ClassVar[int]
    PERIOD_END_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    platform_id: str
    account_id: str
    period_start: _timestamp_pb2.Timestamp
    period_end: _timestamp_pb2.Timestamp
    page_size: int
    page_token: str
    def __init__(self, platform_id: _Optional[str] = ..., account_id: _Optional[str] = ..., period_start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., period_end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListMeasuresResponse(_message.Message):
    __slots__ = ("measures", "next_page_token")
    MEASURES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    measures: _containers.RepeatedCompositeFieldContainer[EnforcementMeasure]
    next_page_token: str
    def __init__(self, measures: _Optional[_Iterable[_Union[EnforcementMeasure, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetActiveRestrictionsRequest(_message.Message):
    __slots__ = ("platform_id", "account_id")
    PLATFORM_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    platform_id: str
    account_id: str
    def __init__(self, platform_id: _Optional[str] = ..., account_id: _Optional[str] = ...) -> None: ...

class GetActiveRestrictionsResponse(_message.Message):
    __slots__ = ("go_live", "promotion_traffic", "restricted_functions", "active_measures", "band", "product_categories", "max_concurrent_rooms", "reasons")
    GO_LIVE_FIELD_NUMBER: _ClassVar[int]
    PROMOTION_TRAFFIC_FIELD_NUMBER: _ClassVar[int]
    RESTRICTED_FUNCTIONS_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_MEASURES_FIELD_NUMBER: _ClassVar[int]
    BAND_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_CATEGORIES_FIELD_NUMBER: _ClassVar[int]
    MAX_CONCURRENT_ROOMS_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    go_live: bool
    promotion_traffic: bool
    restricted_functions: _containers.RepeatedScalarFieldContainer[str]
    active_measures: _containers.RepeatedCompositeFieldContainer[EnforcementMeasure]
    band: str
    product_categories: _containers.RepeatedScalarFieldContainer[str]
    max_concurrent_rooms: int
    reasons: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, go_live: _Optional[bool] = ..., promotion_traffic: _Optional[bool] = ..., restricted_functions: _Optional[_Iterable[str]] = ..., active_measures: _Optional[_Iterable[_Union[EnforcementMeasure, _Mapping]]] = ..., band: _Optional[str] = ..., product_categories: _Optional[_Iterable[str]] = ..., max_concurrent_rooms: _Optional[int] = ..., reasons: _Optional[_Iterable[str]] = ...) -> None: ...

class ExportRegulatorReportRequest(_message.Message):
    __slots__ = ("platform_id", "period_start", "period_end", "level")
    PLATFORM_ID_FIELD_NUMBER: _ClassVar[int]
    PERIOD_START_FIELD_NUMBER: _ClassVar[int]
    PERIOD_END_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    platform_id: str
    period_start: _timestamp_pb2.Timestamp
    period_end: _timestamp_pb2.Timestamp
    level: ReportLevel
    def __init__(self, platform_id: _Optional[str] = ..., period_start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., period_end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., level: _Optional[_Union[ReportLevel, str]] = ...) -> None: ...

class ExportRegulatorReportResponse(_message.Message):
    __slots__ = ("jsonl", "csv", "jsonl_sha256", "csv_sha256", "count", "audit_intact")
    JSONL_FIELD_NUMBER: _ClassVar[int]
    CSV_FIELD_NUMBER: _ClassVar[int]
    JSONL_SHA256_FIELD_NUMBER: _ClassVar[int]
    CSV_SHA256_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    AUDIT_INTACT_FIELD_NUMBER: _ClassVar[int]
    jsonl: str
    csv: str
    jsonl_sha256: str
    csv_sha256: str
    count: int
    audit_intact: bool
    def __init__(self, jsonl: _Optional[str] = ..., csv: _Optional[str] = ..., jsonl_sha256: _Optional[str] = ..., csv_sha256: _Optional[str] = ..., count: _Optional[int] = ..., audit_intact: _Optional[bool] = ...) -> None: ...
