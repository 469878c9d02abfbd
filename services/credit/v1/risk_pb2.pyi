from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SignalType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SIGNAL_TYPE_UNSPECIFIED: _ClassVar[SignalType]
    SIGNAL_TYPE_OFF_PLATFORM_LURE: _ClassVar[SignalType]
    SIGNAL_TYPE_ABSOLUTE_CLAIM: _ClassVar[SignalType]
    SIGNAL_TYPE_PRICE_FRAUD: _ClassVar[SignalType]
    SIGNAL_TYPE_MINOR_UNSUITABLE: _ClassVar[SignalType]

class RiskLevel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RISK_LEVEL_UNSPECIFIED: _ClassVar[RiskLevel]
    RISK_LEVEL_LOW: _ClassVar[RiskLevel]
    RISK_LEVEL_MEDIUM: _ClassVar[RiskLevel]
    RISK_LEVEL_HIGH: _ClassVar[RiskLevel]

class RiskMeasure(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RISK_MEASURE_UNSPECIFIED: _ClassVar[RiskMeasure]
    RISK_MEASURE_NONE: _ClassVar[RiskMeasure]
    RISK_MEASURE_VIEWER_PROMPT: _ClassVar[RiskMeasure]
    RISK_MEASURE_OPERATOR_WARNING: _ClassVar[RiskMeasure]
    RISK_MEASURE_TRAFFIC_RESTRICTION: _ClassVar[RiskMeasure]
    RISK_MEASURE_SUSPEND_BROADCAST: _ClassVar[RiskMeasure]
SIGNAL_TYPE_UNSPECIFIED: SignalType
SIGNAL_TYPE_OFF_PLATFORM_LURE: SignalType
SIGNAL_TYPE_ABSOLUTE_CLAIM: SignalType
SIGNAL_TYPE_PRICE_FRAUD: SignalType
SIGNAL_TYPE_MINOR_UNSUITABLE: SignalType
RISK_LEVEL_UNSPECIFIED: RiskLevel
RISK_LEVEL_LOW: RiskLevel
RISK_LEVEL_MEDIUM: RiskLevel
RISK_LEVEL_HIGH: RiskLevel
RISK_MEASURE_UNSPECIFIED: RiskMeasure
RISK_MEASURE_NONE: RiskMeasure
RISK_MEASURE_VIEWER_PROMPT: RiskMeasure
RISK_MEASURE_OPERATOR_WARNING: RiskMeasure
RISK_MEASURE_TRAFFIC_RESTRICTION: RiskMeasure
RISK_MEASURE_SUSPEND_BROADCAST: RiskMeasure

class Product(_message.Message):
    __slots__ = ("title", "claimed_original_price", "live_price", "price_history")
    TITLE_FIELD_NUMBER: _ClassVar[int]
    CLAIMED_ORIGINAL_PRICE_FIELD_NUMBER: _ClassVar[int]
    LIVE_PRICE_FIELD_NUMBER: _ClassVar[int]
    PRICE_HISTORY_FIELD_NUMBER: _ClassVar[int]
    title: str
    claimed_original_price: float
    live_price: float
    price_history: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, title: _Optional[str] = ..., claimed_original_price: _Optional[float] = ..., live_price: _Optional[float] = ..., price_history: _Optional[_Iterable[float]] = ...) -> None: ...

class Signal(_message.Message):
    __slots__ = ("type", "severity", "rule_id", "matched_text", "source", "start", "end")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    MATCHED_TEXT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    type: SignalType
    severity: RiskLevel
    rule_id: str
    matched_text: str
    source: str
    start: int
    end: int
    def __init__(self, type: _Optional[_Union[SignalType, str]] = ..., severity: _Optional[_Union[RiskLevel, str]] = ..., rule_id: _Optional[str] = ..., matched_text: _Optional[str] = ..., source: _Optional[str] = ..., start: _Optional[int] = ..., end: _Optional[int] = ...) -> None: ...

class AssessSegmentRequest(_message.Message):
    __slots__ = ("platform_id", "account_id", "room_id", "session_id", "transcript", "comments", "product", "segment_id")
    PLATFORM_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    ROOM_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    TRANSCRIPT_FIELD_NUMBER: _ClassVar[int]
    COMMENTS_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_FIELD_NUMBER: _ClassVar[int]
    SEGMENT_ID_FIELD_NUMBER: _ClassVar[int]
    platform_id: str
    account_id: str
    room_id: str
    session_id: str
    transcript: str
    comments: _containers.RepeatedScalarFieldContainer[str]
    product: Product
    segment_id: str
    def __init__(self, platform_id: _Optional[str] = ..., account_id: _Optional[str] = ..., room_id: _Optional[str] = ..., session_id: _Optional[str] = ..., transcript: _Optional[str] = ..., comments: _Optional[_Iterable[str]] = ..., product: _Optional[_Union[Product, _Mapping]] = ..., segment_id: _Optional[str] = ...) -> None: ...

class AssessSegmentResponse(_message.Message):
    __slots__ = ("risk_level", "signals", "measure", "viewer_prompt", "minor_reminder", "rules_version")
    RISK_LEVEL_FIELD_NUMBER: _ClassVar[int]
    SIGNALS_FIELD_NUMBER: _ClassVar[int]
    MEASURE_FIELD_NUMBER: _ClassVar[int]
    VIEWER_PROMPT_FIELD_NUMBER: _ClassVar[int]
    MINOR_REMINDER_FIELD_NUMBER: _ClassVar[int]
    RULES_VERSION_FIELD_NUMBER: _ClassVar[int]
    risk_level: RiskLevel
    signals: _containers.RepeatedCompositeFieldContainer[Signal]
    measure: RiskMeasure
    viewer_prompt: str
    minor_reminder: str
    rules_version: str
    def __init__(self, risk_level: _Optional[_Union[RiskLevel, str]] = ..., signals: _Optional[_Iterable[_Union[Signal, _Mapping]]] = ..., measure: _Optional[_Union[RiskMeasure, str]] = ..., viewer_prompt: _Optional[str] = ..., minor_reminder: _Optional[str] = ..., rules_version: _Optional[str] = ...) -> None: ...

class StreamAssessRequest(_message.Message):
    __slots__ = ("segment", "warning_acknowledged")
    SEGMENT_FIELD_NUMBER: _ClassVar[int]
    WARNING_ACKNOWLEDGED_FIELD_NUMBER: _ClassVar[int]
    segment: AssessSegmentRequest
    warning_acknowledged: bool
    def __init__(self, segment: _Optional[_Union[AssessSegmentRequest, _Mapping]] = ..., warning_acknowledged: _Optional[bool] = ...) -> None: ...

class StreamAssessResponse(_message.Message):
    __slots__ = ("assessment", "session_measure")
    ASSESSMENT_FIELD_NUMBER: _ClassVar[int]
    SESSION_MEASURE_FIELD_NUMBER: _ClassVar[int]
    assessment: AssessSegmentResponse
    session_measure: RiskMeasure
    def __init__(self, assessment: _Optional[_Union[AssessSegmentResponse, _Mapping]] = ..., session_measure: _Optional[_Union[RiskMeasure, str]] = ...) -> None: ...
