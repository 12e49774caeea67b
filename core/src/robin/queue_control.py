"""Seams for plug-ins that control queues: pausing, and keeping queues from being fetched.

Core has no opinion on *why* a queue should not be fetched; a plug-in registers

* a **fetch filter** - ``filter(conn, keys, queue_names) -> names to skip`` - that every
  worker consults before fetching, at most every ``FILTER_TTL`` seconds (and again each
  time it is woken), so a change reaches the whole fleet within that time;
* a **queue control** - an object with ``pause(conn, keys, name)``,
  ``unpause(conn, keys, name)`` and ``is_paused(conn, keys, name)`` - behind
  ``robin.api.Queue.pause()``, ``.unpause()`` and ``.paused``.

A failing filter is logged and ignored (no queue is skipped): a plug-in's trouble must
not stop the worker.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Protocol

import redis

from robin.errors import ConfigurationError
from robin.keys import Keys

FILTER_TTL = 0.5  # seconds a worker trusts the filters' last answer

FetchFilter = Callable[[redis.Redis, Keys, list[str]], Iterable[str]]


class QueueControl(Protocol):
    def pause(self, conn: redis.Redis, keys: Keys, name: str) -> None: ...

    def unpause(self, conn: redis.Redis, keys: Keys, name: str) -> None: ...

    def is_paused(self, conn: redis.Redis, keys: Keys, name: str) -> bool: ...


_lock = threading.Lock()
_filters: tuple[FetchFilter, ...] = ()
_control: QueueControl | None = None


def add_fetch_filter(fetch_filter: FetchFilter) -> None:
    global _filters
    with _lock:
        if fetch_filter not in _filters:
            _filters = (*_filters, fetch_filter)


def remove_fetch_filter(fetch_filter: FetchFilter) -> None:
    global _filters
    with _lock:
        _filters = tuple(f for f in _filters if f is not fetch_filter)


def fetch_filters() -> tuple[FetchFilter, ...]:
    return _filters


def set_queue_control(control: QueueControl | None) -> None:
    """Install the object behind ``Queue.pause()``/``unpause()``/``paused`` (None removes it)."""
    global _control
    with _lock:
        _control = control


def queue_control() -> QueueControl | None:
    from robin import plugins

    plugins.load()
    return _control


def require_control(action: str) -> QueueControl:
    from robin import plugins  # the control may belong to a plug-in that is not loaded yet

    plugins.load()
    control = _control
    if control is None:
        raise ConfigurationError(f"{action} a queue is a plug-in's feature (Robin Pro) and no plug-in provides it: "
                                 f"install robin-pro from your Robin Pro/Enterprise package index (pip install "
                                 f"--index-url YOUR-INDEX-URL robin-pro; see docs/install.md)")
    return control


def wake_workers(conn: redis.Redis, keys: Keys, queue: str, count: int = 8) -> None:
    """Wake up to ``count`` idle workers listening to ``queue`` (after it was resumed, say).

    Workers blocked in their wait wake at once and fetch; as each takes a full batch it
    wakes the next, so a handful of tokens reaches any number of workers.
    """
    pipe = conn.pipeline(transaction=True)
    pipe.lpush(keys.ready(queue), *(["1"] * max(1, min(count, 8))))
    pipe.ltrim(keys.ready(queue), 0, 7)
    pipe.execute()
