"""Exceptions raised by the federation layer.

Expected outcomes (a bad signature, a refused inbox post, a failed delivery) are *returned* as
frozen dataclasses with a ``reason``; exceptions are for I/O that could not be completed::

    FederationError
    ├── FetchError                 a remote document could not be fetched
    │   ├── UnsafeURLError         scheme, address or redirect count refused before connecting
    │   ├── FetchTooLargeError     body larger than the limit
    │   ├── FetchStatusError       non-2xx answer (``status`` kept; 410 means gone)
    │   ├── FetchNetworkError      connection failed, reset or refused (DNS included)
    │   │   └── FetchTimeoutError  connect, read or overall deadline exceeded
    │   └── InvalidDocumentError   not AS2 JSON, or ``id`` differs from the URL asked for
    ├── WebFingerError             a handle could not be resolved to an actor URI
    └── KeyResolutionError         no usable public key for a ``keyId``
"""

from __future__ import annotations


class FederationError(Exception):
    """Base class of every error raised by ``federation``."""


class FetchError(FederationError):
    """A remote document could not be fetched."""


class UnsafeURLError(FetchError):
    """The URL was refused before connecting (scheme, private address, too many redirects)."""


class FetchTooLargeError(FetchError):
    """The remote body exceeded the size limit."""


class FetchStatusError(FetchError):
    """The remote server answered with a non-success status."""

    def __init__(self, url: str, status: int) -> None:
        super().__init__(f"{url} answered {status}")
        self.url = url
        self.status = status


class FetchNetworkError(FetchError):
    """The remote server could not be reached or the connection broke; worth retrying later."""


class FetchTimeoutError(FetchNetworkError):
    """The remote server was too slow to connect, answer or finish its body."""


class InvalidDocumentError(FetchError):
    """The fetched body is not an acceptable ActivityStreams document."""


class WebFingerError(FederationError):
    """A handle could not be resolved through WebFinger."""


class KeyResolutionError(FederationError):
    """No usable public key could be found for a ``keyId``."""
