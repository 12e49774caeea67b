"""The heartbeat: a process' lease, its public info, its current work, remote commands.

Every ``heartbeat_interval`` (5 s) one round trip (heartbeat.lua):

* renews the lease ``{ns}:process:<id>`` (a hash with info, beat, busy, quiet, rss,
  expiring after ``lease_ttl``, 20 s) and the process' score in ``{ns}:processes``, both
  on the server's clock;
* replaces ``{ns}:work:<id>`` with what each thread is running now;
* takes the remote commands waiting in ``{ns}:signals:<id>`` (``quiet``, ``stop``).

While the lease lives, nobody touches this process' in-flight jobs, however long they
run: there is no visibility timeout to outgrow.  When it lapses (the process died, or
could not reach the server for ``lease_ttl``), other processes recover those jobs.
The heartbeat has its own connection with a short timeout, and retries quickly after
a failure, so a slow command elsewhere never starves the lease.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import socket
import sys
from collections.abc import Callable
from typing import Any

import redis

from robin import scripts
from robin._version import __version__
from robin.keys import Keys
from robin.worker.manager import Running
from robin.worker.settings import WorkerSettings

log = logging.getLogger("robin")

# What each beat publishes of a running job's payload: enough to show it, never so much
# that a beat of many large jobs could outlast its short timeout.
WORK_PAYLOAD_MAX = 4096


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
                 started_at: float, on_lease_lost: Callable[[], None] = lambda: None,
                 labels: dict[str, Any] | None = None) -> None:
        self.conn = conn
        self.keys = keys
        self.settings = settings
        self.identity = settings.identity
        self.snapshot = snapshot
        self.is_quiet = is_quiet
        self.on_lease_lost = on_lease_lost
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
        busy, running = self.snapshot()
        work = [(job.thread, json.dumps({"queue": _queue(job.raw), "run_at": job.started_at,
                                         "payload": job.raw[:WORK_PAYLOAD_MAX].decode("utf-8", "replace"),
                                         "truncated": len(job.raw) > WORK_PAYLOAD_MAX})) for job in running]
        existed, commands = scripts.heartbeat(
            self.conn, self.keys, self.identity, lease=max(1, round(self.settings.lease_ttl)), info=self.info,
            busy=busy, quiet=self.is_quiet(), rss=rss_kb(), work=work)
        if self._registered and not existed:
            log.warning("this process' lease had expired (the server was out of reach for more than %g s, or "
                        "restarted): its in-flight jobs may have been recovered by other processes and may "
                        "run twice", self.settings.lease_ttl)
            self.on_lease_lost()
        self._registered = True
        return commands


def _queue(raw: bytes) -> str:
    try:
        value = json.loads(raw).get("queue")
        return str(value) if value is not None else ""
    except Exception:  # anything at all: a heartbeat must never fail because of a payload
        return ""
