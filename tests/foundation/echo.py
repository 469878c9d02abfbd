"""A test backend with deliberate behaviours, served by the real shared runtime (raw bytes, no proto)."""

from __future__ import annotations

import asyncio
import json

import grpc

from livetrust import errors
from livetrust.runtime import ServiceDefinition, current_caller

SERVICE = "livetrust.test.Echo"


async def _metadata(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    remaining = context.time_remaining()
    metadata = {k: v for k, v in context.invocation_metadata() if isinstance(v, str)}
    return json.dumps({"metadata": metadata, "time_remaining": remaining}).encode()


async def _fail(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    raise errors.InvalidArgument(
        [
            errors.FieldViolation("person.id_number", "check character does not match", "CHECK_CHARACTER"),
            errors.FieldViolation("platform_id", "must not be empty", "REQUIRED"),
        ]
    )


async def _precondition(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    raise errors.FailedPrecondition(
        "entry is not active",
        reason="ENTRY_STATE",
        violations=[errors.PreconditionViolation("STATUS", "entry-1", "entry is LIFTED")],
    )


async def _exhausted(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    raise errors.ResourceExhausted("slow down", retry_after_seconds=1.5)


async def _not_found(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    raise errors.NotFound("no such thing", reason="THING_NOT_FOUND", metadata={"thing_id": "t-1"})


async def _crash(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    raise RuntimeError("secret internal detail 11010519491231002X")


async def _slow(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    await asyncio.sleep(float(request.decode() or "1"))
    return b"done"


async def _caller(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    caller = current_caller.get()
    if caller is None:
        return b"anonymous"
    return f"{caller.platform_id}/{caller.role.value}/{caller.key_id}".encode()


async def _stream(request: bytes, context: grpc.aio.ServicerContext):
    for i in range(int(request.decode() or "3")):
        yield str(i).encode()


HANDLERS = {
    "Metadata": grpc.unary_unary_rpc_method_handler(_metadata),
    "Fail": grpc.unary_unary_rpc_method_handler(_fail),
    "Precondition": grpc.unary_unary_rpc_method_handler(_precondition),
    "Exhausted": grpc.unary_unary_rpc_method_handler(_exhausted),
    "NotFound": grpc.unary_unary_rpc_method_handler(_not_found),
    "Crash": grpc.unary_unary_rpc_method_handler(_crash),
    "Slow": grpc.unary_unary_rpc_method_handler(_slow),
    "Caller": grpc.unary_unary_rpc_method_handler(_caller),
    "Stream": grpc.unary_stream_rpc_method_handler(_stream),
}


def echo_definition(check_ready=None) -> ServiceDefinition:
    kwargs = {"check_ready": check_ready} if check_ready else {}
    return ServiceDefinition(
        name="echo",
        service_names=(SERVICE,),
        register=lambda server: server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler(SERVICE, HANDLERS),)
        ),
        **kwargs,
    )


async def call(channel: grpc.aio.Channel, method: str, body: bytes = b"", **kwargs) -> bytes:
    return await channel.unary_unary(f"/{SERVICE}/{method}")(body, **kwargs)
