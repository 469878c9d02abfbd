"""Security sweeps through the gateway, on SQLite and on PostgreSQL.

``test_access.py`` checks the door with one empty request per RPC and one tenant example; these sweeps
walk every RPC found by reflection:

- without a key (or with a bad one, or with forged caller metadata a client sent itself) every
  non-public RPC is UNAUTHENTICATED, whatever the request: empty, well-formed, or bytes that do not
  parse (the key is checked before the request is read);
- every tenant-scoped RPC of the access table (``gateway/_access.py``) refuses a PLATFORM key acting
  for another platform (PERMISSION_DENIED), in every element of a repeated field too;
- over a whole run of registration checks, verifications and guardian consents with known identity
  numbers (and refused requests carrying them), no raw identity number or name appears in any log
  record of any part (every record, extra fields included, at DEBUG) nor in any part's database.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
import sqlalchemy as sa
from google.protobuf import message_factory
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from pythonjsonlogger.json import JsonFormatter

from livetrust.common.v1 import common_pb2
from livetrust.gateway.v1 import gateway_pb2, gateway_pb2_grpc
from livetrust.identity.v1 import identity_pb2, identity_pb2_grpc
from livetrust.runtime import CALLER_METADATA_KEY, Caller, Role, env_secret, sign_caller
from tests.gateway._suites import DATABASE_BACKENDS, PARTS, REGISTRY_PERSONS, started_suite, suite_databases
from tests.gateway.conftest import Suite
from tests.gateway.test_access import _methods
from tests.gateway.test_fuzz import OPEN, RPCS, Rpc, invoke
from tests.identity.test_identity_service import person

OWN, OTHER = "plat-a", "plat-b"
RPC_BY_PATH = {rpc.path: rpc for rpc in RPCS}


@pytest.fixture(params=DATABASE_BACKENDS)
async def sweep_suite(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "postgresql" and not request.getfixturevalue("pg_available"):
        pytest.skip("PostgreSQL does not answer; set LIVETRUST_REQUIRE_POSTGRES=1 to fail instead")
    with suite_databases(request.param, tmp_path) as urls:
        async with started_suite(tmp_path, urls) as suite:
            yield suite


def _set_path(message: Message, path: str, value: str) -> None:
    """Set ``field`` or ``repeated.field`` (then in two new elements: the own platform, then ``value``)."""
    head, _, rest = path.partition(".")
    if not rest:
        setattr(message, head, value)
        return
    items = getattr(message, head)
    _set_path(items.add(), rest, OWN)
    _set_path(items.add(), rest, value)


def _request_naming(rpc: Rpc, platform: str) -> bytes:
    """A request whose platform field(s) name ``platform``, every other string field a plausible id."""
    message = message_factory.GetMessageClass(rpc.request)()
    for field in rpc.request.fields:
        if field.type == FieldDescriptor.TYPE_STRING and not field.is_repeated:
            setattr(message, field.name, "x1")
    assert rpc.rule.own_platform_field is not None
    _set_path(message, rpc.rule.own_platform_field, platform)
    return message.SerializeToString()


def _requests_without_a_key(rpc: Rpc) -> Iterator[bytes]:
    yield b""
    if rpc.rule.own_platform_field is not None:
        yield _request_naming(rpc, OWN)
    yield b"\xff\xff\xff"  # does not parse: still UNAUTHENTICATED, never INVALID_ARGUMENT


async def test_every_non_public_rpc_refuses_callers_without_a_valid_key(sweep_suite: Suite) -> None:
    suite = sweep_suite
    methods = await _methods(suite.channel)
    assert set(methods) <= set(RPC_BY_PATH), "an RPC found by reflection is missing from the sweep"
    secret = env_secret("LIVETRUST_CALLER_SECRET", suite.env)
    assert secret is not None
    forged = sign_caller(Caller(OWN, Role.ADMIN, "k"), secret, now=_now())  # even correctly signed
    revoked = suite.key(OWN)
    _revoke(suite, revoked)
    await asyncio.sleep(0.5)  # the gateway's key ring refreshes every 0.2 s
    credentials: list[tuple[str, Any]] = [
        ("no key", ()),
        ("not a bearer", (("authorization", "Basic YWRtaW46YWRtaW4="),)),
        ("unknown key", (("authorization", "Bearer lt_0000_not-a-secret"),)),
        ("revoked key", revoked),
        ("caller metadata from the client", ((CALLER_METADATA_KEY, forged),)),
    ]
    swept = 0
    for method in methods:
        rpc = RPC_BY_PATH[method]
        if rpc.rule.public:
            continue
        for label, metadata in credentials:
            for payload in _requests_without_a_key(rpc):
                code = await invoke(suite.channel, rpc, metadata, [payload])
                if code == "INTERNAL" and rpc.method.client_streaming:
                    # grpc/grpc#36066: a client that wrote after the server ended the stream may see
                    # INTERNAL instead of the server's status; ask once more.
                    code = await invoke(suite.channel, rpc, metadata, [payload])
                assert code == "UNAUTHENTICATED", f"{method} with {label}, request {payload[:20]!r}: {code}"
                swept += 1
    assert swept > 200
    public = [m for m in methods if RPC_BY_PATH[m].rule.public]
    assert public == ["/livetrust.credit.v1.CreditService/GetPublicCreditStatus"]
    assert await invoke(suite.channel, RPC_BY_PATH[public[0]], (), [b""]) != "UNAUTHENTICATED"


async def test_every_tenant_scoped_rpc_refuses_another_platform(sweep_suite: Suite) -> None:
    suite = sweep_suite
    methods = await _methods(suite.channel)
    platform_key = suite.key(OWN, "PLATFORM", rate_per_second=1e6, burst=10**6)
    scoped = [RPC_BY_PATH[m] for m in methods if RPC_BY_PATH[m].rule.own_platform_field is not None]
    assert len(scoped) > 30
    for rpc in scoped:
        if Role.PLATFORM not in rpc.rule.roles:
            continue  # a PLATFORM key is refused by its role already (test_access.py's role table)
        for platform in (OTHER, "", OWN.upper(), OWN + " "):
            code = await invoke(suite.channel, rpc, platform_key, [_request_naming(rpc, platform)])
            assert code == "PERMISSION_DENIED", f"{rpc.path} naming {platform!r}: {code}"
        # The own platform gets past the door (whatever the service then says of the rest).
        own = await invoke(suite.channel, rpc, platform_key, [_request_naming(rpc, OWN)])
        assert own not in ("PERMISSION_DENIED", "UNAUTHENTICATED"), rpc.path
    # Reviewers and admins act across platforms (where their role may call at all).
    reviewer = suite.key("association", "REVIEWER")
    rpc = RPC_BY_PATH["/livetrust.identity.v1.IdentityService/CheckEligibility"]
    assert await invoke(suite.channel, rpc, reviewer, [_request_naming(rpc, OTHER)]) in ("OK", OPEN)


# --- no identity number in logs or databases ----------------------------------------------------------


class _Capture(logging.Handler):
    """Every record of every logger, formatted as the services' JSON lines are (extra fields included),
    plus its traceback."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        line = self.format(record)
        self.lines.append(line + repr(record.args) + repr(vars(record)))


def _database_text(url: str) -> str:
    """Everything stored in a database, as text (SQLite: the raw file bytes, WAL included)."""
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*")).decode("utf-8", "replace")
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            tables = [t for t in sa.inspect(engine).get_table_names()]
            return "\n".join(
                str(row[0]) for t in tables for row in conn.execute(sa.text(f'SELECT t::text FROM "{t}" t'))
            )
    finally:
        engine.dispose()


async def _registration_run(suite: Suite) -> None:
    """Registration checks, verifications and consents for every known person, and refused requests."""
    key = suite.key(OWN, rate_per_second=1e6, burst=10**6)
    flows = gateway_pb2_grpc.ComplianceGatewayStub(suite.channel)
    identity = identity_pb2_grpc.IdentityServiceStub(suite.channel)
    impostor = ("冒名顶替者", REGISTRY_PERSONS[1][1])
    mistyped = (
        REGISTRY_PERSONS[0][0],
        REGISTRY_PERSONS[0][1][:-1] + ("0" if REGISTRY_PERSONS[0][1][-1] != "0" else "1"),
    )
    for i, who in enumerate((*REGISTRY_PERSONS, impostor, mistyped)):
        for role in (common_pb2.SUBJECT_ROLE_LIVE_MARKETER, common_pb2.SUBJECT_ROLE_UNSPECIFIED):
            request = gateway_pb2.CheckRegistrationRequest(
                platform_id=OWN, account_id=f"acct-{i}", role=role, person=person(who)
            )
            try:
                await flows.CheckRegistration(request, metadata=key, timeout=10)
            except grpc.aio.AioRpcError as exc:
                assert who[1] not in (exc.details() or ""), "an identity number echoed in an error"
        try:
            await identity.ValidateIdNumber(
                identity_pb2.ValidateIdNumberRequest(id_type=common_pb2.ID_TYPE_RESIDENT_ID, id_number=who[1]),
                metadata=key,
            )
            await identity.VerifyIdentity(
                identity_pb2.VerifyIdentityRequest(
                    platform_id=OWN,
                    account_id=f"acct-{i}",
                    role=common_pb2.SUBJECT_ROLE_LIVE_MARKETER,
                    person=person(who),
                    reverify=True,
                ),
                metadata=key,
            )
        except grpc.aio.AioRpcError as exc:
            assert who[1] not in (exc.details() or ""), "an identity number echoed in an error"
    minor = REGISTRY_PERSONS.index(next(p for p in REGISTRY_PERSONS if p[1][6:10] == "2009"))
    for guardian in (REGISTRY_PERSONS[0], REGISTRY_PERSONS[2], impostor):
        try:
            await identity.RequestGuardianConsent(
                identity_pb2.RequestGuardianConsentRequest(
                    platform_id=OWN,
                    account_id=f"acct-{minor}",
                    guardian=person(guardian),
                    relationship=identity_pb2.GUARDIAN_RELATIONSHIP_PARENT,
                ),
                metadata=key,
            )
        except grpc.aio.AioRpcError as exc:
            assert guardian[1] not in (exc.details() or "")
    # Malformed identity numbers (one digit too many) and ids that are not ids: refused, or a verdict.
    for who in REGISTRY_PERSONS:
        bad = gateway_pb2.CheckRegistrationRequest(
            platform_id=OWN,
            account_id="acct x",
            role=common_pb2.SUBJECT_ROLE_LIVE_MARKETER,
            person=person((who[0], who[1] + "9")),
        )
        try:
            reply = await flows.CheckRegistration(bad, metadata=key, timeout=10)
            assert reply.verdict != gateway_pb2.REGISTRATION_VERDICT_ALLOW
        except grpc.aio.AioRpcError as exc:
            assert who[1] not in (exc.details() or "")


@pytest.mark.parametrize("backend", DATABASE_BACKENDS)
async def test_no_identity_number_in_any_log_record_or_database(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if backend == "postgresql" and not request.getfixturevalue("pg_available"):
        pytest.skip("PostgreSQL does not answer; set LIVETRUST_REQUIRE_POSTGRES=1 to fail instead")
    capture = _Capture()
    root = logging.getLogger()
    level = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)  # DEBUG adds a line per successful RPC: those must be clean too
    try:
        with suite_databases(backend, tmp_path) as urls:
            async with started_suite(tmp_path, urls, LIVETRUST_LOG_LEVEL="DEBUG") as suite:
                await _registration_run(suite)
                db_urls = {part: suite.env[f"LIVETRUST_{part.upper()}_DATABASE_URL"] for part in PARTS}
            stored = {part: _database_text(url) for part, url in db_urls.items()}
    finally:
        root.removeHandler(capture)
        root.setLevel(level)
    logs = "\n".join(capture.lines)
    assert "CheckRegistration" in logs or "rpc" in logs, "the run was logged"
    assert len(capture.lines) > 20
    assert all(stored.values()), "every database was read"
    for name, number in REGISTRY_PERSONS:
        for secret in (number, number[:-1] + "0", number[:-1] + "1", number + "9", name):
            assert secret not in logs, f"personal data in a log record: {secret[:4]}..."
            for part, text in stored.items():
                assert secret not in text, f"personal data stored in clear in {part}'s database: {secret[:4]}..."


def _revoke(suite: Suite, metadata: Any) -> None:
    from livetrust.clock import SystemClock
    from livetrust.gateway import MIGRATIONS_DIR
    from livetrust.gateway._keys import revoke_key
    from livetrust.runtime import Database

    db = Database(suite.env["LIVETRUST_GATEWAY_DATABASE_URL"], migrations_dir=MIGRATIONS_DIR, pool_size=1)
    try:
        revoke_key(db, key_id=metadata[0][1].removeprefix("Bearer ").split("_")[1], now=SystemClock().now())
    finally:
        db.close()


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)
