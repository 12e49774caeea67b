"""Queues: sizes, latency, the jobs waiting, and deleting them.

Everything reads in pages (``PAGE`` jobs per round trip), so a queue of a million jobs
is never loaded at once, and clearing one uses UNLINK, which frees the memory in the
background instead of blocking the server.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from robin import queue_control
from robin.api.connection import resolve
from robin.api.records import JobRecord
from robin.errors import ConfigurationError
from robin.keys import check_name

if TYPE_CHECKING:
    from robin.client import Client

PAGE = 500
NEAR_WINDOW = 5_000  # jobs around ``near`` that find_job reads at most
log = logging.getLogger("robin.api")
_reported_names: set[str] = set()


@dataclass(frozen=True)
class QueueEntry(JobRecord):
    """A job waiting in a queue."""

    def delete(self, client: Client | None = None) -> bool:
        """Remove this job from its queue; False if it was no longer there."""
        c = resolve(client)
        return bool(c.redis.lrem(c.keys.queue(self.queue), 1, self.raw))


class Queue:
    """One queue, read live from Redis (every property is a fresh read)."""

    def __init__(self, name: str, client: Client | None = None) -> None:
        self.name = check_name("queue", name)
        self._client = client

    @property
    def client(self) -> Client:
        return resolve(self._client)

    @property
    def key(self) -> str:
        return self.client.keys.queue(self.name)

    @classmethod
    def all(cls, client: Client | None = None) -> list[Queue]:
        """Every queue that ever received a job, by name.  A name that is not a valid queue name
        (written by something else) is skipped, and logged once per process."""
        c = resolve(client)
        names = sorted(n.decode("utf-8", "replace") if isinstance(n, bytes) else str(n)
                       for n in c.redis.smembers(c.keys.queues))
        found = []
        for name in names:
            try:
                found.append(cls(name, client))
            except ConfigurationError as exc:
                if name not in _reported_names:
                    _reported_names.add(name)
                    log.warning("skipping %r in the set of queues: %s", name, exc)
        return found

    @property
    def size(self) -> int:
        return int(self.client.redis.llen(self.key))

    @property
    def latency(self) -> float:
        """Seconds the oldest waiting job has waited (0 for an empty queue)."""
        oldest = self.client.redis.lindex(self.key, -1)
        return latency_of(oldest)

    @property
    def paused(self) -> bool:
        """Whether the queue is paused (always False unless a plug-in provides pausing)."""
        control = queue_control.queue_control()
        return control is not None and control.is_paused(self.client.redis, self.client.keys, self.name)

    def pause(self) -> None:
        """Stop every worker from fetching this queue (it keeps accepting jobs); needs a plug-in (Robin Pro)."""
        queue_control.require_control("pausing").pause(self.client.redis, self.client.keys, self.name)

    def unpause(self) -> None:
        """Let workers fetch this queue again."""
        queue_control.require_control("unpausing").unpause(self.client.redis, self.client.keys, self.name)

    def jobs(self, *, oldest_first: bool = False) -> Iterator[QueueEntry]:
        """The waiting jobs, newest first (or oldest first), a page at a time."""
        redis, key = self.client.redis, self.key
        start = 0
        while True:
            if oldest_first:  # the oldest job is at the tail: read pages backwards
                page = redis.lrange(key, -(start + PAGE), -(start + 1))
                page.reverse()
            else:
                page = redis.lrange(key, start, start + PAGE - 1)
            for raw in page:
                record = JobRecord.parse(raw)
                yield QueueEntry(record.raw, record.payload, record.valid)
            if len(page) < PAGE:
                return
            start += PAGE

    def __iter__(self) -> Iterator[QueueEntry]:
        return self.jobs()

    def page(self, offset: int, count: int) -> list[QueueEntry]:
        """``count`` jobs from position ``offset``, newest first (for paginated views)."""
        return [self._entry(raw) for raw in self.client.redis.lrange(self.key, offset, offset + count - 1)]

    def find_job(self, jid: str, near: int | None = None) -> QueueEntry | None:
        """The waiting job with this jid, or None (reads the queue a page at a time).

        ``near`` is where the job was last seen (its position, newest first, as in
        :meth:`page`): then only the ``NEAR_WINDOW`` jobs around it are read (jobs pushed
        since move it towards the tail; taken ones leave from the tail), and a job not there
        is answered None: it was taken or deleted meanwhile.  The whole queue is never read.
        """
        needle = jid.encode()
        redis, key = self.client.redis, self.key
        start = 0 if near is None else max(0, near - PAGE // 2)
        end = None if near is None else start + NEAR_WINDOW
        while end is None or start < end:
            page = redis.lrange(key, start, start + PAGE - 1 if end is None else min(end, start + PAGE) - 1)
            for raw in page:
                if needle in raw:  # cheap test first; parse only candidates
                    record = JobRecord.parse(raw)
                    if record.jid == jid:
                        return QueueEntry(record.raw, record.payload, record.valid)
            if len(page) < PAGE:
                return None
            start += PAGE
        return None

    def delete(self, jid: str, near: int | None = None) -> bool:
        """Remove the waiting job with this jid; False if there is none (``near``: see :meth:`find_job`)."""
        entry = self.find_job(jid, near)
        return entry.delete(self._client) if entry is not None else False

    def clear(self) -> int:
        """Remove every waiting job (in the background, with UNLINK); return how many."""
        c = self.client
        pipe = c.redis.pipeline(transaction=True)
        pipe.llen(self.key)
        pipe.unlink(self.key)
        pipe.srem(c.keys.queues, self.name)
        size, _, _ = pipe.execute()
        return int(size)

    @staticmethod
    def _entry(raw: bytes) -> QueueEntry:
        record = JobRecord.parse(raw)
        return QueueEntry(record.raw, record.payload, record.valid)

    def __repr__(self) -> str:
        return f"<robin Queue {self.name}>"


def latency_of(oldest: bytes | None, now: float | None = None) -> float:
    if not oldest:
        return 0.0
    enqueued = JobRecord.parse(oldest).enqueued_at
    if enqueued is None:
        return 0.0
    return max(0.0, (now or time.time()) - enqueued)
