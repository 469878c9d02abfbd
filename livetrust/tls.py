"""Mutual TLS between livetrust's own parts (gateway -> services, service -> service), when
certificates are configured. The gateway's public listener is left to the ingress that terminates
callers' TLS; services then accept only peers whose certificate the shared CA signed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import grpc

from livetrust._env import env_secret

__all__ = ["TlsConfig"]


@dataclass(frozen=True, slots=True)
class TlsConfig:
    """PEM material, read from files named by ``LIVETRUST_TLS_CERT_FILE``, ``LIVETRUST_TLS_KEY_FILE``
    and ``LIVETRUST_TLS_CA_FILE`` (all three, or none)."""

    certificate_chain: bytes
    """This part's certificate (presented as server and as client)."""
    private_key: bytes
    ca_certificates: bytes
    """The CA that signs every part's certificate: peers must chain to it."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> TlsConfig | None:
        # env_secret reads NAME or the file named by NAME_FILE; only the _FILE forms are documented.
        parts = [env_secret(f"LIVETRUST_TLS_{name}", env) for name in ("CERT", "KEY", "CA")]
        if not any(parts):
            return None
        if not all(parts):
            raise ValueError("set all of LIVETRUST_TLS_CERT_FILE, LIVETRUST_TLS_KEY_FILE and LIVETRUST_TLS_CA_FILE")
        cert, key, ca = parts
        assert cert is not None and key is not None and ca is not None
        return cls(cert, key, ca)

    def server_credentials(self) -> grpc.ServerCredentials:
        return grpc.ssl_server_credentials(
            [(self.private_key, self.certificate_chain)],
            root_certificates=self.ca_certificates,
            require_client_auth=True,
        )

    def channel_credentials(self) -> grpc.ChannelCredentials:
        return grpc.ssl_channel_credentials(
            root_certificates=self.ca_certificates,
            private_key=self.private_key,
            certificate_chain=self.certificate_chain,
        )
