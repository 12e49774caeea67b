"""Periodic jobs: enqueued by the fleet's leader, exactly once per tick.

::

    from robin_enterprise import periodic

    periodic.register("*/5 * * * *", cleanup_sessions, tz="Europe/Berlin", queue="low")
    periodic.every(30, refresh_prices)              # every 30 s (not cron: for short periods)

Every worker process runs a small scheduler thread; only the leader (see leader.py)
enqueues.  Each tick is enqueued by tick.lua, which records the tick's key and pushes the
job in one atomic step: **exactly one enqueue per tick fleet-wide**, also when two
processes both believe they lead for a moment during a hand-over.

Ticks are counted from ``{ns}:plugin:enterprise:periodic:last``.  A new schedule starts
from now (no backlog).  A tick found more than ``CATCH_UP`` (60 s) late - it fell due
while no leader was alive - is *missed*: it is logged and, by default, not run late; with
``run_missed=True`` the latest missed tick is enqueued once.

Each tick goes through client middleware like any enqueue (so ``unique_for`` keeps two
runs from overlapping, and ``expires_in`` applies), then tick.lua pushes it.  Ticks are
counted on the server's clock.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import redis

import robin
from robin import config
from robin.client import build_payload
from robin.errors import ConfigurationError
from robin.events import Event
from robin.keys import check_name
from robin.payload import check_arguments, encode
from robin.scripts import Script
from robin_enterprise import leader
from robin_enterprise.cron import Cron, resolve_tz
from robin_enterprise.keys import EnterpriseKeys
from robin_enterprise.licensing import require_for_declaration
from robin_licensing import LicenseError, require

log = logging.getLogger("robin")

CATCH_UP = 60.0           # seconds: a tick later than this is missed, not run
TICK_MEMORY = 3 * 86400   # seconds a tick's key is kept (deduplication window)
MAX_TICKS = 1000          # at most this many due ticks are looked at in one pass
PUBLISH_EVERY = 60.0      # seconds between refreshes of the definitions robin periodic shows

TICK = Script.from_source("robin_enterprise/tick.lua",
                          resources.files("robin_enterprise").joinpath("scripts", "tick.lua").read_text("utf-8"))


def configure(catch_up: float | None = None) -> None:
    global CATCH_UP
    if catch_up is not None:
        CATCH_UP = float(catch_up)


@dataclass(frozen=True)
class Schedule:
    """One periodic job: when (``cron`` in ``tz``, or ``every`` seconds), what, where."""

    id: str
    job: robin.Job[..., Any]
    cron: Cron | None
    every: float | None
    tz: str
    queue: str | None
    args: tuple[Any, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)
    run_missed: bool = False

    def describe(self) -> str:
        return self.cron.text if self.cron is not None else f"every {self.every:g} s"

    def ticks(self, after: float, until: float) -> list[float]:
        """Due times ``t`` with ``after < t <= until`` (unix s), at most the last MAX_TICKS."""
        if self.every is not None:
            first = math.floor(after / self.every) + 1
            last = math.floor(until / self.every)
            first = max(first, last - MAX_TICKS + 1)
            return [k * self.every for k in range(first, last + 1)]
        assert self.cron is not None
        start = datetime.fromtimestamp(after, UTC)
        end = datetime.fromtimestamp(until, UTC)
        found = [t.timestamp() for t in self.cron.ticks_between(start, end, self.tz)]
        return found[-MAX_TICKS:]

    def next_run(self, after: float) -> float:
        if self.every is not None:
            return (math.floor(after / self.every) + 1) * self.every
        assert self.cron is not None
        return self.cron.next_after(datetime.fromtimestamp(after, UTC), self.tz).timestamp()

    def definition(self) -> dict[str, Any]:
        return {"id": self.id, "schedule": self.describe(), "cron": self.cron.text if self.cron else None,
                "every": self.every, "tz": self.tz, "job": self.job.name,
                "queue": self.queue or self.job.job_options.queue, "args": list(self.args), "kwargs": self.kwargs,
                "run_missed": self.run_missed}


_lock = threading.Lock()
_schedules: dict[str, Schedule] = {}


def register(cron: str, job: robin.Job[..., Any], *, tz: str = "UTC", queue: str | None = None,
             args: Sequence[Any] = (), kwargs: dict[str, Any] | None = None, run_missed: bool = False) -> Schedule:
    """Enqueue ``job(*args, **kwargs)`` at every tick of a 5-field cron expression, in ``tz``."""
    parsed = Cron.parse(cron)  # a bad expression is a clear CronError, here
    resolve_tz(tz)  # and so is an unknown time zone
    return _add(job, parsed, None, tz, queue, args, kwargs, run_missed)


def every(seconds: float, job: robin.Job[..., Any], *, queue: str | None = None, args: Sequence[Any] = (),
          kwargs: dict[str, Any] | None = None, run_missed: bool = False) -> Schedule:
    """Enqueue ``job`` every ``seconds`` (ticks at whole multiples of it since the epoch)."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds <= 0:
        raise ConfigurationError(f"every: seconds must be a positive number, not {seconds!r}")
    return _add(job, None, float(seconds), "UTC", queue, args, kwargs, run_missed)


def _add(job: robin.Job[..., Any], cron: Cron | None, seconds: float | None, tz: str, queue: str | None,
         args: Sequence[Any], kwargs: dict[str, Any] | None, run_missed: bool) -> Schedule:
    if not isinstance(job, robin.Job):
        raise ConfigurationError(f"a periodic job must be a @robin.job, not {type(job).__name__}")
    if queue is not None:
        check_name("queue", queue)
    kwargs = dict(kwargs or {})
    check_arguments(list(args), kwargs)
    job.check_call(tuple(args), kwargs)
    when = cron.text if cron is not None else f"every {seconds!r}"
    identity = json.dumps([when, tz, job.name, queue, list(args), kwargs], sort_keys=True, separators=(",", ":"))
    schedule_id = hashlib.sha256(identity.encode()).hexdigest()[:16]
    require_for_declaration("periodic", f"periodic job {job.name} ({when})")
    schedule = Schedule(schedule_id, job, cron, seconds, tz, queue, tuple(args), kwargs, run_missed)
    with _lock:
        _schedules[schedule_id] = schedule
    return schedule


def schedules() -> list[Schedule]:
    return list(_schedules.values())


def unregister(schedule: Schedule) -> None:
    with _lock:
        _schedules.pop(schedule.id, None)


class Scheduler:
    """The thread each worker runs: leader election, and (when leading) the ticks."""

    def __init__(self, identity: str) -> None:
        self.leadership = leader.Leadership(identity)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._published = 0.0
        self._complaints: dict[str, float] = {}

    def start(self) -> None:
        leader.set_current(self.leadership)
        self._thread = threading.Thread(target=self._run, name="leader", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5.0)
        try:
            self.leadership.give_up()  # a successor need not wait for the lease to lapse
        except Exception as exc:
            log.debug("could not give up the leadership: %s", exc)
        self.leadership.close()
        leader.set_current(None)

    def _pace(self) -> float:
        periods = [s.every for s in _schedules.values() if s.every is not None]
        return max(0.05, min([1.0, leader.TRY_EVERY, *(p / 4 for p in periods)]))

    def _run(self) -> None:
        while not self._stop.wait(self._pace()):
            try:
                if self.leadership.step() and _schedules:
                    self.tick_all(server_time())
            except (redis.ConnectionError, redis.TimeoutError, robin.ConnectionError) as exc:
                log.debug("leader/periodic step: the server is away (%s); trying again", exc)
            except Exception as exc:  # nothing may end this thread
                self._complain("step", f"the leader/periodic step failed ({type(exc).__name__}: {exc}); "
                                       f"trying again")

    def _complain(self, topic: str, message: str) -> None:
        """Log a warning, at most once a minute per topic (the loop runs every second)."""
        now = time.monotonic()
        if now - self._complaints.get(topic, -math.inf) >= 60:
            self._complaints[topic] = now
            log.warning("%s", message)

    def tick_all(self, now: float) -> None:
        """One pass of the leader: enqueue what fell due by ``now`` (the server's clock,
        so that every host counts ticks the same way whatever its own clock says)."""
        client = config.redis_client()
        conn, keys = client.redis, EnterpriseKeys(client.keys)
        current = list(_schedules.values())
        if now - self._published > PUBLISH_EVERY:
            publish(conn, keys, current)
            self._published = now
        lasts = conn.hmget(keys.periodic_last, [s.id for s in current])
        for schedule, last in zip(current, lasts, strict=True):
            try:
                self._tick(schedule, last, now, conn, keys)
            except (redis.ConnectionError, redis.TimeoutError):
                raise
            except Exception as exc:  # one broken schedule must not stop the others
                self._complain(schedule.id, f"periodic {schedule.job.name} ({schedule.describe()}) failed: "
                                            f"{type(exc).__name__}: {exc}")

    def _tick(self, schedule: Schedule, last: bytes | None, now: float, conn: Any, keys: EnterpriseKeys) -> None:
        if last is None:
            conn.hsetnx(keys.periodic_last, schedule.id, repr(now))  # new: count from now, no backlog
            return
        due = schedule.ticks(float(last), now)
        missed = [t for t in due if now - t > CATCH_UP]
        if missed:
            log.warning("periodic %s (%s): %d ticks were missed while no leader was running, the last at %s%s",
                        schedule.job.name, schedule.describe(), len(missed),
                        datetime.fromtimestamp(missed[-1], UTC).isoformat(),
                        "; running the last one now" if schedule.run_missed else "; not running them late")
            record(conn, keys, schedule, missed[-1])
        timely = [t for t in due if now - t <= CATCH_UP]
        for tick in ([missed[-1]] if missed and schedule.run_missed else []) + timely:
            self._enqueue(schedule, tick, conn, keys)

    def _enqueue(self, schedule: Schedule, tick: float, conn: Any, keys: EnterpriseKeys) -> None:
        try:
            require("periodic")  # each tick is new work
        except LicenseError as exc:
            self._complain("license", f"periodic jobs are not enqueued: {exc}")
            record(conn, keys, schedule, tick)
            return
        options = schedule.job.job_options
        if schedule.queue is not None:
            options = options.merged({"queue": schedule.queue})
        payload = build_payload(schedule.job.name, schedule.args, schedule.kwargs, options, time.time())
        payload["periodic"] = {"id": schedule.id, "at": tick}
        ctx = robin.EnqueueContext(payload, schedule.job, options.all(), None)
        when = datetime.fromtimestamp(tick, UTC).isoformat()

        reached: list[int] = []  # what tick.lua said, if the chain let the job through to it

        def push_tick(ctx: robin.EnqueueContext) -> str | None:
            due = repr(ctx.at) if ctx.at is not None and ctx.at > time.time() else ""
            if due:
                ctx.payload["at"] = ctx.payload["enqueued_at"] = ctx.at
            queue = check_name("queue", str(ctx.payload["queue"]))
            done = TICK(conn, [keys.tick(schedule.id, round(tick * 1000)), keys.periodic_last, keys.periodic_job,
                               keys.core.schedule],
                        [keys.core.prefix, schedule.id, repr(tick), queue, encode(ctx.payload), ctx.jid, TICK_MEMORY,
                         due])
            reached.append(done)
            if done == 1:
                log.info("periodic %s (%s): enqueued the tick of %s", schedule.job.name, schedule.describe(), when)
                return ctx.jid
            if done == -1:
                log.error("periodic %s: the tick of %s could not be pushed: the key of queue %r holds something "
                          "else than a list; it is tried again", schedule.job.name, when, queue)
            return None  # handled already (by another leader during a hand-over), or not pushed

        # Through client middleware like any enqueue: unique_for, expires_in and the
        # user's own middleware apply to periodic jobs too.
        jid = robin.client_middleware.invoke(ctx, lambda: (ctx.push or push_tick)(ctx))
        if jid is None and not reached and ctx.push is None and record(conn, keys, schedule, tick):
            # Stopped by a middleware (say the previous run still holds its unique lock):
            # the tick is handled, not retried every pass.
            log.info("periodic %s (%s): the tick of %s was not enqueued: client middleware stopped it",
                     schedule.job.name, schedule.describe(), when)


def record(conn: Any, keys: EnterpriseKeys, schedule: Schedule, tick: float) -> bool:
    """Count ``tick`` as handled without enqueueing it; False if it had been already."""
    before = conn.hget(keys.periodic_last, schedule.id)
    TICK(conn, [keys.tick(schedule.id, round(tick * 1000)), keys.periodic_last, keys.periodic_job, keys.core.schedule],
         [keys.core.prefix, schedule.id, repr(tick), "", "", "", TICK_MEMORY, ""])
    return before is None or float(before) < tick


def publish(conn: Any, keys: EnterpriseKeys, current: list[Schedule]) -> None:
    """Replace the definitions ``robin periodic`` shows with the leader's: the leader's
    schedules are the ones being enqueued, and one removed from the code disappears."""
    pipe = conn.pipeline(transaction=True)
    pipe.delete(keys.periodic)
    if current:
        pipe.hset(keys.periodic, mapping={s.id: json.dumps(s.definition()) for s in current})
    pipe.execute()


def next_run_of(definition: dict[str, Any], now: float) -> float | None:
    """When a published schedule (see :func:`publish`) next fires after ``now``."""
    if definition.get("every"):
        every = float(definition["every"])
        return (now // every + 1) * every
    if definition.get("cron"):
        return Cron.parse(str(definition["cron"])).next_after(datetime.fromtimestamp(now, UTC),
                                                              str(definition.get("tz") or "UTC")).timestamp()
    return None


def overview(conn: Any, keys: EnterpriseKeys, now: float) -> tuple[str | None, list[dict[str, Any]]]:
    """The leader's identity (None: no worker leads) and the published schedules, each with its
    ``next_run`` and the last job enqueued (``last_jid``, ``last_tick``): what ``robin periodic``
    and the dashboard show.  A schedule whose next run cannot be computed (an unknown time
    zone, say) has ``next_run`` None and the reason in ``error``."""
    last_jobs = {k.decode(): v.decode() for k, v in conn.hgetall(keys.periodic_job).items()}
    rows = []
    for schedule_id, raw in sorted(conn.hgetall(keys.periodic).items()):
        definition = json.loads(raw)
        jid, _, tick = last_jobs.get(schedule_id.decode(), "").partition(" ")
        try:
            next_run, error = next_run_of(definition, now), None
        except (ConfigurationError, ValueError, TypeError, OverflowError) as exc:  # one bad schedule hides no other
            next_run, error = None, str(exc)
        rows.append({**definition, "next_run": next_run, "error": error, "last_jid": jid or None,
                     "last_tick": float(tick) if tick else None})
    holder = conn.get(keys.leader)
    return (holder.decode() if holder else None), rows


def enqueue_now(schedule_id: str) -> str | None:
    """Enqueue a published schedule's job once, now, outside its schedule (the dashboard's
    "enqueue now"); return its jid (None if client middleware stopped it).

    It is an ordinary enqueue through client middleware: it does not count as a tick, so
    the schedule's next run is unchanged.  The job need not be registered in this process.
    """
    client = config.redis_client()
    raw = client.redis.hget(EnterpriseKeys(client.keys).periodic, schedule_id)
    if raw is None:
        raise ConfigurationError(f"no periodic schedule {schedule_id}: the leader publishes the schedules it runs "
                                 f"every {PUBLISH_EVERY:g} s; it was removed from the code, or no worker runs")
    definition = json.loads(raw)
    name, queue = str(definition["job"]), check_name("queue", str(definition["queue"]))
    job = robin.registered(name)
    options = job.job_options.merged({"queue": queue}) if job is not None else robin.JobOptions(queue=queue)
    return config.client().enqueue(job, name, list(definition.get("args") or []),
                                   dict(definition.get("kwargs") or {}), options)


def server_time() -> float:
    client = config.redis_client()
    seconds, micros = client.redis.time()
    return int(seconds) + int(micros) / 1e6


_scheduler: Scheduler | None = None


def start(event: Event) -> None:
    """``startup`` handler: every worker process takes part in the election."""
    global _scheduler
    if _scheduler is None and event.identity:
        _scheduler = Scheduler(event.identity)
        _scheduler.start()


def stop(event: Event) -> None:
    """``shutdown`` handler."""
    global _scheduler
    if _scheduler is not None:
        _scheduler.stop()
        _scheduler = None
