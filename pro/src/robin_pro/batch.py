"""Batches: a group of jobs with callbacks when all have run, all have succeeded, or one died.

::

    batch = Batch(description="Import users")
    batch.on("success", notify_import_done, "user-import")
    with batch.jobs():                 # every enqueue inside joins the batch
        for row in rows:
            import_user.enqueue(row["id"])
    Batch.status(batch.bid)

How "each callback fires exactly once" is kept:

* Jobs enqueued inside ``jobs()`` go through client middleware as usual, but are
  collected instead of pushed (the ``ctx.push`` seam).  When the block ends, one atomic
  script (commit.lua) creates the batch, links it to its parent, stores its callbacks,
  registers the jobs and pushes them.  A block that raises, or whose process dies,
  commits nothing: no batch is left half-made.  A commit sent again after a lost reply is
  applied once.
* Each job's outcome is recorded by server middleware (and by a death handler) in
  outcome.lua, idempotently per job: a job run twice - at-least-once delivery, a worker
  SIGKILLed mid-batch - counts once.
* The script that sees the batch become complete or successful pushes the callback jobs
  itself, behind a flag set in the same atomic step.  Callbacks are ordinary jobs: they
  retry like any job (they are pushed by the batch, so client middleware does not see them).

Nested batches: a batch made while a job of another batch runs is its child; the parent
completes and succeeds only after its children do.  A running job may add jobs to its
own batch with ``Batch(bid).jobs()``.  An empty batch fires its callbacks when its block
ends.  Batch data expires ``SUCCESS_TTL`` after success (and ``MAX_TTL`` after creation in
any case); a batch's jobs run all the same after that.
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
from robin import config, needs
from robin.client import build_payload
from robin.errors import ConfigurationError, RobinError
from robin.keys import check_name
from robin.payload import encode
from robin.scripts import Script
from robin_licensing import require
from robin_pro._version import DISTRIBUTION
from robin_pro.keys import ProKeys
from robin_pro.scripts import load_script

log = logging.getLogger("robin")

# A job collected by an open jobs() block: (jid, queue, due or "", payload) for
# commit.lua, and its enqueue context (to abandon it if it is never pushed).
Collected = tuple[tuple[str, str, str, str], robin.EnqueueContext]

EVENTS = ("complete", "success", "death")
SUCCESS_TTL = 24 * 3600       # batch data is kept this long after success...
MAX_TTL = 30 * 24 * 3600      # ...and at most this long in any case
COMMIT_CHUNK = 1000
RETRY_FOR = 30.0  # seconds a commit or an outcome is retried through server trouble

COMMIT = load_script("commit.lua")
OUTCOME = load_script("outcome.lua")
STATUS_MARK = "__robin_batch_status__"  # where batchlib.lua puts the status (the first argument)
TIME_MARK = "__robin_enqueued_at__"     # and the time the callback is enqueued

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


def _run(script: Script, bid: str, *args: Any) -> Any:
    """Run a batch script, retrying through connection trouble, a failover or a full server.

    Safe to repeat: every batch script is idempotent.
    """
    conn, keys = _pro_keys()
    deadline = time.monotonic() + RETRY_FOR
    delay = 0.1
    while True:
        try:
            return script(conn, [keys.batch(bid)], [keys.core.prefix, keys.prefix, bid, *args])
        except (redis.exceptions.RedisError, OSError) as exc:
            if time.monotonic() + delay > deadline:
                raise
            log.warning("batch %s: the server failed (%s: %s); retrying", bid, type(exc).__name__, exc)
            time.sleep(delay)
            delay = min(delay * 2, 2.0)


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

    @property
    def done(self) -> int:
        """Jobs that succeeded."""
        return self.total - self.pending

    @property
    def state(self) -> str:
        """``succeeded``, ``complete`` (with its dead jobs), ``running`` or ``adding jobs``."""
        if self.succeeded:
            return "succeeded"
        if self.complete:
            return "complete" + (f", {self.deaths} dead" if self.deaths else "")
        return "running" if self.open == 0 else "adding jobs"

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
        self._create = bid is None
        self.description = description
        self._callbacks: list[tuple[str, str]] = []
        self._collected: list[Collected] | None = None  # while a jobs() block is open
        self._lock = threading.Lock()

    def on(self, event: str, job: robin.Job[..., Any], *args: Any, **kwargs: Any) -> Batch:
        """Run ``job(status, *args, **kwargs)`` when ``event`` happens: complete, success or death.

        ``status`` is a dict shaped like :class:`BatchStatus`.  Callbacks registered before
        or inside a ``jobs()`` block are stored when the block ends; on an existing batch
        (``Batch(bid).on(...)``) outside a block, at once.
        """
        if event not in EVENTS:
            raise ConfigurationError(f"unknown batch event {event!r}; use one of {', '.join(EVENTS)}")
        if not isinstance(job, robin.Job):
            raise ConfigurationError(f"a batch callback must be a @robin.job, not {type(job).__name__}")
        payload = build_payload(job.name, (STATUS_MARK, *args), kwargs, job.job_options, time.time())
        payload["enqueued_at"] = TIME_MARK
        payload["batch_callback"] = {"bid": self.bid, "event": event}
        needs.mark(payload, "batch callback", DISTRIBUTION, required=True)  # Pro fills in its status
        self._callbacks.append((event, encode(payload)))
        if not self._create and self._collected is None:
            self._commit([])  # an existing batch: store it now
        return self

    @contextlib.contextmanager
    def jobs(self) -> Iterator[Batch]:
        """Every job enqueued inside the block (sync or async code) joins this batch.

        The jobs are pushed when the block ends, together with the batch itself, in one
        atomic step.  If the block raises, nothing is enqueued.
        """
        if self._collected is not None:
            raise ConfigurationError(f"batch {self.bid}: its jobs() block is already open")
        collected: list[Collected] = []
        self._collected = collected
        token = filling.set(self)
        try:
            yield self
        except BaseException:
            log.warning("the jobs() block of batch %s raised: its %d jobs are not enqueued", self.bid, len(collected))
            for _, ctx in collected:
                ctx.abandon()  # middleware that reserved something for them (a unique lock) frees it
            raise
        finally:
            filling.reset(token)
            self._collected = None
        self._commit(collected)

    def _push(self, ctx: robin.EnqueueContext) -> str:
        """The push of a job enqueued inside the block (core calls it, see ctx.push): collect it."""
        payload = ctx.payload
        queue = check_name("queue", str(payload["queue"]))
        due = ""
        if ctx.at is not None and ctx.at > time.time():
            payload["at"] = payload["enqueued_at"] = ctx.at
            due = repr(ctx.at)
        with self._lock:
            if self._collected is None:
                raise ConfigurationError(f"batch {self.bid}: a job was enqueued after its jobs() block ended")
            self._collected.append(((ctx.jid, queue, due, encode(payload)), ctx))
        return ctx.jid

    def _commit(self, jobs: list[Collected]) -> None:
        callbacks, self._callbacks = self._callbacks, []
        chunks = [jobs[i:i + COMMIT_CHUNK] for i in range(0, len(jobs), COMMIT_CHUNK)] or [[]]
        commit = os.urandom(8).hex()
        for i, chunk in enumerate(chunks):
            try:
                self._commit_chunk(commit, i, len(chunks), chunk, callbacks if i == 0 else [])
            except BaseException:
                for _, ctx in (job for rest in chunks[i:] for job in rest):
                    ctx.abandon()  # not pushed (or not known to be): free what middleware reserved
                raise

    def _commit_chunk(self, commit: str, i: int, count: int, chunk: list[Collected],
                      sent: list[tuple[str, str]]) -> None:
        place = "only" if count == 1 else "first" if i == 0 else "last" if i == count - 1 else "middle"
        args: list[Any] = [f"{commit}-{i}", "1" if self._create else "0", self.parent or "",
                           json.dumps(self.description or None), place, SUCCESS_TTL, MAX_TTL, len(sent)]
        for event, payload in sent:
            args += [event, payload]
        for job, _ in chunk:
            args += list(job)
        if _run(COMMIT, self.bid, *args) == -1:
            log.warning("batch %s: its data expired; its new jobs are enqueued without it", self.bid)

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
        """The newest batches whose data is still kept, newest first.

        Read-only (the dashboard and ``robin batches`` call it on GET): ids of expired batches
        are skipped, not removed; committing a batch prunes the index (commit.lua).  At most
        ``10 * limit`` ids are examined.
        """
        conn, keys = _pro_keys()
        found: list[BatchStatus] = []
        start, examined = 0, 0
        while len(found) < limit and examined < limit * 10:
            page = conn.zrevrange(keys.batches, start, start + limit * 2)
            for raw in page:
                examined += 1
                try:
                    found.append(Batch.status(raw.decode()))
                except BatchNotFoundError:
                    continue  # expired: its id leaves the index when a batch is next committed
                if len(found) >= limit:
                    break
            if len(page) < limit * 2 + 1:
                break
            start += len(page)
        return found

    @property
    def collecting(self) -> bool:
        """True while a jobs() block of this batch is open."""
        return self._collected is not None

    def __repr__(self) -> str:
        return f"<robin_pro Batch {self.bid}>"


def record(bid: str, jid: str, outcome: str) -> None:
    """Record a job's outcome (success, failure or death), retrying through server trouble."""
    _run(OUTCOME, bid, jid, outcome, SUCCESS_TTL, MAX_TTL)
