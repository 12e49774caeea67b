"""Pausing queues: a paused queue keeps accepting jobs, and no worker fetches from it.

The paused set lives in ``{ns}:plugin:pro:paused``.  Every worker's fetch filter reads
it at most every half second (core's FILTER_TTL) and whenever it is woken, so a pause
reaches the whole fleet within a second; ``unpause`` also wakes idle workers at once.
"""

from __future__ import annotations

from collections.abc import Iterable

import redis

from robin import queue_control
from robin.keys import Keys
from robin_licensing import require
from robin_pro.keys import ProKeys


class ProQueueControl:
    """Behind ``robin.api.Queue(name).pause()`` / ``.unpause()`` / ``.paused``."""

    def pause(self, conn: redis.Redis, keys: Keys, name: str) -> None:
        require("pause")  # pausing is new use of a paid feature; unpausing never needs a license
        conn.sadd(ProKeys(keys).paused, name)

    def unpause(self, conn: redis.Redis, keys: Keys, name: str) -> None:
        conn.srem(ProKeys(keys).paused, name)
        queue_control.wake_workers(conn, keys, name)  # the queue may hold jobs: wake idle workers

    def is_paused(self, conn: redis.Redis, keys: Keys, name: str) -> bool:
        return bool(conn.sismember(ProKeys(keys).paused, name))


def paused_filter(conn: redis.Redis, keys: Keys, names: list[str]) -> Iterable[str]:
    """Core's fetch filter: the queues among ``names`` that are paused."""
    paused = {p.decode() if isinstance(p, bytes) else str(p) for p in conn.smembers(ProKeys(keys).paused)}
    return paused.intersection(names)
