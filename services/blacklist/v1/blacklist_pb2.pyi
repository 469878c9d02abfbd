import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Category(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CATEGORY_UNSPECIFIED: _ClassVar[Category]
    CATEGORY_SERIOUS_VIOLATION: _ClassVar[Category]
    CATEGORY_CRIME_OR_PUBLIC_ORDER: _ClassVar[Category]

class EntryStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ENTRY_STATUS_UNSPECIFIED: _ClassVar[EntryStatus]
    ENTRY_STATUS_PENDING_REVIEW: _ClassVar[EntryStatus]
    ENTRY_STATUS_ACTIVE: _ClassVar[EntryStatus]
    ENTRY_STATUS_REJECTED: _ClassVar[EntryStatus]
    ENTRY_STATUS_APPEALED: _ClassVar[EntryStatus]
    ENTRY_STATUS_LIFTED: _ClassVar[EntryStatus]
    ENTRY_STATUS_EXPIRED: _ClassVar[EntryStatus]

class ReviewDecision(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REVIEW_DECISION_UNSPECIFIED: _ClassVar[ReviewDecision]
    REVIEW_DECISION_APPROVE: _ClassVar[ReviewDecision]
    REVIEW_DECISION_REJECT: _ClassVar[ReviewDecision]

class AppealDecision(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    APPEAL_DECISION_UNSPECIFIED: _ClassVar[AppealDecision]
    APPEAL_DECISION_UPHOLD: _ClassVar[AppealDecision]
    APPEAL_DECISION_DISMISS: _ClassVar[AppealDecision]

class ChangeKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHANGE_KIND_UNSPECIFIED: _ClassVar[ChangeKind]
    CHANGE_KIND_LISTED: _ClassVar[ChangeKind]
    CHANGE_KIND_UNLISTED: _ClassVar[ChangeKind]
CATEGORY_UNSPECIFIED: Category
CATEGORY_SERIOUS_VIOLATION: Category
CATEGORY_CRIME_OR_PUBLIC_ORDER: Category
ENTRY_STATUS_UNSPECIFIED: EntryStatus
ENTRY_STATUS_PENDING_REVIEW: EntryStatus
ENTRY_STATUS_ACTIVE: EntryStatus
ENTRY_STATUS_REJECTED: EntryStatus
ENTRY_STATUS_APPEALED: EntryStatus
ENTRY_STATUS_LIFTED: EntryStatus
ENTRY_STATUS_EXPIRED: EntryStatus
REVIEW_DECISION_UNSPECIFIED: ReviewDecision
REVIEW_DECISION_APPROVE: ReviewDecision
REVIEW_DECISION_REJECT: ReviewDecision
APPEAL_DECISION_UNSPECIFIED: AppealDecision
APPEAL_DECISION_UPHOLD: AppealDecision
APPEAL_DECISION_DISMISS: AppealDecision
CHANGE_KIND_UNSPECIFIED: ChangeKind
CHANGE_KIND_LISTED: ChangeKind
CHANGE_KIND_UNLISTED: ChangeKind

class Entry(_message.Message):
    __slots__ = ("entry_id", "subject_digests", "category", "reason", "legal_basis", "platform_id", "evidence_refs", "listed_from", "listed_until", "status", "version", "appeal_deadline", "appeal_route", "notes", "created_at", "updated_at", "redacted")
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_DIGESTS_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    LEGAL_BASIS_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_ID_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_REFS_FIELD_NUMBER: _ClassVar[int]
    LISTED_FROM_FIELD_NUMBER: _ClassVar[int]
    LISTED_UNTIL_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    APPEAL_DEADLINE_FIELD_NUMBER: _ClassVar[int]
    APPEAL_ROUTE_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    REDACTED_FIELD_NUMBER: _ClassVar[int]
    entry_id: str
    subject_digests: _containers.RepeatedScalarFieldContainer[str]
    category: Category
    reason: str
    legal_basis: str
    platform_id: str
    evidence_refs: _containers.RepeatedScalarFieldContainer[str]
    listed_from: _timestamp_pb2.Timestamp
    listed_until: _timestamp_pb2.Timestamp
    status: EntryStatus
    version: int
    appeal_deadline: _timestamp_pb2.Timestamp
    appeal_route: str
    notes: _containers.RepeatedCompositeFieldContainer[Note]
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    redacted: bool
    def __init__(self, entry_id: _Optional[str] = ..., subject_digests: _Optional[_Iterable[str]] = ..., category: _Optional[_Union[Category, str]] = ..., reason: _Optional[str] = ..., legal_basis: _Optional[str] = ..., platform_id: _Optional[str] = ..., evidence_refs: _Optional[_Iterable[str]] = ..., listed_from: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., listed_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., status: _Optional[_Union[EntryStatus, str]] = ..., version: _Optional[int] = ..., appeal_deadline: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., appeal_route: _Optional[str] = ..., notes: _Optional[_Iterable[_Union[Note, _Mapping]]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., redacted: _Optional[bool] = ...) -> None: ...

class Note(_message.Message):
    __slots__ = ("kind", "author", "text", "at")
    KIND_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    kind: str
    author: str
    text: str
    at: _timestamp_pb2.Timestamp
    def __init__(self, kind: _Optional[str] = ..., author: _Optional[str] = ..., text: _Optional[str] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SubmitEntryRequest(_message.Message):
    __slots__ = ("platform_id", "subject_digests", "category", "reason", "legal_basis", "evidence_refs", "listed_until", "permanent", "request_id")
    PLATFORM_ID_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_DIGESTS_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    LEGAL_BASIS_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_REFS_FIELD_NUMBER: _ClassVar[int]
    LISTED_UNTIL_FIELD_NUMBER: _ClassVar[int]
    PERMANENT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    platform_id: str
    subject_digests: _containers.RepeatedScalarFieldContainer[str]
    category: Category
    reason: str
    legal_basis: str
    evidence_refs: _containers.RepeatedScalarFieldContainer[str]
    listed_until: _timestamp_pb2.Timestamp
    permanent: bool
    request_id: str
    def __init__(self, platform_id: _Optional[str] = ..., subject_digests: _Optional[_Iterable[str]] = ..., category: _Optional[_Union[Category, str]] = ..., reason: _Optional[str] = ..., legal_basis: _Optional[str] = ..., evidence_refs: _Optional[_Iterable[str]] = ..., listed_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., permanent: _Optional[bool] = ..., request_id: _Optional[str] = ...) -> None: ...

class SubmitEntryResponse(_message.Message):
    __slots__ = ("entry",)
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    entry: Entry
    def __init__(self, entry: _Optional[_Union[Entry, _Mapping]] = ...) -> None: ...

class ReviewEntryRequest(_message.Message):
    __slots__ = ("entry_id", "decision", "note", "expected_version")
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    entry_id: str
    decision: ReviewDecision
    note: str
    expected_version: int
    def __init__(self, entry_id: _Optional[str] = ..., decision: _Optional[_Union[ReviewDecision, str]] = ..., note: _Optional[str] = ..., expected_version: _Optional[int] = ...) -> None: ...

class ReviewEntryResponse(_message.Message):
    __slots__ = ("entry",)
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    entry: Entry
    def __init__(self, entry: _Optional[_Union[Entry, _Mapping]] = ...) -> None: ...

class GetEntryRequest(_message.Message):
    __slots__ = ("entry_id",)
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    entry_id: str
    def __init__(self, entry_id: _Optional[str] = ...) -> None: ...

class GetEntryResponse(_message.Message):
    __slots__ = ("entry",)
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    entry: Entry
    def __init__(self, entry: _Optional[_Union[Entry, _Mapping]] = ...) -> None: ...

class ListEntriesRequest(_message.Message):
    __slots__ = ("status", "category", "source_platform_id", "subject_digest", "page_size", "page_token")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    SOURCE_PLATFORM_ID_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_DIGEST_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    status: EntryStatus
    category: Category
    source_platform_id: str
    subject_digest: str
    page_size: int
    page_token: str
    def __init__(self, status: _Optional[_Union[EntryStatus, str]] = ..., category: _Optional[_Union[Category, str]] = ..., source_platform_id: _Optional[str] = ..., subject_digest: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListEntriesResponse(_message.Message):
    __slots__ = ("entries", "next_page_token")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[Entry]
    next_page_token: str
    def __init__(self, entries: _Optional[_Iterable[_Union[Entry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class FileAppealRequest(_message.Message):
    __slots__ = ("entry_id", "statement", "evidence_refs")
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    STATEMENT_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_REFS_FIELD_NUMBER: _ClassVar[int]
    entry_id: str
    statement: str
    evidence_refs: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, entry_id: _Optional[str] = ..., statement: _Optional[str] = ..., evidence_refs: _Optional[_Iterable[str]] = ...) -> None: ...

class FileAppealResponse(_message.Message):
    __slots__ = ("entry",)
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    entry: Entry
    def __init__(self, entry: _Optional[_Union[Entry, _Mapping]] = ...) -> None: ...

class ResolveAppealRequest(_message.Message):
    __slots__ = ("entry_id", "decision", "note", "expected_version")
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    entry_id: str
    decision: AppealDecision
    note: str
    expected_version: int
    def __init__(self, entry_id: _Optional[str] = ..., decision: _Optional[_Union[AppealDecision, str]] = ..., note: _Optional[str] = ..., expected_version: _Optional[int] = ...) -> None: ...

class ResolveAppealResponse(_message.Message):
    __slots__ = ("entry",)
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    entry: Entry
    def __init__(self, entry: _Optional[_Union[Entry, _Mapping]] = ...) -> None: ...

class LiftEntryRequest(_message.Message):
    __slots__ = ("entry_id", "reason")
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    entry_id: str
    reason: str
    def __init__(self, entry_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class LiftEntryResponse(_message.Message):
    __slots__ = ("entry",)
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    entry: Entry
    def __init__(self, entry: _Optional[_Union[Entry, _Mapping]] = ...) -> None: ...

class LookupRequest(_message.Message):
    __slots__ = ("subject_digests",)
    SUBJECT_DIGESTS_FIELD_NUMBER: _ClassVar[int]
    subject_digests: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, subject_digests: _Optional[_Iterable[str]] = ...) -> None: ...

class LookupResult(_message.Message):
    __slots__ = ("subject_digest", "listed", "entry_id", "category", "listed_until")
    SUBJECT_DIGEST_FIELD_NUMBER: _ClassVar[int]
    LISTED_FIELD_NUMBER: _ClassVar[int]
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    LISTED_UNTIL_FIELD_NUMBER: _ClassVar[int]
    subject_digest: str
    listed: bool
    entry_id: str
    category: Category
    listed_until: _timestamp_pb2.Timestamp
    def __init__(self, subject_digest: _Optional[str] = ..., listed: _Optional[bool] = ..., entry_id: _Optional[str] = ..., category: _Optional[_Union[Category, str]] = ..., listed_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class LookupResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[LookupResult]
    def __init__(self, results: _Optional[_Iterable[_Union[LookupResult, _Mapping]]] = ...) -> None: ...

class LookupByPrefixRequest(_message.Message):
    __slots__ = ("prefixes",)
    PREFIXES_FIELD_NUMBER: _ClassVar[int]
    prefixes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, prefixes: _Optional[_Iterable[str]] = ...) -> None: ...

class LookupByPrefixResponse(_message.Message):
    __slots__ = ("matches",)
    MATCHES_FIELD_NUMBER: _ClassVar[int]
    matches: _containers.RepeatedCompositeFieldContainer[LookupResult]
    def __init__(self, matches: _Optional[_Iterable[_Union[LookupResult, _Mapping]]] = ...) -> None: ...

class Change(_message.Message):
    __slots__ = ("version", "kind", "entry_id", "subject_digests", "at")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_DIGESTS_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    version: int
    kind: ChangeKind
    entry_id: str
    subject_digests: _containers.RepeatedScalarFieldContainer[str]
    at: _timestamp_pb2.Timestamp
    def __init__(self, version: _Optional[int] = ..., kind: _Optional[_Union[ChangeKind, str]] = ..., entry_id: _Optional[str] = ..., subject_digests: _Optional[_Iterable[str]] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListChangesRequest(_message.Message):
    __slots__ = ("since_version", "page_size")
    SINCE_VERSION_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    since_version: int
    page_size: int
    def __init__(self, since_version: _Optional[int] = ..., page_size: _Optional[int] = ...) -> None: ...

class ListChangesResponse(_message.Message):
    __slots__ = ("changes", "latest_version")
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    LATEST_VERSION_FIELD_NUMBER: _ClassVar[int]
    changes: _containers.RepeatedCompositeFieldContainer[Change]
    latest_version: int
    def __init__(self, changes: _Optional[_Iterable[_Union[Change, _Mapping]]] = ..., latest_version: _Optional[int] = ...) -> None: ...

class WatchChangesRequest(_message.Message):
    __slots__ = ("since_version",)
    SINCE_VERSION_FIELD_NUMBER: _ClassVar[int]
    since_version: int
    def __init__(self, since_version: _Optional[int] = ...) -> None: ...

class WatchChangesResponse(_message.Message):
    __slots__ = ("change",)
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    change: Change
    def __init__(self, change: _Optional[_Union[Change, _Mapping]] = ...) -> None: ...

class GetFilterRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetFilterResponse(_message.Message):
    __slots__ = ("filter", "version", "sha256", "item_count", "false_positive_rate")
    FILTER_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    ITEM_COUNT_FIELD_NUMBER: _ClassVar[int]
    FALSE_POSITIVE_RATE_FIELD_NUMBER: _ClassVar[int]
    filter: bytes
    version: int
    sha256: str
    item_count: int
    false_positive_rate: float
    def __init__(self, filter: _Optional[bytes] = ..., version: _Optional[int] = ..., sha256: _Optional[str] = ..., item_count: _Optional[int] = ..., false_positive_rate: _Optional[float] = ...) -> None: ...

class StreamFilterRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class FilterInfo(_message.Message):
    __slots__ = ("version", "sha256", "size_bytes", "item_count", "false_positive_rate")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    ITEM_COUNT_FIELD_NUMBER: _ClassVar[int]
    FALSE_POSITIVE_RATE_FIELD_NUMBER: _ClassVar[int]
    version: int
    sha256: str
    size_bytes: int
    item_count: int
    false_positive_rate: float
    def __init__(self, version: _Optional[int] = ..., sha256: _Optional[str] = ..., size_bytes: _Optional[int] = ..., item_count: _Optional[int] = ..., false_positive_rate: _Optional[float] = ...) -> None: ...

class StreamFilterResponse(_message.Message):
    __slots__ = ("info", "chunk")
    INFO_FIELD_NUMBER: _ClassVar[int]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    info: FilterInfo
    chunk: bytes
    def __init__(self, info: _Optional[_Union[FilterInfo, _Mapping]] = ..., chunk: _Optional[bytes] = ...) -> None: ...

class VerifyAuditLogRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class VerifyAuditLogResponse(_message.Message):
    __slots__ = ("intact", "records_checked", "first_broken_seq", "problem")
    INTACT_FIELD_NUMBER: _ClassVar[int]
    RECORDS_CHECKED_FIELD_NUMBER: _ClassVar[int]
    FIRST_BROKEN_SEQ_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_FIELD_NUMBER: _ClassVar[int]
    intact: bool
    records_checked: int
    first_broken_seq: int
    problem: str
    def __init__(self, intact: _Optional[bool] = ..., records_checked: _Optional[int] = ..., first_broken_seq: _Optional[int] = ..., problem: _Optional[str] = ...) -> None: ...
