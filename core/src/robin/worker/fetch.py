"""Reliable fetch: the Redis side of taking jobs and settling them.

The at-least-once contract (docs/reliability.md has the whole of it):

* A job is always in Redis until it is settled.  ``fetch.lua`` moves jobs from their
  queues to this process' in-flight list atomically; ``settle.lua`` removes each one
  from that list in the same atomic step that acknowledges it or moves it to the retry,
  schedule or dead set.  No moment exists when a job is only in a process' memory.
* A process that dies leaves its in-flight list behind; other processes hand those
  jobs back to their queues once its lease expires (see recovery.py).
* It is worse to lose a job than to run it twice: when a reply is lost on the way back
  (the connection broke), the in-flight list is re-read and reconciled with what this
  process knows, instead of guessing.

One round trip carries both directions: the settlements of finished jobs and the
fetch of the next batch are pipelined together (``exchange``).  When every queue is
empty, a separate blocking wait (``wait_for_work``) sleeps on wake-up tokens, so an idle
worker sends about one command per second and still starts a new job within a
round trip or two of its enqueue.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Sequence

import redis

from robin import queue_control, scripts
from robin.keys import Keys
from robin.metrics import KEEP_SECONDS, flat, hour_of
from robin.scripts import SettleOp
from robin.server import BLOCKING_TIMEOUT
from robin.worker.settings import WorkerSettings

log = logging.getLogger("robin")


def weighted_order(queues: Sequence[tuple[str, int]]) -> list[str]:
    """A random order in which a queue of weight w comes first w times as often as one of 1."""
    pool = [(random.random() ** (1.0 / weight), name) for name, weight in queues]
    pool.sort(reverse=True)
    return [name for _, name in pool]


class LeaseLost(Exception):  # noqa: N818 - a signal between two modules, not an error
    """fetch.lua refused: this process' lease is gone; renew it before fetching again."""


class ReliableFetch:
    def __init__(self, conn: redis.Redis, keys: Keys, settings: WorkerSettings) -> None:
        self.conn = conn
        self.keys = keys
        self.settings = settings
        self.identity = settings.identity
        self.inflight = keys.inflight(self.identity)
        self.skipped: frozenset[str] = frozenset()  # queues the fetch filters say to leave alone
        self._filtered_at = float("-inf")
        self.set_queues(settings.queues)

    def refresh_filters(self, force: bool = False) -> None:
        """Ask the plug-ins' fetch filters again, if their answer is older than FILTER_TTL."""
        filters = queue_control.fetch_filters()
        if not filters:
            self.skipped = frozenset()
            return
        now = time.monotonic()
        if not force and now - self._filtered_at < queue_control.FILTER_TTL:
            return
        self._filtered_at = now
        names = [name for name, _ in self.queues]
        skipped: set[str] = set()
        for fetch_filter in filters:
            try:
                skipped.update(fetch_filter(self.conn, self.keys, names))
            except Exception as exc:  # a plug-in's trouble must not stop the worker: skip nothing
                log.warning("a fetch filter failed (%s: %s); fetching from every queue", type(exc).__name__, exc)
        self.skipped = frozenset(skipped)

    def set_queues(self, queues: Sequence[tuple[str, int]]) -> None:
        """Work on these queues from the next fetch on (the poller adds new ones)."""
        self.queues = list(queues)
        names = [name for name, _ in self.queues]
        self._queue_keys = {name: self.keys.queue(name) for name in names}
        self._ready_keys = {name: self.keys.ready(name) for name in names}
        self._wait_keys = [self.keys.wake(self.identity), *self._ready_keys.values()]
        self._strict_order = names
        self._weights_equal = len({w for _, w in self.queues}) == 1

    def queue_order(self) -> list[str]:
        """The order to take from queues in for the next fetch (without the skipped ones)."""
        if self.settings.strict:
            order = self._strict_order
        elif self._weights_equal:
            order = list(self._strict_order)
            random.shuffle(order)
        else:
            order = weighted_order(self.queues)
        return [q for q in order if q not in self.skipped] if self.skipped else order

    def _settle_call(self, ops: Sequence[SettleOp]) -> tuple[scripts.Script, list[str], list[scripts.Arg]]:
        now = time.time()
        keys, args = scripts.settle_args(
            self.keys, self.identity, ops, now=now, day=time.strftime("%Y-%m-%d", time.gmtime(now)),
            dead_max=self.settings.dead_max_jobs, dead_age=self.settings.dead_max_age,
            stats_ttl=self.settings.stats_ttl)
        return scripts.SETTLE, keys, args

    def exchange(self, ops: Sequence[SettleOp], want: int, metrics: dict[str, int] | None = None) -> list[bytes]:
        """Settle ``ops``, record ``metrics`` and fetch up to ``want`` jobs, in one round trip.

        Raises :class:`LeaseLost` if the fetch was refused because the lease is gone (the
        settlements were sent all the same).
        """
        calls: list[tuple[scripts.Script, Sequence[str], Sequence[scripts.Arg]]] = []
        if ops:
            calls.append(self._settle_call(ops))
        if metrics:
            calls.append((scripts.METRICS, [self.keys.metrics(hour_of(time.time()))],
                          [KEEP_SECONDS, *flat(metrics)]))
        if want > 0:
            order = self.queue_order()
            calls.append((scripts.FETCH, *scripts.fetch_args(
                self.keys, self.identity, [self._queue_keys[q] for q in order],
                [self._ready_keys[q] for q in order], want)))
        if not calls:
            return []
        if len(calls) == 1:
            results = [calls[0][0](self.conn, calls[0][1], calls[0][2])]
        else:
            results = scripts.pipelined(self.conn, calls)
        if want <= 0:
            return []
        fetched = results[-1]
        if fetched == -1:
            raise LeaseLost()
        return list(fetched)

    def settle_now(self, op: SettleOp, jid: str) -> None:
        """Settle one job at once and forget that it started (see recovery.py)."""
        scripts.pipelined(self.conn, [self._settle_call([op])])
        self.conn.srem(self.keys.started(self.identity), jid)

    def wait_for_work(self, timeout: float = BLOCKING_TIMEOUT) -> str | None:
        """Block until a wake-up token arrives or ``timeout`` passes.

        Returns ``"work"`` (a queue's token), ``"wake"`` (this process' own: a remote
        command or a stop), or None when the time ran out.
        """
        popped = self.conn.brpop(self._wait_keys, timeout=timeout)
        if popped is None:
            return None
        key = popped[0].decode() if isinstance(popped[0], bytes) else str(popped[0])
        return "wake" if key == self._wait_keys[0] else "work"

    def wake(self) -> None:
        """Interrupt this process' own blocking wait (on quiet and stop)."""
        self.conn.lpush(self.keys.wake(self.identity), "1")

    def in_flight(self) -> list[bytes]:
        """Everything Redis holds in this process' in-flight list."""
        return list(self.conn.lrange(self.inflight, 0, -1))

    def mark_started(self, jid: str) -> None:
        self.conn.sadd(self.keys.started(self.identity), jid)

    def known_queues(self) -> set[str]:
        """Every queue that ever received a job in this namespace."""
        return {q.decode() if isinstance(q, bytes) else str(q) for q in self.conn.smembers(self.keys.queues)}
