"""Batches: a group of jobs with callbacks when all have run, all have succeeded, or one died.

::

    batch = Batch(description="Import users")
    batch.on("success", notify_import_done, "user-import")
    with batch.jobs():                 # every enqueue inside joins the batch
        for row in rows:
            import_user.enqueue(row["id"])
    Batch.status(batch.bid)

How it keeps "each callback fires exactly once":

* Jobs enqueued inside ``jobs()`` carry the batch's ``bid`` (client middleware) and are
  registered when the block ends, in one round trip.  While a block is open the batch
  cannot finish, so a job that finishes before it is registered is still counted.
* Each job's outcome is recorded by server middleware (and by a death handler) in
  outcome.lua, idempotently per job: a job run twice - at-least-once delivery, a worker
  SIGKILLed mid-batch - counts once.
* The script that sees the batch become complete or successful pushes the callback jobs
  itself, guarded by a flag set in the same atomic step.  Callbacks are ordinary jobs:
  they retry like any job.

Nested batches: a batch opened while a job of another batch runs is its child; the
parent completes and succeeds only after its children do.  A running job may add jobs
to its own batch with ``Batch(bid).jobs()``.  An empty batch fires its callbacks when
its block ends.  Batch data expires ``SUCCESS_TTL`` after success (and in any case
``MAX_TTL`` after creation); a batch's jobs run all the same after that.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import redis

import robin
from robin import config
from robin.client import build_payload
from robin.errors import ConfigurationError, RobinError
from robin.scripts import Script
from robin_licensing import require
from robin_pro.keys import ProKeys
from robin_pro.scripts import load_script

log = logging.getLogger("robin")

EVENTS = ("complete", "success", "death")
SUCCESS_TTL = 24 * 3600       # batch data is kept this long after success...
MAX_TTL = 30 * 24 * 3600      # ...and at most this long in any case
REGISTER_CHUNK = 500

OPEN = load_script("open.lua")
REGISTER = load_script("register.lua")
OUTCOME = load_script("outcome.lua")

# The batch whose jobs() block is open in this context (enqueues join it), and the
# batch of the job running in this context (a Batch made here is its child).
filling: contextvars.ContextVar[Batch | None] = contextvars.ContextVar("robin_pro_filling", default=None)
running_bid: contextvars.ContextVar[str | None] = contextvars.ContextVar("robin_pro_running_bid", default=None)


class BatchNotFoundError(RobinError):
    """No such batch (never created, or its data expired)."""


def configure(success_ttl: float | None = None) -> None:
    """Keep batch data ``success_ttl`` seconds after success (24 h by default)."""
    global SUCCESS_TTL
    if success_ttl is not None:
        if success_ttl <= 0:
            raise ConfigurationError("success_ttl must be a positive number of seconds")
        SUCCESS_TTL = int(success_ttl)


def _pro_keys() -> tuple[redis.Redis, ProKeys]:
    client = config.redis_client()
    return client.redis, ProKeys(client.keys)


def _run(script: Script, *args: Any) -> Any:
    conn, keys = _pro_keys()
    return script(conn, [], [keys.core.prefix, keys.prefix, *args])


@dataclass(frozen=True)
class BatchStatus:
    """Where a batch stands.  ``pending`` jobs have not succeeded yet; ``failures`` are failing now."""

    bid: str
    description: str | None
    total: int
    pending: int
    failures: int
    failed_jids: list[str]
    deaths: int
    complete: bool
    succeeded: bool
    created_at: float
    parent: str | None = None
    children: int = 0
    open: int = 0
    callbacks: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"bid": self.bid, "description": self.description, "total": self.total, "pending": self.pending,
                "failures": self.failures, "failed_jids": self.failed_jids, "deaths": self.deaths,
                "complete": self.complete, "succeeded": self.succeeded, "created_at": self.created_at,
                "parent": self.parent, "children": self.children}


class Batch:
    """A new batch (``Batch(description=...)``) or an existing one (``Batch(bid)``)."""

    def __init__(self, bid: str | None = None, description: str = "") -> None:
        if bid is None:
            require("batches")  # a new batch is new work; adding to an existing one is not
            self.bid = os.urandom(8).hex()
            self.parent = running_bid.get()
        else:
            self.bid = bid
            self.parent = None
        self.description = description
        self.token = os.urandom(6).hex()
        self._callbacks: list[tuple[str, str]] = []
        self._jids: list[str] = []
        self._lock = threading.Lock()

    def on(self, event: str, job: robin.Job[..., Any], *args: Any, **kwargs: Any) -> Batch:
        """Run ``job(status, *args, **kwargs)`` when ``event`` happens: complete, success or death.

        ``status`` is a dict shaped like :class:`BatchStatus`.  Register callbacks before
        ``jobs()`` (or inside it): the batch may finish as soon as the block ends.
        """
        if event not in EVENTS:
            raise ConfigurationError(f"unknown batch event {event!r}; use one of {', '.join(EVENTS)}")
        if not isinstance(job, robin.Job):
            raise ConfigurationError(f"a batch callback must be a @robin.job, not {type(job).__name__}")
        mark = f"__robin_batch_status_{self.token}__"
        payload = build_payload(job.name, (mark, *args), kwargs, job.job_options, time.time())
        payload["enqueued_at"] = f"__robin_enqueued_at_{self.token}__"
        payload["batch_callback"] = {"bid": self.bid, "event": event}
        self._callbacks.append((event, json.dumps(payload, separators=(",", ":"))))
        return self

    @contextlib.contextmanager
    def jobs(self) -> Iterator[Batch]:
        """Every job enqueued inside the block (sync or async code) joins this batch."""
        callbacks, self._callbacks = self._callbacks, []
        flat = [item for pair in callbacks for item in pair]
        _run(OPEN, self.bid, self.parent or "", json.dumps(self.description or None), self.token, MAX_TTL, *flat)
        token = filling.set(self)
        try:
            yield self
        finally:
            filling.reset(token)
            self._flush(close=True)

    def _added(self, jid: str) -> None:
        """Client middleware: a job of this batch was pushed."""
        with self._lock:
            self._jids.append(jid)
            full = len(self._jids) >= REGISTER_CHUNK
        if full:
            self._flush(close=False)

    def _flush(self, close: bool) -> None:
        with self._lock:
            jids, self._jids = self._jids, []
        chunks = [jids[i:i + REGISTER_CHUNK] for i in range(0, len(jids), REGISTER_CHUNK)] or [[]]
        for i, chunk in enumerate(chunks):
            last = i == len(chunks) - 1
            _run(REGISTER, self.bid, "1" if close and last else "0", SUCCESS_TTL, MAX_TTL, *chunk)

    @staticmethod
    def status(bid: str) -> BatchStatus:
        """Where batch ``bid`` stands; ``BatchNotFoundError`` if it never existed or expired."""
        conn, keys = _pro_keys()
        pipe = conn.pipeline(transaction=False)
        pipe.hgetall(keys.batch(bid))
        for part in ("jids", "succeeded", "dead", "children"):
            pipe.scard(keys.batch(bid, part))
        pipe.smembers(keys.batch(bid, "failed"))
        for event in EVENTS:
            pipe.llen(keys.batch(bid, f"cb:{event}"))
        meta, total, succeeded, dead, children, failed, *callbacks = pipe.execute()
        if not meta:
            raise BatchNotFoundError(f"no batch {bid}: it was never created, or its data expired (batch data is "
                                     f"kept {SUCCESS_TTL // 3600} h after success)")
        text = {k.decode(): v.decode() for k, v in meta.items()}
        description = json.loads(text.get("description", "null"))
        return BatchStatus(
            bid=bid, description=description, total=int(total), pending=max(0, int(total) - int(succeeded)),
            failures=len(failed), failed_jids=sorted(j.decode() for j in failed), deaths=int(dead),
            complete="fired_complete" in text, succeeded="fired_success" in text,
            created_at=float(text.get("created_at", 0)), parent=text.get("parent") or None,
            children=int(children), open=int(text.get("open", 0)),
            callbacks={event: int(n) for event, n in zip(EVENTS, callbacks, strict=True)})

    @staticmethod
    def recent(limit: int = 25) -> list[BatchStatus]:
        """The newest batches whose data is still kept, newest first."""
        conn, keys = _pro_keys()
        found = []
        for raw in conn.zrevrange(keys.batches, 0, limit * 2):
            bid = raw.decode()
            try:
                found.append(Batch.status(bid))
            except BatchNotFoundError:
                conn.zrem(keys.batches, bid)  # expired: forget it in the index too
            if len(found) >= limit:
                break
        return found

    def __repr__(self) -> str:
        return f"<robin_pro Batch {self.bid}>"


def record(bid: str, jid: str, outcome: str, attempts: int = 8) -> None:
    """Record a job's outcome, retrying through short outages: an outcome must not be lost.

    If it cannot be recorded at all, the caller raises, so the job runs again later.
    """
    delay = 0.1
    for attempt in range(attempts):
        try:
            _run(OUTCOME, bid, jid, outcome, SUCCESS_TTL, MAX_TTL)
            return
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError):
            if attempt == attempts - 1:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
