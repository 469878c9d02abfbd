"""Personal data at rest and in digests: AES-GCM field encryption with rotating keys, and keyed
digests (HMAC-SHA256) that stand for a person everywhere outside this service."""

from __future__ import annotations

import hashlib
import hmac
import os
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from livetrust.runtime import env_secret

__all__ = ["Digester", "Keyring"]

_NONCE_BYTES = 12


def _parse_key(text: bytes) -> bytes:
    key = bytes.fromhex(text.decode().strip())
    if len(key) not in (16, 24, 32):
        raise ValueError("an encryption key is 16, 24 or 32 bytes, written in hex")
    return key


class Keyring:
    """Encrypts with the active key, decrypts with whichever key a row names (so keys can rotate).

    Each ciphertext is bound to its row and column through the associated data, so a value copied
    into another row or column does not decrypt.
    """

    def __init__(self, keys: Mapping[str, bytes], active_key_id: str) -> None:
        if active_key_id not in keys:
            raise ValueError("the active key id is not among the keys")
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self.active_key_id = active_key_id

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Keyring:
        """Keys from ``LIVETRUST_IDENTITY_ENCRYPTION_KEYS`` (``id=hex`` entries separated by commas
        or new lines; active: ``LIVETRUST_IDENTITY_ACTIVE_KEY_ID``, default the last one) or a single
        ``LIVETRUST_IDENTITY_ENCRYPTION_KEY`` (hex). Either may come from a ``_FILE``."""
        if listed := env_secret("LIVETRUST_IDENTITY_ENCRYPTION_KEYS", env):
            keys: dict[str, bytes] = {}
            for entry in listed.decode().replace("\n", ",").split(","):
                if entry.strip():
                    key_id, _, value = entry.strip().partition("=")
                    keys[key_id.strip()] = _parse_key(value.encode())
            if not keys:
                raise ValueError("LIVETRUST_IDENTITY_ENCRYPTION_KEYS lists no keys")
            return cls(keys, env.get("LIVETRUST_IDENTITY_ACTIVE_KEY_ID") or list(keys)[-1])
        if single := env_secret("LIVETRUST_IDENTITY_ENCRYPTION_KEY", env):
            key = _parse_key(single)
            return cls({"k-" + hashlib.sha256(key).hexdigest()[:8]: key}, "k-" + hashlib.sha256(key).hexdigest()[:8])
        raise ValueError("no encryption key: set LIVETRUST_IDENTITY_ENCRYPTION_KEY(S) or its _FILE")

    def encrypt(self, plaintext: str, *, aad: bytes) -> tuple[str, bytes]:
        nonce = os.urandom(_NONCE_BYTES)
        ciphertext = self._ciphers[self.active_key_id].encrypt(nonce, plaintext.encode(), aad)
        return self.active_key_id, nonce + ciphertext

    def decrypt(self, key_id: str, blob: bytes, *, aad: bytes) -> str:
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise KeyError(f"encryption key {key_id!r} is not configured")
        return cipher.decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], aad).decode()


def _normalize_name(name: str) -> str:
    # Full-width and half-width forms, stray spaces: one person, one digest.
    return " ".join(unicodedata.normalize("NFKC", name).split()).casefold()


@dataclass(frozen=True, slots=True)
class Digester:
    """Keyed digests under the consortium key: the same person gets the same digest on every
    platform that shares the key, and nobody without the key can reverse one by brute force."""

    consortium_key: bytes

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Digester:
        key = env_secret("LIVETRUST_CONSORTIUM_KEY", env)
        if not key:
            raise ValueError("no consortium key: set LIVETRUST_CONSORTIUM_KEY or LIVETRUST_CONSORTIUM_KEY_FILE")
        return cls(key)

    def _hmac(self, *parts: str) -> str:
        # hmac.digest: OpenSSL's one-shot HMAC, without building an HMAC object per call.
        return hmac.digest(self.consortium_key, "\x00".join(parts).encode(), "sha256").hex()

    def subject_digest(self, normalized_id_number: str) -> str:
        """The digest of a normalized resident ID number or USCC (what the blacklist sees)."""
        return self._hmac(normalized_id_number)

    def name_digest(self, name: str) -> str:
        return self._hmac("name", _normalize_name(name))

    def person_digest(self, normalized_id_number: str, name: str) -> str:
        """Name and number together: the idempotency key of a verification."""
        return self._hmac("person", normalized_id_number, _normalize_name(name))
