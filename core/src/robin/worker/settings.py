"""Settings of a worker process (what ``robin worker`` flags turn into)."""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass, field

from robin.limits import DAY, DEAD_MAX_AGE, DEAD_MAX_JOBS


@dataclass
class WorkerSettings:
    """Everything that shapes one worker process.  Defaults are the production defaults."""

    queues: list[tuple[str, int]] = field(default_factory=lambda: [("default", 1)])
    strict: bool = False                # strict priority instead of weighted random order
    follow_new_queues: bool = False     # also work on queues that appear later (no -q given)
    concurrency: int = 10               # jobs running at once in this process
    prefetch: int | None = None         # jobs fetched ahead of free threads (default: sized to the jobs' pace)
    shutdown_timeout: float = 25.0      # seconds running jobs get to finish on TERM
    poll_interval: float = 5.0          # average seconds between scheduled-set polls, fleet-wide
    heartbeat_interval: float = 5.0     # seconds between heartbeats (leases are renewed then)
    lease_ttl: float = 20.0             # a process silent this long is dead: its jobs are recovered
    recovery_interval: float = 5.0      # seconds between scans for dead processes
    max_recoveries: int = 3             # a job recovered this many times is a poison pill
    dead_max_jobs: int = DEAD_MAX_JOBS  # the dead set keeps at most this many jobs...
    dead_max_age: float = DEAD_MAX_AGE  # ...and none older than this
    stats_ttl: int = int(5 * 365 * DAY)  # per-day statistics are kept this long
    ack_delay: float = 0.005            # acknowledgements wait at most this long to share a round trip
    tag: str = ""                       # a label shown with the process (e.g. the app name)
    identity: str = ""                  # hostname:pid:random, filled in by the launcher

    def new_identity(self) -> str:
        self.identity = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        return self.identity

    @property
    def queue_names(self) -> list[str]:
        return [name for name, _ in self.queues]
