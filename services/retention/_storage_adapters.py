"""Storage adapters the retention purge deletes content through: local files and S3.

A purge must survive a crash and be run again, so every ``delete`` is idempotent: deleting something
already gone is success. Real failures raise :class:`StorageError`, whose ``retryable`` tells the purge
whether to try again later or to give up and report. Adapters are synchronous; the service calls them
in a worker thread.

Messages never carry the content address itself (it may name a person); they carry a prefix of
:func:`uri_digest`, the same value the tombstones keep.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit
from urllib.request import url2pathname

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

__all__ = [
    "AdapterRegistry",
    "LocalFileStorage",
    "S3Storage",
    "StorageAdapter",
    "StorageError",
    "uri_digest",
]


def uri_digest(uri: str) -> str:
    """SHA-256 hex digest of ``uri``: what a tombstone keeps instead of the address."""
    return hashlib.sha256(uri.encode("utf-8")).hexdigest()


class StorageError(Exception):
    """A delete or lookup that really failed; ``retryable`` says whether trying again may help."""

    def __init__(self, message: str, *, retryable: bool, uri: str | None = None) -> None:
        self.retryable = retryable
        #: Digest of the URI concerned (empty when none); the URI itself is deliberately not kept.
        self.uri_digest = uri_digest(uri) if uri is not None else ""
        if self.uri_digest:
            message = f"{message} [uri sha256:{self.uri_digest[:16]}]"
        super().__init__(message)
        self.message = message


def _scheme(uri: str) -> str:
    head, sep, _ = uri.partition(":")
    return head.lower() if sep else ""


@runtime_checkable
class StorageAdapter(Protocol):
    """Where content lives; ``accepts`` picks the adapter for a URI by its scheme."""

    name: str

    def exists(self, uri: str) -> bool:
        """Whether the object at ``uri`` is present."""
        ...

    def delete(self, uri: str) -> None:
        """Delete ``uri``; already gone is success. Raises :class:`StorageError` on real failures."""
        ...

    def accepts(self, uri: str) -> bool:
        """Whether this adapter handles ``uri`` (a scheme check, no I/O)."""
        ...


# OS errors that will fail the same way on every retry; anything else (EIO, EBUSY, ...) may pass later.
_PERMANENT_ERRNOS = frozenset({errno.EACCES, errno.EPERM, errno.EROFS, errno.ENAMETOOLONG, errno.ELOOP, errno.EINVAL})


class LocalFileStorage:
    """Files under ``root``, addressed as ``file:///abs/path``; nothing outside ``root`` is ever touched.

    Both ``root`` and the target are resolved (symlinks followed) before the containment check, so a
    symlink inside the root that points outside is refused. A symlink pointing inside the root deletes its
    target, which is the content. Only regular files (and other non-directories) are deleted.
    """

    name: str = "file"

    def __init__(self, root: Path) -> None:
        # Absolute now, so a later chdir cannot move the root; resolved per call, so a root that is (or
        # later becomes) a symlink is judged by where it really points at that moment.
        self.root = Path(root).absolute()

    def accepts(self, uri: str) -> bool:
        return _scheme(uri) == "file"

    def _raw_path(self, uri: str) -> str:
        """The absolute path ``uri`` names, not resolved yet."""
        if not self.accepts(uri):
            raise StorageError("not a file:// URI", retryable=False, uri=uri)
        parts = urlsplit(uri)
        if parts.netloc not in ("", "localhost"):
            raise StorageError("file URI names a remote host", retryable=False, uri=uri)
        # A '?' or '#' in a file name is percent-encoded by Path.as_uri(); a raw one means a malformed URI,
        # and guessing which file was meant is not acceptable for a delete.
        if parts.query or parts.fragment:
            raise StorageError("file URI has a query or fragment", retryable=False, uri=uri)
        raw = url2pathname(parts.path)
        if "\x00" in raw:
            raise StorageError("file URI contains a NUL byte", retryable=False, uri=uri)
        if not Path(raw).is_absolute():
            raise StorageError("file URI path is not absolute", retryable=False, uri=uri)
        return raw

    def _path(self, uri: str) -> Path:
        """The resolved path for ``uri``, guaranteed inside the resolved root."""
        path = Path(self._raw_path(uri))
        try:
            root = self.root.resolve()
            target = path.resolve()
        except (OSError, RuntimeError) as exc:  # RuntimeError: symlink loop on Python < 3.13
            raise StorageError(f"cannot resolve path: {exc.__class__.__name__}", retryable=False, uri=uri) from exc
        if not target.is_relative_to(root):
            raise StorageError("path resolves outside the storage root; refused", retryable=False, uri=uri)
        return target

    def exists(self, uri: str) -> bool:
        target = self._path(uri)
        try:
            os.lstat(target)
        except (FileNotFoundError, NotADirectoryError):
            return False
        except OSError as exc:
            raise _os_error("cannot stat", exc, uri) from exc
        return True

    def delete(self, uri: str) -> None:
        self._delete_resolved(uri)

    def _delete_resolved(self, uri: str) -> None:
        target = self._path(uri)
        try:
            # lstat: the resolved path holds no symlinks, and a directory must be refused, not emptied.
            if stat.S_ISDIR(os.lstat(target).st_mode):
                raise StorageError("refusing to delete a directory", retryable=False, uri=uri)
            os.unlink(target)
        except (FileNotFoundError, NotADirectoryError):
            return  # already gone (or its parent never was a directory): the purge's goal holds
        except IsADirectoryError as exc:  # replaced by a directory between lstat and unlink
            raise StorageError("refusing to delete a directory", retryable=False, uri=uri) from exc
        except OSError as exc:
            raise _os_error("cannot delete", exc, uri) from exc

    def delete_many(self, uris: Sequence[str]) -> list[StorageError | None]:
        """:meth:`delete` of each of ``uris`` (a purge batch), with the same guarantees; per URI, None
        (deleted, or already gone) or its error. The root is resolved once for the call and each distinct
        parent directory once: a file then costs two system calls (lstat, unlink) instead of one per
        component of its path and of the root's. A final component that is a symlink, ``.`` or ``..`` takes
        the general path of :meth:`delete`."""
        try:
            root = os.path.realpath(self.root)
        except OSError as exc:
            error = StorageError(f"cannot resolve the storage root: {exc.__class__.__name__}", retryable=False)
            return [error for _ in uris]
        inside = root if root.endswith(os.sep) else root + os.sep
        parents: dict[str, str] = {}  # shared by the workers: a race only resolves a directory twice

        def delete_one(uri: str) -> StorageError | None:
            try:
                self._delete_below(uri, root, inside, parents)
            except StorageError as exc:
                return exc
            return None

        if len(uris) < _PARALLEL_FROM:
            return [delete_one(uri) for uri in uris]
        # unlink waits on the file system's journal, not the CPU, and releases the GIL: a few at once.
        with ThreadPoolExecutor(max_workers=_DELETE_WORKERS, thread_name_prefix="purge-delete") as pool:
            return list(pool.map(delete_one, uris))

    def _delete_below(self, uri: str, root: str, inside: str, parents: dict[str, str]) -> None:
        head, name = os.path.split(self._raw_path(uri))
        if name in ("", ".", ".."):
            self._delete_resolved(uri)
            return
        parent = parents.get(head)
        if parent is None:
            try:
                parent = parents[head] = os.path.realpath(head)
            except OSError as exc:
                raise StorageError(f"cannot resolve path: {exc.__class__.__name__}", retryable=False, uri=uri) from exc
        target = os.path.join(parent, name)  # what resolving the whole path gives, unless name is a symlink
        if target != root and not target.startswith(inside):
            raise StorageError("path resolves outside the storage root; refused", retryable=False, uri=uri)
        try:
            mode = os.lstat(target).st_mode
        except (FileNotFoundError, NotADirectoryError):
            return  # already gone
        except OSError as exc:
            raise _os_error("cannot stat", exc, uri) from exc
        if stat.S_ISLNK(mode):
            self._delete_resolved(uri)  # judged by where the link points
            return
        if stat.S_ISDIR(mode):
            raise StorageError("refusing to delete a directory", retryable=False, uri=uri)
        try:
            os.unlink(target)
        except (FileNotFoundError, NotADirectoryError):
            return
        except IsADirectoryError as exc:  # replaced by a directory between lstat and unlink
            raise StorageError("refusing to delete a directory", retryable=False, uri=uri) from exc
        except OSError as exc:
            raise _os_error("cannot delete", exc, uri) from exc


_PARALLEL_FROM = 16
_DELETE_WORKERS = 8


def _os_error(what: str, exc: OSError, uri: str) -> StorageError:
    code = errno.errorcode.get(exc.errno or 0, "unknown")
    return StorageError(f"{what}: {code}", retryable=exc.errno not in _PERMANENT_ERRNOS, uri=uri)


# Codes that mean "this will never work as configured"; retrying only delays the report.
_S3_PERMANENT_CODES = frozenset(
    {
        "NoSuchBucket",
        "AccessDenied",
        "AllAccessDisabled",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "InvalidBucketName",
        "AccountProblem",
        "InvalidObjectState",
        "MethodNotAllowed",
        "PermanentRedirect",
        "AuthorizationHeaderMalformed",
    }
)


class S3Storage:
    """Objects in S3 (or an S3-compatible store), addressed as ``s3://bucket/key``.

    The key is taken verbatim (no percent-decoding), as the AWS CLI does. Transient failures are retried by
    botocore itself (standard mode, 5 retries after the first try); what still fails becomes :class:`StorageError`.
    On a versioned bucket ``delete_object`` only adds a delete marker; older versions remain.
    """

    name: str = "s3"

    def __init__(
        self, endpoint_url: str | None = None, region_name: str = "us-east-1", client: Any | None = None
    ) -> None:
        if client is None:
            config = Config(retries={"max_attempts": 5, "mode": "standard"}, connect_timeout=5, read_timeout=10)
            # A private session: boto3's default session is module-global and not safe to create from threads.
            client = boto3.session.Session().client(
                "s3", endpoint_url=endpoint_url, region_name=region_name, config=config
            )
        self.client = client

    def accepts(self, uri: str) -> bool:
        return _scheme(uri) == "s3"

    def _split(self, uri: str) -> tuple[str, str]:
        if not self.accepts(uri):
            raise StorageError("not an s3:// URI", retryable=False, uri=uri)
        # Not urlsplit: a key may legitimately contain '?' or '#'.
        rest = uri.split(":", 1)[1]
        if not rest.startswith("//"):
            raise StorageError("malformed s3 URI", retryable=False, uri=uri)
        bucket, _, key = rest[2:].partition("/")
        if not bucket or not key:
            raise StorageError("s3 URI needs both a bucket and a key", retryable=False, uri=uri)
        return bucket, key

    def exists(self, uri: str) -> bool:
        bucket, key = self._split(uri)
        try:
            self.client.head_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            # HEAD has no body, so a missing key and a missing bucket both arrive as a bare 404.
            if _http_status(exc) == 404:
                return False
            raise _client_error("head_object failed", exc, uri) from exc
        except BotoCoreError as exc:
            raise _botocore_error("head_object failed", exc, uri) from exc
        return True

    def delete(self, uri: str) -> None:
        bucket, key = self._split(uri)
        try:
            # S3 answers 204 for a key that is not there, so this is idempotent as is.
            self.client.delete_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            raise _client_error("delete_object failed", exc, uri) from exc
        except BotoCoreError as exc:
            raise _botocore_error("delete_object failed", exc, uri) from exc


def _http_status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


def _client_error(what: str, exc: ClientError, uri: str) -> StorageError:
    code = str(exc.response.get("Error", {}).get("Code", ""))
    status = _http_status(exc)
    # botocore already retried throttling and 5xx; still failing, they may pass on a later purge run.
    retryable = code not in _S3_PERMANENT_CODES and (status >= 500 or status in (408, 429) or "Throttl" in code)
    return StorageError(f"{what}: {code or status}", retryable=retryable, uri=uri)


def _botocore_error(what: str, exc: BotoCoreError, uri: str) -> StorageError:
    # Network trouble may clear; missing credentials or bad parameters will not.
    retryable = isinstance(
        exc, EndpointConnectionError | ConnectTimeoutError | ReadTimeoutError | ConnectionClosedError
    )
    return StorageError(f"{what}: {exc.__class__.__name__}", retryable=retryable, uri=uri)


class AdapterRegistry:
    """The adapters the purge may use; picks one per URI by scheme."""

    def __init__(self, adapters: Iterable[StorageAdapter]) -> None:
        self._adapters = tuple(adapters)

    @property
    def adapters(self) -> tuple[StorageAdapter, ...]:
        return self._adapters

    def for_uri(self, uri: str) -> StorageAdapter:
        """The first adapter accepting ``uri``; an unknown scheme is a permanent error."""
        for adapter in self._adapters:
            if adapter.accepts(uri):
                return adapter
        raise StorageError(f"no storage adapter for scheme {_scheme(uri)!r}", retryable=False, uri=uri)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> AdapterRegistry:
        """Local files always; S3 when ``LIVETRUST_RETENTION_S3_ENDPOINT`` is set or ``LIVETRUST_RETENTION_S3=1``."""
        # Empty values count as unset, as in livetrust.cli.
        root = env.get("LIVETRUST_RETENTION_STORAGE_ROOT") or str(
            Path(env.get("LIVETRUST_DATA_DIR") or ".livetrust") / "content"
        )
        adapters: list[StorageAdapter] = [LocalFileStorage(Path(root))]
        endpoint = env.get("LIVETRUST_RETENTION_S3_ENDPOINT") or None
        if endpoint or env.get("LIVETRUST_RETENTION_S3") == "1":
            region = env.get("LIVETRUST_RETENTION_S3_REGION") or "us-east-1"
            adapters.append(S3Storage(endpoint_url=endpoint, region_name=region))
        return cls(adapters)
