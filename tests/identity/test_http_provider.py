"""Tests for the HTTP verification provider against a real local HTTP server simulating a provider."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import pytest_asyncio

from livetrust.errors import Unauthenticated, Unavailable
from livetrust.identity._http_provider import (
    HttpProvider,
    HttpProviderConfig,
    sign_callback,
    verify_callback,
)
from livetrust.identity._idnumbers import resident_id_check_character
from livetrust.identity._providers import ProviderOutcome, ProviderResult


def resident(first17: str) -> str:
    """A well-formed resident ID from its first 17 characters."""
    return first17 + resident_id_check_character(first17)


API_KEY = "test-api-key"
KNOWN_NAME, KNOWN_ID = "Zhang San", "11010519491231002X"
UNKNOWN_NAME, UNKNOWN_ID = "Li Si", resident("31011519900307001")
UNSURE_NAME, UNSURE_ID = "Wang Wu", resident("44030519851120002")
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SECRET = b"callback-secret"


@dataclass
class Recorded:
    """One request as the provider saw it."""

    method: str
    path: str
    authorization: str | None
    body: bytes


@dataclass
class Simulator:
    """State of the simulated provider, shared with its request handler threads."""

    url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    polls: dict[str, int] = field(default_factory=dict)
    """check_id -> how often it was polled; only the known person gets a pending check."""
    fail_with: int | None = None
    """Answer every request with this status (e.g. 500) instead of doing the work."""
    malformed: bool = False
    """Answer 200 with a body that is not JSON."""
    stall: threading.Event | None = None
    """Block each request until this is set (timeouts)."""
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler(sim: Simulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass  # keep test output clean

        def _reply(self, status: int, payload: object) -> None:
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _start(self) -> bool:
            """Record the request; answer it here (and return False) for auth and failure modes."""
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            with sim.lock:
                sim.requests.append(Recorded(self.command, self.path, self.headers.get("Authorization"), body))
            self._body = body
            if sim.stall is not None:
                sim.stall.wait(5)
            if self.headers.get("Authorization") != f"Bearer {API_KEY}":
                self._reply(401, {"error": "unauthorized"})
                return False
            if sim.fail_with is not None:
                self._reply(sim.fail_with, {"error": "simulated failure"})
                return False
            if sim.malformed:
                self._reply(200, b"<html>oops</html>")
                return False
            return True

        def do_POST(self) -> None:
            if not self._start():
                return
            if self.path != "/v1/checks":
                self._reply(404, {"error": "not found"})
                return
            person = json.loads(self._body)
            key = (person["name"], person["id_number"])
            if key == (KNOWN_NAME, KNOWN_ID):
                with sim.lock:
                    check_id = f"chk-{len(sim.polls) + 1}"
                    sim.polls[check_id] = 0
                self._reply(202, {"check_id": check_id, "status": "PENDING"})
            elif key == (UNSURE_NAME, UNSURE_ID):
                self._reply(
                    200, {"check_id": "chk-unsure", "status": "INCONCLUSIVE", "reasons": ["PROVIDER_PHOTO_MISSING"]}
                )
            else:
                self._reply(200, {"check_id": "chk-none", "status": "NO_MATCH", "reasons": ["NO_SUCH_PERSON"]})

        def do_GET(self) -> None:
            if not self._start():
                return
            check_id = self.path.removeprefix("/v1/checks/")
            with sim.lock:
                if check_id not in sim.polls:
                    self._reply(404, {"error": "no such check"})
                    return
                sim.polls[check_id] += 1
                status = "MATCH" if sim.polls[check_id] >= 2 else "PENDING"
            self._reply(200, {"check_id": check_id, "status": status, "reasons": []})

    return Handler


@pytest.fixture
def simulator() -> Iterator[Simulator]:
    """A provider simulator listening on a free local port, shut down after the test."""
    sim = Simulator()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(sim))
    host, port = server.server_address[:2]
    sim.url = f"http://{host}:{port}"
    # A short poll interval so shutdown() returns quickly at teardown (the default is 0.5 s).
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="provider-simulator", daemon=True
    )
    thread.start()
    try:
        yield sim
    finally:
        if sim.stall is not None:
            sim.stall.set()  # release stalled handlers so shutdown does not wait on them
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest_asyncio.fixture
async def provider(simulator: Simulator) -> AsyncIterator[HttpProvider]:
    """An HttpProvider pointed at the simulator with the right API key."""
    async with HttpProvider(HttpProviderConfig(base_url=simulator.url, api_key=API_KEY)) as p:
        yield p


def assert_no_personal_data(sim: Simulator, *texts: str) -> None:
    """Neither any URL the provider saw nor any of ``texts`` contains a name or identity number."""
    for secret in (KNOWN_NAME, KNOWN_ID, UNKNOWN_NAME, UNKNOWN_ID, UNSURE_NAME, UNSURE_ID):
        for request in sim.requests:
            assert secret not in request.path
        for text in texts:
            assert secret not in text


# --- submit and poll -------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_known_person_is_pending_then_matches_on_second_poll(
    provider: HttpProvider, simulator: Simulator
) -> None:
    submitted = await provider.submit(name=KNOWN_NAME, id_number=KNOWN_ID)
    assert submitted.outcome is ProviderOutcome.PENDING
    assert submitted.reference

    first = await provider.poll(submitted.reference)
    second = await provider.poll(submitted.reference)

    assert first == ProviderResult(ProviderOutcome.PENDING, submitted.reference)
    assert second == ProviderResult(ProviderOutcome.MATCH, submitted.reference)
    assert [(r.method, r.path) for r in simulator.requests] == [
        ("POST", "/v1/checks"),
        ("GET", f"/v1/checks/{submitted.reference}"),
        ("GET", f"/v1/checks/{submitted.reference}"),
    ]
    assert all(r.authorization == f"Bearer {API_KEY}" for r in simulator.requests)
    # The POST body is the one place the person travels.
    assert json.loads(simulator.requests[0].body) == {"name": KNOWN_NAME, "id_number": KNOWN_ID}
    assert_no_personal_data(simulator)


@pytest.mark.asyncio
async def test_unknown_person_is_no_match_with_prefixed_reason(provider: HttpProvider, simulator: Simulator) -> None:
    result = await provider.submit(name=UNKNOWN_NAME, id_number=UNKNOWN_ID)

    assert result == ProviderResult(ProviderOutcome.NO_MATCH, "chk-none", ("PROVIDER_NO_SUCH_PERSON",))
    assert_no_personal_data(simulator)


@pytest.mark.asyncio
async def test_name_that_does_not_fit_the_number_is_no_match(provider: HttpProvider) -> None:
    result = await provider.submit(name=UNKNOWN_NAME, id_number=KNOWN_ID)

    assert result.outcome is ProviderOutcome.NO_MATCH


@pytest.mark.asyncio
async def test_inconclusive_keeps_already_prefixed_reason(provider: HttpProvider) -> None:
    result = await provider.submit(name=UNSURE_NAME, id_number=UNSURE_ID)

    assert result == ProviderResult(ProviderOutcome.INCONCLUSIVE, "chk-unsure", ("PROVIDER_PHOTO_MISSING",))


@pytest.mark.asyncio
async def test_poll_reference_cannot_reshape_the_url(provider: HttpProvider, simulator: Simulator) -> None:
    with pytest.raises(Unavailable) as caught:
        await provider.poll("../admin?x=1")

    assert caught.value.reason == "PROVIDER_PROTOCOL_ERROR"  # the simulator's 404
    assert simulator.requests[0].path == "/v1/checks/..%2Fadmin%3Fx%3D1"


@pytest.mark.asyncio
async def test_poll_needs_a_reference(provider: HttpProvider) -> None:
    with pytest.raises(ValueError):
        await provider.poll("")


# --- failures --------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_wrong_api_key_is_a_protocol_error(simulator: Simulator) -> None:
    config = HttpProviderConfig(base_url=simulator.url, api_key="wrong-key")
    async with HttpProvider(config) as provider:
        with pytest.raises(Unavailable) as caught:
            await provider.submit(name=KNOWN_NAME, id_number=KNOWN_ID)

    error = caught.value
    assert error.reason == "PROVIDER_PROTOCOL_ERROR"
    assert error.metadata == {"dependency": "verification-provider"}
    assert "401" in str(error)
    assert simulator.requests[0].authorization == "Bearer wrong-key"
    assert_no_personal_data(simulator, str(error), repr(error))


@pytest.mark.asyncio
async def test_server_error_is_unavailable(provider: HttpProvider, simulator: Simulator) -> None:
    simulator.fail_with = 500

    with pytest.raises(Unavailable) as caught:
        await provider.submit(name=KNOWN_NAME, id_number=KNOWN_ID)

    error = caught.value
    assert error.reason == "PROVIDER_UNAVAILABLE"
    assert error.metadata == {"dependency": "verification-provider"}
    assert error.retry_after_seconds == 2.0
    assert_no_personal_data(simulator, str(error), repr(error))


@pytest.mark.asyncio
async def test_rate_limiting_is_unavailable(provider: HttpProvider, simulator: Simulator) -> None:
    simulator.fail_with = 429

    with pytest.raises(Unavailable) as caught:
        await provider.submit(name=KNOWN_NAME, id_number=KNOWN_ID)

    assert caught.value.reason == "PROVIDER_UNAVAILABLE"


@pytest.mark.asyncio
async def test_malformed_json_is_a_protocol_error(provider: HttpProvider, simulator: Simulator) -> None:
    simulator.malformed = True

    with pytest.raises(Unavailable) as caught:
        await provider.submit(name=KNOWN_NAME, id_number=KNOWN_ID)

    assert caught.value.reason == "PROVIDER_PROTOCOL_ERROR"
    assert caught.value.__cause__ is None
    assert_no_personal_data(simulator, str(caught.value))


@pytest.mark.asyncio
async def test_timeout_is_unavailable(simulator: Simulator) -> None:
    simulator.stall = threading.Event()
    config = HttpProviderConfig(base_url=simulator.url, api_key=API_KEY, timeout_seconds=0.2)
    async with HttpProvider(config) as provider:
        with pytest.raises(Unavailable) as caught:
            await provider.submit(name=KNOWN_NAME, id_number=KNOWN_ID)

    assert caught.value.reason == "PROVIDER_UNAVAILABLE"
    assert_no_personal_data(simulator, str(caught.value))


@pytest.mark.asyncio
async def test_provider_down_is_unavailable() -> None:
    # Bind a free port and close it again: nothing listens there now, so connecting is refused.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = HttpProviderConfig(base_url=f"http://127.0.0.1:{port}", api_key=API_KEY, timeout_seconds=1.0)
    async with HttpProvider(config) as provider:
        with pytest.raises(Unavailable) as caught:
            await provider.submit(name=KNOWN_NAME, id_number=KNOWN_ID)

    error = caught.value
    assert error.reason == "PROVIDER_UNAVAILABLE"
    assert error.metadata == {"dependency": "verification-provider"}
    assert error.retry_after_seconds == 2.0
    # Nothing that carries the request (and so the body) hangs off the exception.
    assert error.__cause__ is None
    assert error.__suppress_context__
    for secret in (KNOWN_NAME, KNOWN_ID):
        assert secret not in str(error)
        assert secret not in repr(error)


# --- signed callbacks ------------------------------------------------------------------------------

CALLBACK_BODY = json.dumps({"check_id": "chk-1", "status": "MATCH", "reasons": []}).encode()


def test_valid_callback_is_accepted() -> None:
    header = sign_callback(CALLBACK_BODY, secret=SECRET, now=NOW)

    result = verify_callback(CALLBACK_BODY, header, secret=SECRET, now=NOW + timedelta(seconds=30))

    assert result == ProviderResult(ProviderOutcome.MATCH, "chk-1")


def test_callback_signed_with_any_of_several_secrets_is_accepted() -> None:
    old = sign_callback(CALLBACK_BODY, secret=b"old-secret", now=NOW)
    new = sign_callback(CALLBACK_BODY, secret=SECRET, now=NOW)
    header = old + "," + new.split(",")[1]  # t=..,v1=<old>,v1=<new>, as during secret rotation

    assert verify_callback(CALLBACK_BODY, header, secret=SECRET, now=NOW).outcome is ProviderOutcome.MATCH


def _assert_rejected(body: bytes, header: str, now: datetime = NOW, secret: bytes = SECRET) -> None:
    with pytest.raises(Unauthenticated) as caught:
        verify_callback(body, header, secret=secret, now=now)
    assert caught.value.reason == "CALLBACK_SIGNATURE_INVALID"


def test_tampered_callback_body_is_rejected() -> None:
    header = sign_callback(CALLBACK_BODY, secret=SECRET, now=NOW)
    tampered = CALLBACK_BODY.replace(b"MATCH", b"NO_MATCH")

    _assert_rejected(tampered, header)


def test_callback_signed_with_wrong_secret_is_rejected() -> None:
    header = sign_callback(CALLBACK_BODY, secret=b"not-the-secret", now=NOW)

    _assert_rejected(CALLBACK_BODY, header)


@pytest.mark.parametrize("skew", [timedelta(seconds=301), timedelta(seconds=-301)])
def test_callback_outside_tolerance_is_rejected(skew: timedelta) -> None:
    # A stale timestamp (replay) or one from far in the future; valid signature either way.
    header = sign_callback(CALLBACK_BODY, secret=SECRET, now=NOW)

    _assert_rejected(CALLBACK_BODY, header, now=NOW + skew)


def test_callback_at_edge_of_tolerance_is_accepted() -> None:
    header = sign_callback(CALLBACK_BODY, secret=SECRET, now=NOW)

    verify_callback(CALLBACK_BODY, header, secret=SECRET, now=NOW + timedelta(seconds=300))


@pytest.mark.parametrize("header", ["", "garbage", "t=abc,v1=00", "v1=00", f"t={int(NOW.timestamp())}"])
def test_malformed_signature_header_is_rejected(header: str) -> None:
    _assert_rejected(CALLBACK_BODY, header)


def test_signed_but_malformed_callback_body_is_a_protocol_error() -> None:
    body = b'{"check_id": "chk-1", "status": "MAYBE"}'
    header = sign_callback(body, secret=SECRET, now=NOW)

    with pytest.raises(Unavailable) as caught:
        verify_callback(body, header, secret=SECRET, now=NOW)
    assert caught.value.reason == "PROVIDER_PROTOCOL_ERROR"


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError):
        sign_callback(CALLBACK_BODY, secret=SECRET, now=NOW.replace(tzinfo=None))


# --- configuration ---------------------------------------------------------------------------------


def test_config_from_env_is_none_without_url() -> None:
    assert HttpProviderConfig.from_env({}) is None


def test_config_from_env_reads_values() -> None:
    config = HttpProviderConfig.from_env(
        {
            "LIVETRUST_IDENTITY_PROVIDER_URL": "https://kyc.example.com",
            "LIVETRUST_IDENTITY_PROVIDER_API_KEY": "api-key-1",
            "LIVETRUST_IDENTITY_PROVIDER_TIMEOUT_SECONDS": "2.5",
            "LIVETRUST_IDENTITY_PROVIDER_CALLBACK_SECRET": "callback-secret-1",
        }
    )

    assert config == HttpProviderConfig("https://kyc.example.com", "api-key-1", 2.5, b"callback-secret-1")
    # Secrets stay out of the repr, so logging a config leaks neither.
    assert "api-key-1" not in repr(config)
    assert "callback-secret-1" not in repr(config)


def test_config_from_env_reads_secret_files(tmp_path: Path) -> None:
    (tmp_path / "key").write_text("file-key\n")
    (tmp_path / "secret").write_bytes(b"file-secret\n")

    config = HttpProviderConfig.from_env(
        {
            "LIVETRUST_IDENTITY_PROVIDER_URL": "https://kyc.example.com",
            "LIVETRUST_IDENTITY_PROVIDER_API_KEY_FILE": str(tmp_path / "key"),
            "LIVETRUST_IDENTITY_PROVIDER_CALLBACK_SECRET_FILE": str(tmp_path / "secret"),
        }
    )

    assert config == HttpProviderConfig("https://kyc.example.com", "file-key", 5.0, b"file-secret")


def test_config_from_env_needs_api_key_with_url() -> None:
    with pytest.raises(ValueError):
        HttpProviderConfig.from_env({"LIVETRUST_IDENTITY_PROVIDER_URL": "https://kyc.example.com"})
