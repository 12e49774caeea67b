"""Process-wide configuration: which server, which namespace, and the shared client."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from robin.keys import check_name

if TYPE_CHECKING:
    from robin.client import Client
    from robin.job import Job, JobOptions

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


_role = "client"


def set_role(role: str) -> None:
    """``robin worker`` sets ``"worker"`` before importing the application's modules."""
    global _role
    _role = role


def in_worker() -> bool:
    """True inside a ``robin worker`` process (also while it imports the modules given with -r).

    Plug-ins use it to tell new work from work already queued: a worker must always be
    able to start and finish what was enqueued, whatever a license says.
    """
    return _role == "worker"


def namespace() -> str:
    return _namespace or os.environ.get("ROBIN_NAMESPACE") or "robin"


def redis_url() -> str | None:
    """The URL given to :func:`configure`, if any."""
    return _redis_url


class Backend(Protocol):
    """What ``Job.enqueue*`` calls.  :class:`robin.client.Client` sends to Redis; the test
    modes of :mod:`robin.testing` run or collect jobs instead (see :func:`use_client`)."""

    def enqueue(self, job: Job[..., Any] | None, name: str, args: Sequence[Any], kwargs: dict[str, Any],
                options: JobOptions, at: float | None = None) -> str | None: ...

    def enqueue_many(self, job: Job[..., Any] | None, name: str, items: Iterable[Sequence[Any]],
                     options: JobOptions) -> list[str | None]: ...


_override: Backend | None = None


@contextlib.contextmanager
def use_client(backend: Backend) -> Iterator[Backend]:
    """Send every enqueue of this process to ``backend`` inside the ``with`` block.

    This is the seam the test modes use (:mod:`robin.testing`); nesting restores the
    previous backend on exit.
    """
    global _override
    previous, _override = _override, backend
    try:
        yield backend
    finally:
        _override = previous


def client() -> Backend:
    """Where enqueues go: the backend installed by :func:`use_client`, else the process-wide
    Redis client, created on first use."""
    if _override is not None:
        return _override
    return redis_client()


def redis_client() -> Client:
    """The process-wide Redis client, created on first use (whatever :func:`use_client` says)."""
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
