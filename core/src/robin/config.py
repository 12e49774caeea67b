"""Process-wide configuration: which server, which namespace, and the shared client."""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING

from robin.keys import check_name

if TYPE_CHECKING:
    from robin.client import Client

_lock = threading.Lock()
_redis_url: str | None = None
_namespace: str | None = None
_client: Client | None = None


def configure(redis_url: str | None = None, namespace: str | None = None) -> None:
    """Point Robin at a server and/or a namespace, in code.

    ``redis_url`` takes precedence over ``ROBIN_REDIS_URL``/``REDIS_URL`` (see
    :mod:`robin.server`); ``namespace`` over ``ROBIN_NAMESPACE`` (default ``robin``).
    The next enqueue uses the new settings.
    """
    global _redis_url, _namespace, _client
    if namespace is not None:
        check_name("namespace", namespace)
    with _lock:
        if redis_url is not None:
            _redis_url = redis_url or None
        if namespace is not None:
            _namespace = namespace
        old, _client = _client, None
    if old is not None:
        old.close()


def namespace() -> str:
    return _namespace or os.environ.get("ROBIN_NAMESPACE") or "robin"


def redis_url() -> str | None:
    """The URL given to :func:`configure`, if any."""
    return _redis_url


def client() -> Client:
    """The process-wide client, created on first use."""
    global _client
    current = _client
    if current is not None:
        return current
    from robin.client import Client

    with _lock:
        if _client is None:
            _client = Client.from_settings(_redis_url, namespace())
        return _client


def reset() -> None:
    """Forget the configuration (tests use this between cases)."""
    global _redis_url, _namespace, _client
    with _lock:
        old, _client = _client, None
        _redis_url = None
        _namespace = None
    if old is not None:
        old.close()
