"""Recovery of the jobs of processes that died.

A process is dead when its lease ``{ns}:process:<id>`` has expired: it has not
heartbeated for ``lease_ttl`` (20 s).  Every live process looks for dead ones every
``recovery_interval`` (5 s); the first to find one hands its in-flight jobs back to the
front of their queues with recover.lua, which moves each job only if it is still in the
dead process' list and only while the lease is still gone.  So a job of a dead process
is back in its queue at most ``lease_ttl + recovery_interval`` (25-30 s) after the
process' last heartbeat, and a process that is alive is never robbed.

Poison pills: a job whose worker dies while running it, over and over, would kill
every worker in turn.  ``recovered`` in the payload counts how often it was recovered;
the third time (``max_recoveries``) it goes to the dead set instead.  Only jobs that
were really running count: on a first recovery every job counts (a process cannot say
which of its jobs were running without a round trip per job), but a job recovered
before is marked in ``{ns}:started:<id>`` when it starts, so from then on it counts only
if it was running when its process died.  Innocent jobs fetched together with a poison
pill therefore survive it.

After a server restart, nothing is recovered until the server has been up for
``lease_ttl``: every live process gets the time to renew its lease first.
"""

from __future__ import annotations

import logging
import time

import redis

from robin import events, scripts
from robin.errors import PoisonPillError
from robin.keys import Keys
from robin.payload import Payload, decode, encode, quarantine
from robin.worker.settings import WorkerSettings

log = logging.getLogger("robin")

BATCH = 100


class Recovery:
    def __init__(self, conn: redis.Redis, keys: Keys, settings: WorkerSettings) -> None:
        self.conn = conn
        self.keys = keys
        self.settings = settings

    def scan(self) -> int:
        """Recover the jobs of every dead process found; return how many jobs moved.

        Heartbeat scores are on the server's clock, so the cut-off is too.  Candidates
        are read a page at a time, so live processes that are merely late never hide
        dead ones behind them.
        """
        seconds, micros = self.conn.time()
        cutoff = float(seconds) + float(micros) / 1e6 - self.settings.lease_ttl
        total = offset = 0
        for page in range(50):
            candidates = self.conn.zrangebyscore(self.keys.processes, "-inf", cutoff, start=offset, num=20)
            if not candidates:
                break
            if page == 0:
                uptime = int(self.conn.info("server").get("uptime_in_seconds", 0))
                if uptime < self.settings.lease_ttl:
                    return 0  # a restarted server: give live processes a lease period to renew first
            for raw_identity in candidates:
                identity = raw_identity.decode() if isinstance(raw_identity, bytes) else str(raw_identity)
                moved, unlisted = self.recover(identity) if identity != self.settings.identity else (0, False)
                total += moved
                if not unlisted:
                    offset += 1  # still listed: the next page starts after it
            if len(candidates) < 20:
                break
        return total

    def recover(self, identity: str) -> tuple[int, bool]:
        """Hand back the in-flight jobs of ``identity`` if it is dead.

        Returns how many moved, and whether the process is no longer listed.
        """
        if self.conn.exists(self.keys.process(identity)):
            return 0, False
        started = {s.decode() for s in self.conn.smembers(self.keys.started(identity))}
        inflight = self.keys.inflight(identity)
        moved = dead = 0
        for _ in range(10_000):  # bounded: each pass moves a batch or finds the list changed
            items = self.conn.lrange(inflight, -BATCH, -1)
            if not items:
                break
            now = time.time()
            moves, pills = [], []
            for raw in items:
                new, queue, payload = self._decide(raw, started, now)
                moves.append((raw, new, queue))
                if not queue:
                    pills.append(payload)
            result = scripts.recover(self.conn, self.keys, identity, moves, now=now,
                                     dead_max=self.settings.dead_max_jobs, dead_age=self.settings.dead_max_age)
            if result < 0:
                log.info("process %s is alive after all; leaving its jobs alone", identity)
                return moved, False
            moved += result
            for payload in pills:
                dead += 1
                events.death(payload, PoisonPillError(payload.get("dead_reason", "")))
        unlisted = scripts.unregister(self.conn, self.keys, identity, only_if_dead=True) == 1
        if moved:
            log.warning("recovered %d jobs of process %s, which stopped heartbeating%s", moved, identity,
                        f"; {dead} of them were poison pills and went to the dead set" if dead else "")
        return moved, unlisted

    def _decide(self, raw: bytes, started: set[str], now: float) -> tuple[str, str, Payload]:
        """``(new payload, queue or '' for the dead set, payload)`` for one orphaned job."""
        try:
            return self._decide_valid(decode(raw), started, now)
        except Exception as exc:  # malformed in any way: it must not block the recovery of the rest
            dead = quarantine(raw, f"{type(exc).__name__}: {exc}", "default", now)
            return encode(dead), "", dead

    def _decide_valid(self, payload: Payload, started: set[str], now: float) -> tuple[str, str, Payload]:
        recovered = payload.get("recovered", 0)
        count = recovered if type(recovered) is int and recovered > 0 else 0
        if count == 0 or payload["jid"] in started:
            count += 1
        payload["recovered"] = count
        if count >= self.settings.max_recoveries:
            payload["error_class"] = "robin.PoisonPillError"
            payload["error_message"] = f"its worker process died {count} times while running it"
            payload["dead_reason"] = (f"poison pill: its worker process died {count} times while running it "
                                      f"(max_recoveries={self.settings.max_recoveries})")
            payload["failed_at"] = now
            return encode(payload), "", payload
        return encode(payload), str(payload["queue"]), payload
