"""Signed inbox requests, built ahead of a run as complete HTTP/1.1 messages.

Each is a ``Create{Note}`` from one of the known remote actors (``bench.database.add_signers``),
signed draft-cavage with that actor's RSA-2048 key exactly as Mastodon signs deliveries.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from federation.httpsig import SigningKey, sign_request
from federation.keys import generate_rsa_pem_pair, load_private_key

__all__ = ["KeyRing", "signed_creates", "signed_posts"]

_CONTENT = "<p>" + "A reply about the commons, long enough to look like a real post. " * 6 + "</p>"


@dataclass(frozen=True)
class KeyRing:
    """RSA-2048 key pairs, shared round-robin by the signers (generating one costs ~60 ms)."""

    private: list[rsa.RSAPrivateKey]
    public_pems: list[str]

    @classmethod
    def generate(cls, count: int) -> KeyRing:
        pairs = [generate_rsa_pem_pair() for _ in range(count)]
        private = []
        for private_pem, _ in pairs:
            key = load_private_key(private_pem)
            assert isinstance(key, rsa.RSAPrivateKey)
            private.append(key)
        return cls(private, [public for _, public in pairs])


def signed_creates(
    *,
    base_url: str,
    signers: list[str],
    keys: KeyRing,
    count: int,
    tag: str,
    path: str = "/inbox",
) -> tuple[list[bytes], list[str]]:
    """Return ``count`` signed POSTs to ``{base_url}{path}`` and their activity ids."""
    url = f"{base_url}{path}"
    requests, ids = [], []
    for index in range(count):
        signer = index % len(signers)
        actor_uri = signers[signer]
        activity_id = f"{actor_uri}/statuses/{tag}-{index}/activity"
        body = json.dumps(
            {
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": activity_id,
                "type": "Create",
                "actor": actor_uri,
                "to": ["https://www.w3.org/ns/activitystreams#Public"],
                "object": {
                    "id": f"{actor_uri}/statuses/{tag}-{index}",
                    "type": "Note",
                    "attributedTo": actor_uri,
                    "content": _CONTENT,
                    "to": ["https://www.w3.org/ns/activitystreams#Public"],
                },
            }
        ).encode()
        key = SigningKey(f"{actor_uri}#main-key", keys.private[signer % len(keys.private)])
        headers = {"Content-Type": "application/activity+json"}
        headers |= sign_request(method="POST", url=url, headers=headers, body=body, key=key)
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        requests.append(
            f"POST {path} HTTP/1.1\r\n{head}Content-Length: {len(body)}\r\n\r\n".encode() + body
        )
        ids.append(activity_id)
    return requests, ids


def signed_posts(
    *,
    base_url: str,
    documents: list[dict[str, Any]],
    signers: list[str],
    keys: KeyRing,
    path: str = "/inbox",
) -> list[bytes]:
    """Return each document POSTed to ``{base_url}{path}``, signed by its ``actor`` (one of
    ``signers``, whose key is ``keys``' in turn, as ``bench.database.add_signers`` stored)."""
    index = {uri: k for k, uri in enumerate(signers)}
    url = f"{base_url}{path}"
    requests = []
    for document in documents:
        actor_uri = str(document["actor"])
        body = json.dumps(document).encode()
        private = keys.private[index[actor_uri] % len(keys.private)]
        key = SigningKey(f"{actor_uri}#main-key", private)
        headers = {"Content-Type": "application/activity+json"}
        headers |= sign_request(method="POST", url=url, headers=headers, body=body, key=key)
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        requests.append(
            f"POST {path} HTTP/1.1\r\n{head}Content-Length: {len(body)}\r\n\r\n".encode() + body
        )
    return requests
