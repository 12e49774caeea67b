"""The heartbeat: a process' lease, its public info, its current work, remote commands.

Every ``heartbeat_interval`` (5 s) one MULTI/EXEC round trip:

* renews the lease ``{ns}:process:<id>`` (a hash with info, beat, busy, quiet, rss,
  expiring after ``lease_ttl``, 20 s) and the process' score in ``{ns}:processes``;
* replaces ``{ns}:work:<id>`` with what each thread is running now;
* takes the remote commands waiting in ``{ns}:signals:<id>`` (``quiet``, ``stop``).

While the lease lives, nobody touches this process' in-flight jobs, however long they
run: there is no visibility timeout to outgrow.  When it lapses (the process died, or
could not reach the server for ``lease_ttl``), other processes recover those jobs.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import socket
import sys
import time
from collections.abc import Callable
from typing import Any

import redis

from robin._version import __version__
from robin.keys import Keys
from robin.worker.manager import Running
from robin.worker.settings import WorkerSettings

log = logging.getLogger("robin")


def rss_kb() -> int:
    """Resident memory of this process in KiB (current on Linux, peak elsewhere)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
    except (OSError, ValueError, IndexError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak // 1024 if sys.platform == "darwin" else peak


class Heartbeat:
    def __init__(self, conn: redis.Redis, keys: Keys, settings: WorkerSettings, *,
                 snapshot: Callable[[], tuple[int, list[Running]]], is_quiet: Callable[[], bool],
                 started_at: float, labels: dict[str, Any] | None = None) -> None:
        self.conn = conn
        self.keys = keys
        self.settings = settings
        self.identity = settings.identity
        self.snapshot = snapshot
        self.is_quiet = is_quiet
        self.info = json.dumps({
            "identity": self.identity,
            "hostname": socket.gethostname(),
            "pid": os.getpid(),
            "tag": settings.tag,
            "queues": settings.queue_names,
            "weights": dict(settings.queues),
            "strict": settings.strict,
            "concurrency": settings.concurrency,
            "started_at": started_at,
            "version": __version__,
            "labels": labels or {},
        })
        self._registered = False

    def beat(self) -> list[str]:
        """Renew the lease and publish state; return the remote commands received."""
        now = time.time()
        busy, running = self.snapshot()
        lease = max(1, round(self.settings.lease_ttl))
        process_key = self.keys.process(self.identity)
        work_key = self.keys.work(self.identity)
        signals_key = self.keys.signals(self.identity)
        pipe = self.conn.pipeline(transaction=True)
        pipe.exists(process_key)
        pipe.hset(process_key, mapping={"info": self.info, "beat": now, "busy": busy,
                                        "quiet": int(self.is_quiet()), "rss": rss_kb()})
        pipe.expire(process_key, lease)
        pipe.zadd(self.keys.processes, {self.identity: now})
        pipe.delete(work_key)
        if running:
            pipe.hset(work_key, mapping={job.thread: json.dumps({
                "queue": _queue(job.raw), "payload": job.raw.decode("utf-8", "replace"),
                "run_at": job.started_at}) for job in running})
            pipe.expire(work_key, lease)
        pipe.lrange(signals_key, 0, -1)
        pipe.delete(signals_key)
        results = pipe.execute()
        if self._registered and not results[0]:
            log.warning("this process' lease had expired (the server was out of reach for more than "
                        "%g s, or restarted): its in-flight jobs may have been recovered by other "
                        "processes and may run twice", self.settings.lease_ttl)
        self._registered = True
        return [s.decode() if isinstance(s, bytes) else str(s) for s in results[-2]]


def _queue(raw: bytes) -> str:
    try:
        value = json.loads(raw).get("queue")
        return str(value) if value is not None else ""
    except (ValueError, AttributeError):
        return ""
