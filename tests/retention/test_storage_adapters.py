"""Storage adapters for the retention purge: idempotent deletes, root confinement, S3 against a real
moto server over HTTP, scheme routing and URI digests."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError
from moto.server import ThreadedMotoServer

from livetrust.retention._storage_adapters import (
    AdapterRegistry,
    LocalFileStorage,
    S3Storage,
    StorageAdapter,
    StorageError,
    uri_digest,
)

# ---------------------------------------------------------------------------------------------------------------
# Local filesystem


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    root.mkdir()
    return root


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A file next to the root, which no URI may ever delete."""
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("keep me")
    return secret


class BatchDeleting(LocalFileStorage):
    """The filesystem adapter with each delete going through ``delete_many`` (the purge's batch path), so
    that every guarantee below is proven for both paths."""

    def delete(self, uri: str) -> None:
        (error,) = self.delete_many([uri])
        if error is not None:
            raise error


@pytest.fixture(params=["delete", "delete_many"])
def local(root: Path, request: pytest.FixtureRequest) -> LocalFileStorage:
    return LocalFileStorage(root) if request.param == "delete" else BatchDeleting(root)


def _file(root: Path, rel: str, body: str = "replay") -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body)
    return path


def test_local_is_a_storage_adapter(local: LocalFileStorage) -> None:
    assert isinstance(local, StorageAdapter)
    assert local.accepts("file:///x")
    assert local.accepts("FILE:///x")
    assert not local.accepts("s3://bucket/key")
    assert not local.accepts("/plain/path")


def test_local_delete_existing_file(local: LocalFileStorage, root: Path) -> None:
    path = _file(root, "replays/room-1.mp4")
    uri = path.as_uri()
    assert local.exists(uri)
    local.delete(uri)
    assert not path.exists()
    assert not local.exists(uri)
    assert (root / "replays").is_dir()  # only the file goes, never its folder


def test_local_delete_twice_is_idempotent(local: LocalFileStorage, root: Path) -> None:
    path = _file(root, "records/r.json")
    local.delete(path.as_uri())
    local.delete(path.as_uri())  # a resumed purge deletes again: success, not an error
    local.delete((root / "never" / "existed.bin").as_uri())
    local.delete((root / "records" / "r.json" / "below-a-file").as_uri())  # parent is not a directory
    assert not path.exists()


def test_local_percent_encoded_names(local: LocalFileStorage, root: Path) -> None:
    path = _file(root, "odd name #1?.mp4")
    uri = path.as_uri()
    assert "%20" in uri and "%23" in uri
    assert local.exists(uri)
    local.delete(uri)
    assert not path.exists()


def test_local_exists(local: LocalFileStorage, root: Path) -> None:
    path = _file(root, "a/b/c.txt")
    assert local.exists(path.as_uri())
    assert not local.exists((root / "a" / "b" / "missing.txt").as_uri())
    assert not local.exists((root / "no" / "such" / "parents" / "x.txt").as_uri())
    assert not local.exists((path / "child").as_uri())  # a file as a parent
    assert local.exists("file://localhost" + str(path))


def test_local_refuses_etc_passwd(local: LocalFileStorage) -> None:
    existed = os.path.exists("/etc/passwd")
    with pytest.raises(StorageError) as info:
        local.delete("file:///etc/passwd")
    assert info.value.retryable is False
    with pytest.raises(StorageError) as info:
        local.exists("file:///etc/passwd")
    assert info.value.retryable is False
    assert os.path.exists("/etc/passwd") == existed


@pytest.mark.parametrize(
    "suffix",
    ["/../outside/secret.txt", "/sub/../../outside/secret.txt", "/%2e%2e/outside/secret.txt"],
)
def test_local_refuses_dotdot_traversal(local: LocalFileStorage, root: Path, outside: Path, suffix: str) -> None:
    (root / "sub").mkdir()
    uri = "file://" + str(root) + suffix
    with pytest.raises(StorageError) as info:
        local.delete(uri)
    assert info.value.retryable is False
    with pytest.raises(StorageError):
        local.exists(uri)
    assert outside.read_text() == "keep me"


def test_local_refuses_symlink_pointing_outside(local: LocalFileStorage, root: Path, outside: Path) -> None:
    link = root / "innocent.mp4"
    link.symlink_to(outside)
    with pytest.raises(StorageError) as info:
        local.delete(link.as_uri())
    assert info.value.retryable is False
    assert outside.read_text() == "keep me"
    assert link.is_symlink()


def test_local_refuses_symlinked_directory_pointing_outside(local: LocalFileStorage, root: Path, outside: Path) -> None:
    (root / "replays").symlink_to(outside.parent, target_is_directory=True)
    with pytest.raises(StorageError) as info:
        local.delete((root / "replays" / "secret.txt").as_uri())
    assert info.value.retryable is False
    assert outside.read_text() == "keep me"


def test_local_symlink_inside_root_deletes_the_content(local: LocalFileStorage, root: Path) -> None:
    target = _file(root, "store/blob.bin")
    link = root / "alias.bin"
    link.symlink_to(target)
    local.delete(link.as_uri())
    assert not target.exists()
    local.delete(link.as_uri())  # dangling now: already gone


def test_local_root_may_itself_be_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "volume"
    real.mkdir()
    path = _file(real, "r.mp4")
    link_root = tmp_path / "content-link"
    link_root.symlink_to(real, target_is_directory=True)
    storage = LocalFileStorage(link_root)
    storage.delete((link_root / "r.mp4").as_uri())
    assert not path.exists()


def test_local_refuses_directories(local: LocalFileStorage, root: Path) -> None:
    folder = root / "replays"
    _file(root, "replays/keep.mp4")
    for uri in (folder.as_uri(), root.as_uri()):
        with pytest.raises(StorageError) as info:
            local.delete(uri)
        assert info.value.retryable is False
    assert (folder / "keep.mp4").exists()
    assert local.exists(folder.as_uri())


@pytest.mark.parametrize(
    "uri",
    [
        "file://fileserver/share/x.mp4",  # remote host
        "file:relative/x.mp4",  # not absolute
        "s3://bucket/key",  # not ours
    ],
)
def test_local_refuses_malformed_uris(local: LocalFileStorage, uri: str) -> None:
    with pytest.raises(StorageError) as info:
        local.delete(uri)
    assert info.value.retryable is False


def test_local_refuses_query_or_fragment(local: LocalFileStorage, root: Path) -> None:
    path = _file(root, "x.mp4")
    for uri in (path.as_uri() + "#frag", path.as_uri() + "?q=1"):
        with pytest.raises(StorageError):
            local.delete(uri)
    assert path.exists()


def test_error_message_does_not_leak_the_address(local: LocalFileStorage) -> None:
    uri = "file:///etc/passwd"
    with pytest.raises(StorageError) as info:
        local.delete(uri)
    assert "passwd" not in str(info.value)
    assert info.value.uri_digest == uri_digest(uri)


# ---------------------------------------------------------------------------------------------------------------
# S3, against moto in server mode over real HTTP


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Dummy credentials; a developer's own ~/.aws profile must not leak into the tests."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SECURITY_TOKEN", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def bucket(moto_endpoint: str, aws_env: None) -> str:
    name = f"lt-{uuid.uuid4().hex[:16]}"
    client = boto3.session.Session().client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=name)
    client.put_object(Bucket=name, Key="replays/room-7.mp4", Body=b"video")
    client.put_object(Bucket=name, Key="records/with space#and?odd.json", Body=b"{}")
    return name


@pytest.fixture
def s3(moto_endpoint: str, aws_env: None) -> S3Storage:
    return S3Storage(endpoint_url=moto_endpoint)


def test_s3_is_a_storage_adapter_with_botocore_retries(s3: S3Storage) -> None:
    assert isinstance(s3, StorageAdapter)
    assert s3.accepts("s3://b/k") and not s3.accepts("file:///b/k")
    config = s3.client.meta.config
    # botocore's legacy ``max_attempts`` counts retries, so it normalises 5 to 6 attempts in total.
    assert config.retries == {"total_max_attempts": 6, "mode": "standard"}
    assert config.connect_timeout == 5 and config.read_timeout == 10
    assert s3.client.meta.region_name == "us-east-1"


def test_s3_exists(s3: S3Storage, bucket: str) -> None:
    assert s3.exists(f"s3://{bucket}/replays/room-7.mp4")
    assert s3.exists(f"s3://{bucket}/records/with space#and?odd.json")  # keys are taken verbatim
    assert not s3.exists(f"s3://{bucket}/replays/missing.mp4")
    assert not s3.exists(f"s3://{bucket}/replays")  # a prefix is not an object


def test_s3_delete_and_delete_again(s3: S3Storage, bucket: str, moto_endpoint: str) -> None:
    uri = f"s3://{bucket}/replays/room-7.mp4"
    s3.delete(uri)
    assert not s3.exists(uri)
    s3.delete(uri)  # idempotent: a missing key is success
    s3.delete(f"s3://{bucket}/never/existed")
    odd = f"s3://{bucket}/records/with space#and?odd.json"
    s3.delete(odd)
    assert not s3.exists(odd)
    client = boto3.session.Session().client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")
    assert client.list_objects_v2(Bucket=bucket).get("KeyCount") == 0


def test_s3_missing_bucket_is_permanent(s3: S3Storage) -> None:
    uri = f"s3://lt-missing-{uuid.uuid4().hex[:12]}/replays/x.mp4"
    with pytest.raises(StorageError) as info:
        s3.delete(uri)
    assert info.value.retryable is False
    assert "NoSuchBucket" in str(info.value)
    assert not s3.exists(uri)  # HEAD cannot tell a missing bucket from a missing key


@pytest.mark.parametrize("uri", ["s3://bucket-only", "s3://bucket-only/", "s3:///key", "s3:bucket/key"])
def test_s3_malformed_uris(s3: S3Storage, uri: str) -> None:
    with pytest.raises(StorageError) as info:
        s3.delete(uri)
    assert info.value.retryable is False


class _FailingClient:
    """Stands in for a boto3 client whose every call fails with ``error`` (after botocore's own retries)."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def delete_object(self, **_: object) -> None:
        raise self.error

    def head_object(self, **_: object) -> None:
        raise self.error


def _client_error(code: str, status: int) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": status}}, "DeleteObject"
    )


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (_client_error("SlowDown", 503), True),
        (_client_error("InternalError", 500), True),
        (_client_error("ThrottlingException", 400), True),
        (_client_error("AccessDenied", 403), False),
        (_client_error("NoSuchBucket", 404), False),
        (EndpointConnectionError(endpoint_url="http://127.0.0.1:9"), True),
        (NoCredentialsError(), False),
    ],
)
def test_s3_error_classification(error: Exception, retryable: bool) -> None:
    s3 = S3Storage(client=_FailingClient(error))
    with pytest.raises(StorageError) as info:
        s3.delete("s3://bucket/key")
    assert info.value.retryable is retryable


def test_s3_head_forbidden_is_an_error_not_absence() -> None:
    s3 = S3Storage(client=_FailingClient(_client_error("403", 403)))
    with pytest.raises(StorageError) as info:
        s3.exists("s3://bucket/key")
    assert info.value.retryable is False


# ---------------------------------------------------------------------------------------------------------------
# Registry and digests


def test_registry_routes_by_scheme(root: Path, moto_endpoint: str, aws_env: None) -> None:
    local = LocalFileStorage(root)
    s3 = S3Storage(endpoint_url=moto_endpoint)
    registry = AdapterRegistry([local, s3])
    assert registry.for_uri((root / "x.mp4").as_uri()) is local
    assert registry.for_uri("s3://bucket/key") is s3
    assert registry.adapters == (local, s3)


@pytest.mark.parametrize("uri", ["gs://bucket/key", "https://cdn.example/x.mp4", "/no/scheme", ""])
def test_registry_unknown_scheme(root: Path, uri: str) -> None:
    registry = AdapterRegistry([LocalFileStorage(root)])
    with pytest.raises(StorageError) as info:
        registry.for_uri(uri)
    assert info.value.retryable is False


def test_registry_from_env_local_only(tmp_path: Path) -> None:
    registry = AdapterRegistry.from_env({"LIVETRUST_DATA_DIR": str(tmp_path / "data")})
    (adapter,) = registry.adapters
    assert isinstance(adapter, LocalFileStorage)
    assert adapter.root == tmp_path / "data" / "content"
    with pytest.raises(StorageError):
        registry.for_uri("s3://bucket/key")  # S3 is off unless asked for


def test_registry_from_env_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    (adapter,) = AdapterRegistry.from_env({"LIVETRUST_RETENTION_S3_ENDPOINT": ""}).adapters
    assert isinstance(adapter, LocalFileStorage)
    assert adapter.root == tmp_path / ".livetrust" / "content"


def test_registry_from_env_explicit_root_and_s3(tmp_path: Path, aws_env: None) -> None:
    registry = AdapterRegistry.from_env(
        {
            "LIVETRUST_DATA_DIR": str(tmp_path / "data"),
            "LIVETRUST_RETENTION_STORAGE_ROOT": str(tmp_path / "media"),
            "LIVETRUST_RETENTION_S3_ENDPOINT": "http://127.0.0.1:9000",
            "LIVETRUST_RETENTION_S3_REGION": "eu-west-1",
        }
    )
    local = registry.for_uri((tmp_path / "media" / "x").as_uri())
    s3 = registry.for_uri("s3://bucket/key")
    assert isinstance(local, LocalFileStorage) and local.root == tmp_path / "media"
    assert isinstance(s3, S3Storage)
    assert s3.client.meta.endpoint_url == "http://127.0.0.1:9000"
    assert s3.client.meta.region_name == "eu-west-1"


def test_registry_from_env_s3_flag_without_endpoint(tmp_path: Path, aws_env: None) -> None:
    registry = AdapterRegistry.from_env({"LIVETRUST_DATA_DIR": str(tmp_path), "LIVETRUST_RETENTION_S3": "1"})
    s3 = registry.for_uri("s3://bucket/key")
    assert isinstance(s3, S3Storage)
    assert s3.client.meta.region_name == "us-east-1"
    assert "amazonaws.com" in s3.client.meta.endpoint_url


def test_uri_digest_is_stable() -> None:
    uri = "s3://replays/2024/room-7.mp4"
    assert uri_digest(uri) == "369df30f46525ef6e51a23a334adffbc96cac482d5965e66f9860f42efd1a102"
    assert uri_digest(uri) == uri_digest(uri) == hashlib.sha256(uri.encode()).hexdigest()
    assert uri_digest(uri + "x") != uri_digest(uri)
    assert len(uri_digest("")) == 64


def test_local_delete_many_answers_per_uri_in_order(root: Path, outside: Path) -> None:
    storage = LocalFileStorage(root)
    kept = _file(root, "a/kept.mp4")
    gone = [_file(root, f"a/{i}.mp4") for i in range(3)]
    link = root / "a" / "out.lnk"
    link.symlink_to(outside)
    uris = [
        gone[0].as_uri(),
        outside.as_uri(),
        gone[1].as_uri(),
        link.as_uri(),
        (root / "a" / "never.mp4").as_uri(),
        (root / "a").as_uri(),
        gone[2].as_uri(),
    ]
    results = storage.delete_many(uris)
    assert [r is None for r in results] == [True, False, True, False, True, False, True]
    assert all(isinstance(r, StorageError) and not r.retryable for r in (results[1], results[3], results[5]))
    assert not any(p.exists() for p in gone) and kept.exists() and outside.read_text() == "keep me"


def test_local_delete_many_in_parallel_keeps_answers_in_order(root: Path, outside: Path) -> None:
    storage = LocalFileStorage(root)
    files = [_file(root, f"b/{i % 3}/{i}.mp4") for i in range(60)]
    uris = [f.as_uri() for f in files]
    uris[7] = outside.as_uri()  # refused wherever it falls in the batch
    uris[41] = (root / "b").as_uri()
    results = storage.delete_many(uris)
    assert [i for i, r in enumerate(results) if r is not None] == [7, 41]
    assert not any(f.exists() for i, f in enumerate(files) if i not in (7, 41))
    assert files[7].exists() and files[41].exists() and outside.read_text() == "keep me"
