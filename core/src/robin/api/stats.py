"""Fleet-wide statistics, read in a couple of pipelined round trips."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from robin.api.connection import resolve
from robin.api.queues import latency_of

if TYPE_CHECKING:
    from robin.client import Client


@dataclass(frozen=True)
class DayStats:
    date: str  # YYYY-MM-DD, UTC
    processed: int
    failed: int


class Stats:
    """A snapshot of the whole namespace, taken when the object is made.

    ``processed``/``failed`` (totals), ``queues`` (name -> size), ``enqueued`` (jobs
    waiting in all queues), ``scheduled_size``, ``retry_size``, ``dead_size``,
    ``processes_size`` (live processes), ``busy`` (jobs running now),
    ``default_queue_latency`` (seconds), and ``history(days)``.
    """

    def __init__(self, client: Client | None = None) -> None:
        self._client = client
        c = resolve(client)
        k = c.keys
        names = sorted(n.decode() if isinstance(n, bytes) else str(n) for n in c.redis.smembers(k.queues))
        identities = [m.decode() if isinstance(m, bytes) else str(m) for m in c.redis.zrange(k.processes, 0, -1)]
        pipe = c.redis.pipeline(transaction=False)
        pipe.get(k.processed)
        pipe.get(k.failed)
        pipe.zcard(k.schedule)
        pipe.zcard(k.retry)
        pipe.zcard(k.dead)
        pipe.lindex(k.queue("default"), -1)
        for name in names:
            pipe.llen(k.queue(name))
        for identity in identities:
            pipe.hget(k.process(identity), "busy")
        values = pipe.execute()
        self.processed = int(values[0] or 0)
        self.failed = int(values[1] or 0)
        self.scheduled_size = int(values[2])
        self.retry_size = int(values[3])
        self.dead_size = int(values[4])
        self.default_queue_latency = latency_of(values[5])
        sizes = values[6:6 + len(names)]
        self.queues: dict[str, int] = {name: int(size) for name, size in zip(names, sizes, strict=True)}
        busy = [b for b in values[6 + len(names):] if b is not None]  # None: listed, but its lease expired
        self.processes_size = len(busy)
        self.busy = sum(int(b) for b in busy)
        self.taken_at = time.time()

    @property
    def enqueued(self) -> int:
        return sum(self.queues.values())

    def history(self, days: int = 7) -> list[DayStats]:
        """Processed and failed per UTC day, the oldest first, today last."""
        c = resolve(self._client)
        dates = [time.strftime("%Y-%m-%d", time.gmtime(self.taken_at - back * 86400)) for back in range(days)][::-1]
        pipe = c.redis.pipeline(transaction=False)
        pipe.mget([c.keys.processed_on(d) for d in dates])
        pipe.mget([c.keys.failed_on(d) for d in dates])
        processed, failed = pipe.execute()
        return [DayStats(d, int(p or 0), int(f or 0)) for d, p, f in zip(dates, processed, failed, strict=True)]

    def to_dict(self) -> dict[str, Any]:
        return {"processed": self.processed, "failed": self.failed, "enqueued": self.enqueued,
                "scheduled": self.scheduled_size, "retries": self.retry_size, "dead": self.dead_size,
                "processes": self.processes_size, "busy": self.busy,
                "default_queue_latency": round(self.default_queue_latency, 3), "queues": self.queues}


# What the dashboard and ``robin doctor``-like tools show of INFO: the server's identity and health.
SERVER_FIELDS = ("redis_version", "valkey_version", "server_name", "redis_mode", "os", "uptime_in_days",
                 "connected_clients", "blocked_clients", "used_memory_human", "used_memory_peak_human",
                 "maxmemory_human", "maxmemory_policy", "aof_enabled", "role", "connected_slaves")


def server_info(client: Client | None = None) -> dict[str, str]:
    """A few fields of the server's INFO (version, uptime, clients, memory, persistence, role), as text."""
    c = resolve(client)
    info = c.redis.info()
    return {name: str(info[name]) for name in SERVER_FIELDS if name in info}
