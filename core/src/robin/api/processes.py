"""Live worker processes and what they are running now.

A process is live while its lease (``{ns}:process:<id>``) exists.  ``quiet`` and
``stop`` reach a process through Redis: the command waits in ``{ns}:signals:<id>``
and a token on ``{ns}:wake:<id>`` wakes an idle process at once; a busy one reads its
commands at its next heartbeat (5 s at most).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from robin.api.connection import resolve
from robin.api.records import JobRecord

if TYPE_CHECKING:
    from robin.client import Client


@dataclass(frozen=True)
class Process:
    identity: str
    hostname: str
    pid: int
    tag: str
    queues: list[str]
    concurrency: int
    busy: int
    started_at: float
    beat: float
    quiet: bool
    rss_kb: int
    version: str
    labels: dict[str, Any] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_hash(cls, identity: str, data: dict[bytes, bytes]) -> Process:
        def text(name: str) -> str:
            value = data.get(name.encode(), b"")
            return value.decode() if isinstance(value, bytes) else str(value)

        try:
            info = json.loads(text("info") or "{}")
        except ValueError:
            info = {}
        return cls(
            identity=identity, hostname=str(info.get("hostname", "")), pid=int(info.get("pid", 0) or 0),
            tag=str(info.get("tag", "")), queues=list(info.get("queues", [])),
            concurrency=int(info.get("concurrency", 0) or 0), busy=int(text("busy") or 0),
            started_at=float(info.get("started_at", 0) or 0), beat=float(text("beat") or 0),
            quiet=text("quiet") == "1", rss_kb=int(text("rss") or 0), version=str(info.get("version", "")),
            labels=dict(info.get("labels", {})), info=info)

    def quiet_now(self, client: Client | None = None) -> bool:
        return ProcessSet(client).quiet(self.identity)

    def stop_now(self, client: Client | None = None) -> bool:
        return ProcessSet(client).stop(self.identity)

    def to_dict(self) -> dict[str, Any]:
        return {"identity": self.identity, "hostname": self.hostname, "pid": self.pid, "tag": self.tag,
                "queues": self.queues, "concurrency": self.concurrency, "busy": self.busy,
                "started_at": self.started_at, "beat": self.beat, "quiet": self.quiet, "rss_kb": self.rss_kb,
                "version": self.version, "labels": self.labels}


class ProcessSet:
    """The live worker processes (listed ones whose lease expired are left out)."""

    def __init__(self, client: Client | None = None) -> None:
        self._client = client

    @property
    def client(self) -> Client:
        return resolve(self._client)

    def _identities(self) -> list[str]:
        c = self.client
        return [m.decode() if isinstance(m, bytes) else str(m) for m in c.redis.zrange(c.keys.processes, 0, -1)]

    def __iter__(self) -> Iterator[Process]:
        c = self.client
        identities = self._identities()
        pipe = c.redis.pipeline(transaction=False)
        for identity in identities:
            pipe.hgetall(c.keys.process(identity))
        for identity, data in zip(identities, pipe.execute(), strict=True):
            if data:
                yield Process.from_hash(identity, data)

    @property
    def size(self) -> int:
        return sum(1 for _ in self)

    def __len__(self) -> int:
        return self.size

    def get(self, identity: str) -> Process | None:
        c = self.client
        data = c.redis.hgetall(c.keys.process(identity))
        return Process.from_hash(identity, data) if data else None

    def quiet(self, identity: str) -> bool:
        """Ask a process to stop fetching jobs; False if no such live process."""
        return self._signal(identity, "quiet")

    def stop(self, identity: str) -> bool:
        """Ask a process to stop gracefully; False if no such live process."""
        return self._signal(identity, "stop")

    def _signal(self, identity: str, command: str) -> bool:
        c = self.client
        if not c.redis.exists(c.keys.process(identity)):
            return False
        pipe = c.redis.pipeline(transaction=True)
        pipe.rpush(c.keys.signals(identity), command)
        pipe.expire(c.keys.signals(identity), 60)
        pipe.lpush(c.keys.wake(identity), "1")
        pipe.expire(c.keys.wake(identity), 60)
        pipe.execute()
        return True


@dataclass(frozen=True)
class Work:
    """A job running right now."""

    identity: str
    thread: str
    queue: str
    run_at: float
    record: JobRecord
    truncated: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"process": self.identity, "thread": self.thread, "queue": self.queue, "run_at": self.run_at,
                "truncated": self.truncated, **self.record.to_dict()}


class Workers:
    """Every job running right now, on every live process (as of their last heartbeat)."""

    def __init__(self, client: Client | None = None) -> None:
        self._client = client

    def __iter__(self) -> Iterator[Work]:
        c = resolve(self._client)
        identities = [p.identity for p in ProcessSet(self._client)]
        pipe = c.redis.pipeline(transaction=False)
        for identity in identities:
            pipe.hgetall(c.keys.work(identity))
        for identity, work in zip(identities, pipe.execute(), strict=True):
            for thread, state in sorted(work.items()):
                try:
                    entry = json.loads(state)
                except ValueError:
                    continue
                yield Work(identity=identity, thread=thread.decode() if isinstance(thread, bytes) else str(thread),
                           queue=str(entry.get("queue", "")), run_at=float(entry.get("run_at", 0) or 0),
                           record=JobRecord.parse(str(entry.get("payload", ""))),
                           truncated=bool(entry.get("truncated", False)))

    @property
    def size(self) -> int:
        return sum(1 for _ in self)
