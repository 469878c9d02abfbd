"""StreamFilter and the platform-side mirror through the gateway (auth, access rule, streaming proxy)."""

from __future__ import annotations

import hashlib
import secrets

import grpc
import pytest

from livetrust.blacklist._filter import load_filter
from livetrust.blacklist.client import BlacklistMirror
from livetrust.blacklist.v1 import blacklist_pb2 as pb
from livetrust.blacklist.v1 import blacklist_pb2_grpc
from tests.gateway.conftest import Suite


async def test_mirror_downloads_the_streamed_filter_through_the_gateway(suite: Suite) -> None:
    stub = blacklist_pb2_grpc.BlacklistServiceStub(suite.channel)
    platform, reviewer = suite.key("plat-a"), suite.key("association", "REVIEWER")
    person = hashlib.sha256(secrets.token_bytes(16)).hexdigest()
    entry = (
        await stub.SubmitEntry(
            pb.SubmitEntryRequest(
                platform_id="plat-a",
                subject_digests=[person],
                category=pb.CATEGORY_SERIOUS_VIOLATION,
                reason="sold counterfeit goods live",
                legal_basis="platform rule 4.2",
            ),
            metadata=platform,
        )
    ).entry
    await stub.ReviewEntry(
        pb.ReviewEntryRequest(entry_id=entry.entry_id, decision=pb.REVIEW_DECISION_APPROVE), metadata=reviewer
    )

    other_platform = suite.key("plat-b")
    messages = [m async for m in stub.StreamFilter(pb.StreamFilterRequest(), metadata=other_platform)]
    assert messages[0].WhichOneof("part") == "info"
    data = b"".join(m.chunk for m in messages[1:])
    assert hashlib.sha256(data).hexdigest() == messages[0].info.sha256
    assert messages[0].info.item_count == 1 and bytes.fromhex(person) in load_filter(data)

    mirror = BlacklistMirror(suite.channel, metadata=other_platform)
    await mirror.sync()
    assert mirror.version == messages[0].info.version
    assert [r.listed for r in await mirror.check([person, hashlib.sha256(b"nobody").hexdigest()])] == [True, False]

    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.StreamFilter(pb.StreamFilterRequest()).read()
    assert refused.value.code() is grpc.StatusCode.UNAUTHENTICATED
