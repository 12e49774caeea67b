"""The poller: moves due scheduled jobs and retries to their queues, and runs recovery.

Any process may promote due jobs (promote.lua is atomic, so a job is never moved
twice).  To keep the fleet's load on the server flat, each process waits a random time
around ``poll_interval x number of processes``, as Sidekiq does: however many processes
run, the schedule is checked about once per ``poll_interval`` on average.
"""

from __future__ import annotations

import logging
import random
import threading
import time

import redis

from robin import scripts
from robin.keys import Keys
from robin.server import CONNECTION_ERRORS
from robin.worker.recovery import Recovery
from robin.worker.settings import WorkerSettings

log = logging.getLogger("robin")

PROMOTE_BATCH = 100


class Poller:
    def __init__(self, conn: redis.Redis, keys: Keys, settings: WorkerSettings, recovery: Recovery) -> None:
        self.conn = conn
        self.keys = keys
        self.settings = settings
        self.recovery = recovery
        self._processes = 1

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

    def run(self, stop: threading.Event) -> None:
        next_poll = time.monotonic()
        next_recovery = time.monotonic() + self.settings.recovery_interval * random.uniform(0.2, 1.0)
        while not stop.is_set():
            now = time.monotonic()
            try:
                if now >= next_poll:
                    self._processes = int(self.conn.zcard(self.keys.processes)) or 1
                    moved = self.promote_due()
                    if moved:
                        log.debug("moved %d due jobs to their queues", moved)
                    next_poll = now + self.next_wait()
                if now >= next_recovery:
                    self.recovery.scan()
                    next_recovery = now + self.settings.recovery_interval * random.uniform(0.8, 1.2)
            except CONNECTION_ERRORS:
                stop.wait(1.0)  # the fetcher reports connection trouble; try again soon
                continue
            except Exception:
                log.exception("the scheduled-job poller failed; it will try again")
            stop.wait(max(0.01, min(next_poll, next_recovery) - time.monotonic()))
