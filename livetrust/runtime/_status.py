"""The one table that turns domain errors into gRPC statuses with rich details."""

from __future__ import annotations

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from livetrust import errors

__all__ = ["status_for_error", "status_for_internal", "status_for_unavailable_database"]

# Most specific first: the first class an error is an instance of decides its code.
_CODE_BY_ERROR: tuple[tuple[type[errors.DomainError], grpc.StatusCode], ...] = (
    (errors.InvalidArgument, grpc.StatusCode.INVALID_ARGUMENT),
    (errors.NotFound, grpc.StatusCode.NOT_FOUND),
    (errors.AlreadyExists, grpc.StatusCode.ALREADY_EXISTS),
    (errors.FailedPrecondition, grpc.StatusCode.FAILED_PRECONDITION),
    (errors.Conflict, grpc.StatusCode.ABORTED),
    (errors.PermissionDenied, grpc.StatusCode.PERMISSION_DENIED),
    (errors.Unauthenticated, grpc.StatusCode.UNAUTHENTICATED),
    (errors.ResourceExhausted, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (errors.Unavailable, grpc.StatusCode.UNAVAILABLE),
)


def _packed(message: object) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)  # type: ignore[arg-type]
    return packed


def _status(code: grpc.StatusCode, message: str, details: list[object]) -> grpc.Status:
    proto = status_pb2.Status(code=getattr(code_pb2, code.name), message=message, details=[_packed(d) for d in details])
    return rpc_status.to_status(proto)


def _retry_info(seconds: float) -> error_details_pb2.RetryInfo:
    delay = duration_pb2.Duration()
    delay.FromMilliseconds(int(seconds * 1000))
    return error_details_pb2.RetryInfo(retry_delay=delay)


def status_for_error(error: errors.DomainError, *, domain: str) -> grpc.Status:
    """The status for a domain error: its code, its message, ErrorInfo and the details its kind carries."""
    code = next((c for cls, c in _CODE_BY_ERROR if isinstance(error, cls)), grpc.StatusCode.UNKNOWN)
    details: list[object] = [error_details_pb2.ErrorInfo(reason=error.reason, domain=domain, metadata=error.metadata)]
    if isinstance(error, errors.InvalidArgument):
        details.append(
            error_details_pb2.BadRequest(
                field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(
                        field=v.field, description=v.description, reason=v.reason
                    )
                    for v in error.violations
                ]
            )
        )
    elif isinstance(error, errors.FailedPrecondition) and error.violations:
        details.append(
            error_details_pb2.PreconditionFailure(
                violations=[
                    error_details_pb2.PreconditionFailure.Violation(
                        type=v.type, subject=v.subject, description=v.description
                    )
                    for v in error.violations
                ]
            )
        )
    elif isinstance(error, errors.ResourceExhausted | errors.Unavailable) and error.retry_after_seconds:
        details.append(_retry_info(error.retry_after_seconds))
    return _status(code, error.message, details)


def status_for_unavailable_database(*, domain: str) -> grpc.Status:
    """The database cannot be reached: retry later (readiness is already reporting NOT_SERVING)."""
    error = errors.Unavailable(
        "database unavailable",
        reason="DATABASE_UNAVAILABLE",
        metadata={"dependency": "database"},
        retry_after_seconds=1.0,
    )
    return status_for_error(error, domain=domain)


def status_for_internal(*, domain: str) -> grpc.Status:
    """A bug: say nothing about it to the caller (the log has the traceback)."""
    info = error_details_pb2.ErrorInfo(reason="INTERNAL", domain=domain)
    return _status(grpc.StatusCode.INTERNAL, "internal error", [info])
