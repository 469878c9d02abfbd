"""Domain errors: what went wrong, in the domain's words, with no gRPC in sight.

Domain and service code raise these; one interceptor (``livetrust.runtime``) turns each into a gRPC
status with rich details (``google.rpc.BadRequest``, ``ErrorInfo``, ``PreconditionFailure``,
``RetryInfo``). The mapping lives in exactly one table there, never in a handler.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "AlreadyExists",
    "Conflict",
    "DomainError",
    "FailedPrecondition",
    "FieldViolation",
    "InvalidArgument",
    "NotFound",
    "PermissionDenied",
    "PreconditionViolation",
    "ResourceExhausted",
    "Unauthenticated",
    "Unavailable",
    "require",
]


@dataclass(frozen=True, slots=True)
class FieldViolation:
    """One bad field of a request. ``field`` is a dotted path such as ``person.id_number``."""

    field: str
    description: str
    #: Stable code for machines, e.g. ``CHECK_CHARACTER``; empty when the description says it all.
    reason: str = ""


@dataclass(frozen=True, slots=True)
class PreconditionViolation:
    """One unmet precondition: its ``type`` (e.g. ``STATUS``), the ``subject`` and why."""

    type: str
    subject: str
    description: str


class DomainError(Exception):
    """Base of every expected failure. ``reason`` is a stable UPPER_SNAKE string clients may switch on."""

    default_reason = "ERROR"

    def __init__(self, message: str, *, reason: str | None = None, metadata: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason or self.default_reason
        #: Extra machine-readable facts (e.g. the id of an existing entry); never personal data.
        self.metadata = dict(metadata or {})


class InvalidArgument(DomainError):
    """The request itself is wrong; ``violations`` lists every bad field found."""

    default_reason = "INVALID_ARGUMENT"

    def __init__(self, violations: Iterable[FieldViolation], message: str = "", **kwargs: object) -> None:
        self.violations = tuple(violations)
        fields = ", ".join(v.field for v in self.violations)
        super().__init__(message or f"invalid request: {fields}", **kwargs)  # type: ignore[arg-type]


class NotFound(DomainError):
    default_reason = "NOT_FOUND"


class AlreadyExists(DomainError):
    default_reason = "ALREADY_EXISTS"


class FailedPrecondition(DomainError):
    """The request is well formed but the system is not in a state that allows it."""

    default_reason = "FAILED_PRECONDITION"

    def __init__(self, message: str, *, violations: Iterable[PreconditionViolation] = (), **kwargs: object) -> None:
        self.violations = tuple(violations)
        super().__init__(message, **kwargs)  # type: ignore[arg-type]


class Conflict(DomainError):
    """A concurrent change won (optimistic version check); re-read and retry."""

    default_reason = "CONCURRENT_MODIFICATION"


class PermissionDenied(DomainError):
    default_reason = "PERMISSION_DENIED"


class Unauthenticated(DomainError):
    default_reason = "UNAUTHENTICATED"


class _RetryableError(DomainError):
    def __init__(self, message: str, *, retry_after_seconds: float | None = None, **kwargs: object) -> None:
        self.retry_after_seconds = retry_after_seconds
        super().__init__(message, **kwargs)  # type: ignore[arg-type]


class ResourceExhausted(_RetryableError):
    default_reason = "RESOURCE_EXHAUSTED"


class Unavailable(_RetryableError):
    """A dependency cannot be reached; ``metadata['dependency']`` names it."""

    default_reason = "UNAVAILABLE"


def require(violations: list[FieldViolation]) -> None:
    """Raise :class:`InvalidArgument` if any violation was collected (validators collect them all)."""
    if violations:
        raise InvalidArgument(violations)
