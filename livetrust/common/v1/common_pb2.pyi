from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class IdType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ID_TYPE_UNSPECIFIED: _ClassVar[IdType]
    ID_TYPE_RESIDENT_ID: _ClassVar[IdType]
    ID_TYPE_USCC: _ClassVar[IdType]

class SubjectRole(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SUBJECT_ROLE_UNSPECIFIED: _ClassVar[SubjectRole]
    SUBJECT_ROLE_ROOM_OPERATOR: _ClassVar[SubjectRole]
    SUBJECT_ROLE_LIVE_MARKETER: _ClassVar[SubjectRole]
ID_TYPE_UNSPECIFIED: IdType
ID_TYPE_RESIDENT_ID: IdType
ID_TYPE_USCC: IdType
SUBJECT_ROLE_UNSPECIFIED: SubjectRole
SUBJECT_ROLE_ROOM_OPERATOR: SubjectRole
SUBJECT_ROLE_LIVE_MARKETER: SubjectRole

class Person(_message.Message):
    __slots__ = ("name", "id_type", "id_number")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ID_TYPE_FIELD_NUMBER: _ClassVar[int]
    ID_NUMBER_FIELD_NUMBER: _ClassVar[int]
    name: str
    id_type: IdType
    id_number: str
    def __init__(self, name: _Optional[str] = ..., id_type: _Optional[_Union[IdType, str]] = ..., id_number: _Optional[str] = ...) -> None: ...

class Date(_message.Message):
    __slots__ = ("year", "month", "day")
    YEAR_FIELD_NUMBER: _ClassVar[int]
    MONTH_FIELD_NUMBER: _ClassVar[int]
    DAY_FIELD_NUMBER: _ClassVar[int]
    year: int
    month: int
    day: int
    def __init__(self, year: _Optional[int] = ..., month: _Optional[int] = ..., day: _Optional[int] = ...) -> None: ...

class FieldViolation(_message.Message):
    __slots__ = ("field", "reason", "description")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    field: str
    reason: str
    description: str
    def __init__(self, field: _Optional[str] = ..., reason: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...
