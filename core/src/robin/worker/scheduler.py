"""The poller: moves due scheduled jobs and retries to their queues, and runs recovery.

Any process may promote due jobs (promote.lua is atomic, so a job is never moved
twice).  To keep the fleet's load on the server flat, each process waits a random time
around ``poll_interval x number of processes``, as Sidekiq does: however many processes
run, the schedule is checked about once per ``poll_interval`` on average.  A process
that itself schedules a retry due sooner than its next poll also polls at that time
(``hint``), so with few processes a retry runs about when its log line says it will.

When the worker was started without ``-q``, the poller also picks up queues that
appear later (``{ns}:queues``), so a job sent to a new queue with ``.options(queue=...)``
is not stranded.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable

import redis

from robin import scripts
from robin.keys import Keys
from robin.server import CONNECTION_ERRORS
from robin.worker.recovery import Recovery
from robin.worker.settings import WorkerSettings

log = logging.getLogger("robin")

PROMOTE_BATCH = 100


class Poller:
    def __init__(self, conn: redis.Redis, keys: Keys, settings: WorkerSettings, recovery: Recovery,
                 on_new_queues: Callable[[set[str]], None] | None = None) -> None:
        self.conn = conn
        self.keys = keys
        self.settings = settings
        self.recovery = recovery
        self.on_new_queues = on_new_queues
        self._processes = 1
        self._hint = float("inf")
        self._hint_lock = threading.Lock()
        self._wake = threading.Event()
        self._known_queues = set(settings.queue_names)

    def wake(self) -> None:
        """Interrupt the wait (at shutdown)."""
        self._wake.set()

    def hint(self, due: float) -> None:
        """A job of this process is due at ``due`` (unix time): poll then, if that is sooner."""
        with self._hint_lock:
            if due < self._hint:
                self._hint = due
                self._wake.set()

    def _take_hint(self) -> bool:
        """True (and forget it) if a hinted time has come."""
        with self._hint_lock:
            if time.time() < self._hint:
                return False
            self._hint = float("inf")
            return True

    def promote_due(self) -> int:
        """Move every due job of the schedule and retry sets; return how many moved."""
        now = time.time()
        moved = 0
        for zset in (self.keys.schedule, self.keys.retry):
            while True:
                n = scripts.promote(self.conn, self.keys, zset, now, PROMOTE_BATCH)
                moved += n
                if n < PROMOTE_BATCH:
                    break
        return moved

    def next_wait(self) -> float:
        """Random wait before the next poll, scaled by the number of processes."""
        average = self.settings.poll_interval * max(1, self._processes)
        return average * random.uniform(0.5, 1.5)

    def _poll(self) -> None:
        self._processes = int(self.conn.zcard(self.keys.processes)) or 1
        moved = self.promote_due()
        if moved:
            log.debug("moved %d due jobs to their queues", moved)
        if self.on_new_queues is not None:
            queues = {q.decode() if isinstance(q, bytes) else str(q) for q in self.conn.smembers(self.keys.queues)}
            new = queues - self._known_queues
            if new:
                self._known_queues |= new
                self.on_new_queues(new)

    def run(self, stop: threading.Event) -> None:
        next_poll = time.monotonic()
        next_recovery = time.monotonic() + self.settings.recovery_interval * random.uniform(0.2, 1.0)
        failures = 0
        while not stop.is_set():
            now = time.monotonic()
            try:
                if self._take_hint() or now >= next_poll:
                    self._poll()
                    next_poll = now + self.next_wait()
                if now >= next_recovery:
                    self.recovery.scan()
                    next_recovery = now + self.settings.recovery_interval * random.uniform(0.8, 1.2)
                failures = 0
            except Exception as exc:
                failures += 1
                if not isinstance(exc, CONNECTION_ERRORS) and (failures in (1, 10, 100) or failures % 1000 == 0):
                    level = logging.WARNING if isinstance(exc, redis.exceptions.RedisError) else logging.ERROR
                    log.log(level, "the scheduled-job poller failed (%s: %s); it keeps trying", type(exc).__name__,
                            exc, exc_info=level == logging.ERROR)
                stop.wait(min(30.0, 0.5 * 2 ** min(failures, 6)))  # the fetcher reports connection trouble
                continue
            self._wake.clear()  # before reading the hint: a hint from now on sets it again
            with self._hint_lock:
                until_hint = self._hint - time.time()
            wait = min(next_poll, next_recovery) - time.monotonic()
            self._wake.wait(max(0.01, min(wait, until_hint)))
