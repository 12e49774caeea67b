"""The manager: N processor threads fed by one fetcher thread, plus a waker for idle times.

Threads and what they do::

    fetcher      one round trip at a time: settle finished jobs + fetch the next batch
    processors   ``concurrency`` threads: take a job from the local buffer, run it, hand
                 its settlement back (no Redis on this path)
    waker        only while every queue is empty: a blocking wait on wake-up tokens, then
                 the round trip that fetches the new work

The local buffer holds jobs fetched ahead of free threads (``prefetch``) so a thread
that finishes a job starts the next one without a round trip.  Prefetching pays only
for short jobs: when jobs take longer than ``PREFETCH_MAX_JOB_TIME`` on average, the
manager fetches only for free threads, so a long job never holds others back while
another process idles.  By default the buffer is sized to the measured pace: about
``PREFETCH_HORIZON`` of work (at most ``PREFETCH_LIMIT`` jobs, at least ``concurrency``),
so that very short jobs come hundreds to a round trip instead of ten; until the first
``concurrency`` jobs have finished, and the pace is known, it holds ``concurrency``.  The fetcher refills the
buffer when it runs low, and settlements ride along with those fetches; under light
load they wait at most ``ack_delay`` (5 ms).  Buffered jobs are in this process'
in-flight list in Redis like running ones: a crash loses none of them, and quiet/stop
hands them straight back to their queues.

Suspects: a job that was recovered before (its process died while holding it) runs
alone - no other job of this process runs beside it - and is settled at once.  If the
process dies again, only that job counts towards the poison-pill limit.  A process holds
at most one suspect at a time (others are handed back, due now, for other processes);
while it waits for the running jobs to finish, nothing more is fetched but jobs already
fetched may pass it; if it waits longer than ``SUSPECT_WAIT``, it is handed back too.

Any failure of a round trip (connection lost, server read-only during a failover, out
of memory, a bug) is logged, backed off and retried; settlements are kept and sent
again, and the in-flight list is reconciled.  Should a thread still die, the process
stops (gracefully) so that its supervisor starts a healthy one.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import NamedTuple

import redis

from robin import events
from robin.errors import PayloadError
from robin.metrics import MetricsBuffer
from robin.payload import decode, encode, quarantine
from robin.scripts import MAX_FETCH, SettleOp
from robin.server import CONNECTION_ERRORS
from robin.worker.fetch import LeaseLost, ReliableFetch
from robin.worker.settings import WorkerSettings

log = logging.getLogger("robin")

ACK_BATCH = 200  # settlements that trigger a round trip on their own
PREFETCH_MAX_JOB_TIME = 0.05  # seconds: slower jobs on average turn prefetching off
PREFETCH_HORIZON = 0.02  # seconds of work the default prefetch holds at the measured pace
PREFETCH_LIMIT = 500  # jobs: the most the default prefetch holds
ERROR_LOG_EVERY = 60.0  # seconds between repeated logs of the same unexpected error
SUSPECT_WAIT = 5.0  # seconds a suspect waits for this process' other jobs before it is handed back
STOP_JOIN = 25.0  # seconds to wait for the fetcher's last round trip at stop (> the socket timeout)


class Running(NamedTuple):  # a tuple: made for every job, and cheaper than a dataclass
    raw: bytes
    started_at: float
    thread: str


class ConnectionWatch:
    """Reports trouble with the server once (and once that it is over), and paces retries."""

    def __init__(self, where: str, stop: threading.Event) -> None:
        self.where = where
        self.stop = stop
        self._lost_at: float | None = None
        self._delay = 0.05
        self._logged: dict[str, float] = {}
        self._lock = threading.Lock()

    def failed(self, exc: BaseException) -> None:
        with self._lock:
            if self._lost_at is None:
                self._lost_at = time.monotonic()
            if isinstance(exc, CONNECTION_ERRORS):
                self._report("connection", logging.WARNING, False,
                             "lost the connection to the server at %s (%s: %s); retrying with backoff, running "
                             "jobs carry on and nothing is lost", self.where, type(exc).__name__, exc)
            elif isinstance(exc, redis.exceptions.RedisError):
                self._report(type(exc).__name__, logging.WARNING, False,
                             "the server at %s refused a command (%s: %s); retrying with backoff, running jobs "
                             "carry on and nothing is lost", self.where, type(exc).__name__, exc)
            else:
                self._report(type(exc).__name__, logging.ERROR, True,
                             "internal error in the worker (%s: %s); retrying with backoff", type(exc).__name__, exc)
            delay = self._delay
            self._delay = min(self._delay * 2, 5.0)
        if self.stop.is_set():  # shutting down: keep trying, briefly
            time.sleep(min(delay, 0.1))
        else:
            self.stop.wait(delay)

    def _report(self, kind: str, level: int, trace: bool, message: str, *args: object) -> None:
        now = time.monotonic()
        if now - self._logged.get(kind, -ERROR_LOG_EVERY) >= ERROR_LOG_EVERY:
            self._logged[kind] = now
            log.log(level, message, *args, exc_info=trace)

    def ok(self) -> None:
        if self._lost_at is None:
            return
        with self._lock:
            if self._lost_at is not None:
                if self._logged:
                    log.warning("the server at %s answers normally again after %.1f s", self.where,
                                time.monotonic() - self._lost_at)
                self._lost_at = None
                self._delay = 0.05
                self._logged.clear()


class Manager:
    def __init__(self, settings: WorkerSettings, fetch: ReliableFetch, process: Callable[[bytes], SettleOp],
                 watch: ConnectionWatch, *, renew_lease: Callable[[], None], on_fatal: Callable[[], None],
                 on_due: Callable[[float], None] = lambda due: None, on_wake: Callable[[], None] = lambda: None,
                 metrics: MetricsBuffer | None = None) -> None:
        self.settings = settings
        self.fetch = fetch
        self.process = process
        self.watch = watch
        self.renew_lease = renew_lease
        self.on_fatal = on_fatal
        self.on_due = on_due
        self.on_wake = on_wake
        self.metrics = metrics or MetricsBuffer()
        self.concurrency = settings.concurrency
        self.prefetch = settings.prefetch  # None: sized to the measured pace (_prefetch_now)

        self._lock = threading.Lock()
        self._work_ready = threading.Condition(self._lock)   # processors wait here
        self._fetch_wanted = threading.Condition(self._lock)  # the fetcher waits here
        self._buffer: collections.deque[bytes] = collections.deque()
        self._busy = 0
        self._running: dict[int, Running] = {}
        self._acks: list[SettleOp] = []
        self._first_ack = 0.0
        self._job_time = 0.0        # moving average of job durations (s)
        self._finished = 0          # jobs finished so far (the average means little before)
        self._exclusive = False     # a suspect job is running alone
        self._suspect: bytes | None = None  # a suspect waiting for the other jobs to finish
        self._suspect_since = 0.0
        self._prune = False         # the lease lapsed: drop buffered jobs recovered elsewhere
        self._idle = False          # the last fetch found every queue empty
        self._woken = False         # the waker says: fetch again
        self._quiet = False
        self._stopped = False
        self._reconcile = False     # a round trip failed: re-read the in-flight list
        self._waker_go = threading.Event()
        self._trip_lock = threading.Lock()  # one round trip at a time (fetcher or waker)
        self._fetcher: threading.Thread | None = None

    # -- life cycle --------------------------------------------------------------------
    def start(self) -> None:
        for i in range(self.concurrency):
            self._thread(self._work_loop, f"processor-{i + 1}")
        self._fetcher = self._thread(self._fetch_loop, "fetcher")
        self._thread(self._wake_loop, "waker")

    def _thread(self, target: Callable[[], None], name: str) -> threading.Thread:
        def guarded() -> None:
            try:
                target()
            except BaseException:
                log.critical("internal error: thread %s stopped; stopping this process so that a healthy one "
                             "can take over (its jobs are safe in Redis)", name, exc_info=True)
                self.on_fatal()

        thread = threading.Thread(target=guarded, name=name, daemon=True)
        thread.start()
        return thread

    def quiet(self) -> None:
        """Stop fetching; hand the jobs fetched ahead back to the front of their queues."""
        with self._lock:
            if self._quiet:
                return
            self._quiet = True
            while self._buffer:
                raw = self._buffer.pop()  # newest first: RPUSH puts the oldest at the very front
                self._add_ack(_requeue(raw))
            if self._suspect is not None:
                self._add_ack(_requeue(self._suspect))
                self._suspect = None
            self._fetch_wanted.notify()
            self._work_ready.notify_all()
        self._waker_go.set()
        with contextlib.suppress(redis.exceptions.RedisError, OSError):
            self.fetch.wake()

    def stop(self, timeout: float, hurry: Callable[[], bool] = lambda: False) -> int:
        """Quiet, wait up to ``timeout`` for running jobs, hand back the unfinished, settle all.

        ``hurry()`` is asked while waiting; when it says so, the wait ends at once.
        Returns how many running jobs were handed back.
        """
        self.quiet()
        deadline = time.monotonic() + timeout
        while self._busy and time.monotonic() < deadline and not hurry():
            time.sleep(0.02)  # settlements keep flowing through the fetcher meanwhile
        with self._lock:
            unfinished = list(self._running.values())
            for job in unfinished:
                self._add_ack(_requeue(job.raw))
            self._stopped = True
            self._work_ready.notify_all()
            self._fetch_wanted.notify_all()
        if self._fetcher is not None:
            self._fetcher.join(STOP_JOIN)  # its last round trip may restore settlements: wait for it
        if self._final_flush():
            self._sweep()
        return len(unfinished)

    def _final_flush(self, attempts: int = 20) -> bool:
        """Send every settlement left; False if the server could not be reached."""
        for _ in range(attempts):
            with self._lock:
                ops = self._take_acks()
            metrics = self.metrics.take()
            if not ops and not metrics:
                return True
            try:
                with self._trip_lock:
                    self.fetch.exchange(ops, 0, metrics)
                continue  # the fetcher may still have restored more meanwhile
            except Exception as exc:
                self.metrics.put_back(metrics)
                with self._lock:
                    self._restore_acks(ops)
                log.warning("could not settle %d jobs at shutdown (%s: %s); retrying", len(ops),
                            type(exc).__name__, exc)
                time.sleep(0.5)
        log.warning("giving up settling at shutdown: the jobs stay in flight and other processes "
                    "will recover them once this process' lease expires")
        return False

    def _sweep(self) -> None:
        """Hand back whatever is still in this process' in-flight list at the very end.

        Every job this process knew of is settled or handed back by now; anything left
        was fetched by a round trip whose reply was lost.  Back to its queue it goes,
        rather than waiting for recovery (and being taken for a suspect).
        """
        try:
            with self._trip_lock:
                left = self.fetch.in_flight()
                if left:
                    log.warning("handing back %d jobs fetched while a reply was lost", len(left))
                    self.fetch.exchange([_requeue(raw) for raw in left], 0)
        except Exception as exc:
            log.warning("could not check the in-flight list at shutdown (%s: %s); other processes will "
                        "recover what is left once this process' lease expires", type(exc).__name__, exc)

    # -- snapshot for the heartbeat ----------------------------------------------------
    def snapshot(self) -> tuple[int, list[Running]]:
        with self._lock:
            return self._busy, list(self._running.values())

    @property
    def quieted(self) -> bool:
        return self._quiet

    @property
    def stopped(self) -> bool:
        return self._stopped

    # -- processors --------------------------------------------------------------------
    def _work_loop(self) -> None:
        ident = threading.get_ident()
        name = threading.current_thread().name
        finished: tuple[SettleOp, float, bool, bool] | None = None
        while True:
            with self._lock:  # one lock round per job: the last one's bookkeeping and the next one
                if finished is not None:
                    self._finished_job(ident, *finished)
                    finished = None
                taken = self._next_job()
                if taken is None:
                    return
                raw, suspect = taken
                self._busy += 1
                self._running[ident] = Running(raw, time.time(), name)
                if len(self._buffer) <= self._low_water():
                    self._fetch_wanted.notify()
            started = time.monotonic()
            op = self._process(raw)
            elapsed = time.monotonic() - started
            settled = suspect and self._settle_now(op, raw)
            if op[0] in ("r", "s"):
                self.on_due(float(op[3]))
            finished = (op, elapsed, suspect, settled)

    def _finished_job(self, ident: int, op: SettleOp, elapsed: float, suspect: bool, settled: bool) -> None:
        """Bookkeeping (holding the lock) for a job this thread finished: queue its settlement."""
        self._busy -= 1
        del self._running[ident]
        self._job_time += (elapsed - self._job_time) * 0.05
        self._finished += 1
        if suspect:
            self._exclusive = False
            self._fetch_wanted.notify()  # fetching resumes
        if not settled:
            first = not self._acks
            self._add_ack(op)
            if first or len(self._acks) >= ACK_BATCH:
                self._fetch_wanted.notify()
        if len(self._buffer) <= self._low_water():
            self._fetch_wanted.notify()
        if suspect or (self._busy == 0 and (self._buffer or self._suspect is not None)):
            self._work_ready.notify_all()  # a waiting suspect may go now

    def _next_job(self) -> tuple[bytes, bool] | None:
        """Wait (holding the lock) for the next job this thread may run; None to exit."""
        buffer = self._buffer
        while True:
            if self._stopped or (self._quiet and not buffer):
                return None
            if not self._exclusive:
                if self._suspect is not None and self._busy == 0:  # it runs alone: now nothing else runs
                    raw, self._suspect = self._suspect, None
                    self._exclusive = True
                    return raw, True
                if buffer:  # jobs fetched before may pass a waiting suspect; nothing new is fetched
                    return buffer.popleft(), False
            self._work_ready.wait()

    def _process(self, raw: bytes) -> SettleOp:
        try:
            return self.process(raw)
        except BaseException as exc:  # a bug of ours or a middleware's: keep the thread
            return _internal_error(raw, exc)

    def _settle_now(self, op: SettleOp, raw: bytes) -> bool:
        """Settle a suspect at once, not batched.

        Were it left waiting for its settlement and the process died meanwhile, it would
        count as running at the crash and could be taken for a poison pill.
        """
        try:
            self.fetch.settle_now(op, _jid(raw))
        except Exception:
            return False
        return True

    def _low_water(self) -> int:
        return self._prefetch_now() // 2

    def _prefetch_now(self) -> int:
        """How many jobs to hold fetched ahead of free threads, now."""
        job_time = self._job_time
        if job_time >= PREFETCH_MAX_JOB_TIME:
            return 0
        if self.prefetch is not None:
            return self.prefetch
        if self._finished < self.concurrency:
            return self.concurrency
        # Little's law: this process finishes about concurrency / job_time jobs a second.
        paced = int(self.concurrency * PREFETCH_HORIZON / max(job_time, 1e-6))
        return max(self.concurrency, min(PREFETCH_LIMIT, paced))

    def _add_ack(self, op: SettleOp) -> None:
        if not self._acks:
            self._first_ack = time.monotonic()
        self._acks.append(op)

    def _take_acks(self) -> list[SettleOp]:
        taken, self._acks = self._acks, []
        return taken

    def _restore_acks(self, ops: list[SettleOp]) -> None:
        if ops and not self._acks:
            self._first_ack = time.monotonic()
        self._acks[:0] = ops

    # -- the fetcher -------------------------------------------------------------------
    def _fetch_loop(self) -> None:
        while True:
            with self._lock:
                if self._await_round_trip() < 0:
                    return
            self._trip()

    def _trip(self) -> None:
        """One round trip: settle what finished, fetch what is wanted now.

        Run by the fetcher, and by the waker when work arrives for an idle process (it
        fetches at once rather than hand over to the fetcher: one thread switch less
        between an enqueue and the start of its job).  ``_trip_lock`` keeps round trips
        one at a time: reconciling after a lost reply relies on it.
        """
        with self._trip_lock:
            with self._lock:
                want = self._want_now()
            if not self._prepare(want):
                return
            with self._lock:
                ops = self._take_acks()
                if want:
                    self._woken = False
            raws = self._round_trip(ops, want)
            if raws is None:
                return
            self.watch.ok()
            with self._lock:
                self._accept(raws)
                if not raws and want:
                    self._idle = True
                    self._waker_go.set()

    def _prepare(self, want: int) -> bool:
        """What must happen before a round trip: pruning, reconciling, asking the fetch filters."""
        with self._lock:
            reconcile, prune, woken = self._reconcile, self._prune, self._woken
        try:
            if prune:
                self._prune_buffer()
            if reconcile:
                self._reconcile_in_flight()
            if want:
                self.fetch.refresh_filters(force=woken)  # a wake-up may mean a queue was resumed
        except Exception as exc:
            self.watch.failed(exc)
            return False
        return True

    def _round_trip(self, ops: list[SettleOp], want: int) -> list[bytes] | None:
        """Settle and fetch; None if it failed (the settlements are kept for the next try)."""
        metrics = self.metrics.take() if ops else None  # measurements ride along with settlements
        try:
            return self.fetch.exchange(ops, want, metrics)
        except LeaseLost:
            self._lease_lost()
            return None
        except Exception as exc:
            if metrics:
                self.metrics.put_back(metrics)
            with self._lock:
                self._restore_acks(ops)
                self._reconcile = self._reconcile or want > 0
                if want:
                    self._woken = True  # try the fetch again after the pause
            self.watch.failed(exc)
            return None

    def _accept(self, raws: list[bytes]) -> None:
        """Take fetched jobs into the buffer (or hand them straight back when quiet).

        Of the suspects among them, this process keeps one (if it holds none); the others
        are handed back, due now, for other processes to run.
        """
        if not raws:
            return
        self._idle = False
        if self._quiet:
            for raw in raws:
                self._add_ack(_requeue(raw))
            return
        normal = []
        for raw in raws:
            if not _suspect(raw):
                normal.append(raw)
            elif self._suspect is None and not self._exclusive:
                self._suspect, self._suspect_since = raw, time.monotonic()
            else:
                self._add_ack(_hand_back(raw))
        self._buffer.extend(normal)
        self._work_ready.notify(len(normal) + (self._suspect is not None))

    def _lease_lost(self) -> None:
        log.warning("the server refused a fetch because this process' lease had expired; renewing it")
        self.lease_lapsed()
        try:
            self.renew_lease()
        except Exception as exc:
            self.watch.failed(exc)
        with self._lock:
            self._woken = True

    def lease_lapsed(self) -> None:
        """The lease expired at some point: jobs fetched ahead may have been recovered elsewhere."""
        with self._lock:
            self._prune = True
            self._fetch_wanted.notify()

    def _prune_buffer(self) -> None:
        """Drop buffered jobs that are no longer in our in-flight list (another process has them)."""
        held = collections.Counter(self.fetch.in_flight())
        with self._lock:
            self._prune = False
            held.subtract(job.raw for job in self._running.values())
            held.subtract(op[1] for op in self._acks)
            kept: list[bytes] = []
            for raw in self._buffer:
                if held[raw] > 0:
                    held[raw] -= 1
                    kept.append(raw)
            dropped = len(self._buffer) - len(kept)
            self._buffer.clear()
            self._buffer.extend(kept)
            if self._suspect is not None and held[self._suspect] <= 0:
                self._suspect = None
                dropped += 1
            if dropped:
                log.warning("dropped %d fetched jobs that other processes recovered while this process' lease "
                            "had lapsed", dropped)

    def _await_round_trip(self) -> int:
        """Wait (holding the lock) until a round trip is due; return how many jobs to fetch.

        Returns -1 when the manager stopped and nothing is left to settle by this loop.
        """
        while True:
            if self._stopped:
                return -1
            if self._prune:
                return 0
            suspect_deadline = self._suspect_since + SUSPECT_WAIT if self._suspect is not None else None
            if suspect_deadline is not None and time.monotonic() >= suspect_deadline:
                log.info("a recovered job waited %g s for this process' running jobs; handing it back for "
                         "another process", SUSPECT_WAIT)
                assert self._suspect is not None
                self._add_ack(_hand_back(self._suspect))
                self._suspect = suspect_deadline = None
            want = self._want_now()
            acks = self._acks
            if want > 0:
                return want
            if acks and (len(acks) >= ACK_BATCH or time.monotonic() - self._first_ack >= self.settings.ack_delay):
                return 0
            deadlines = [d for d in (suspect_deadline,
                                     self._first_ack + self.settings.ack_delay if acks else None) if d is not None]
            timeout = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
            self._fetch_wanted.wait(timeout)

    def _want_now(self) -> int:
        """How many jobs to fetch now (holding the lock); 0 for none."""
        buffered = len(self._buffer)
        prefetch = self._prefetch_now()
        holding = self._suspect is not None or self._exclusive  # a suspect waits or runs: fetch nothing
        if self._quiet or self._stopped or holding or buffered > prefetch // 2 or (self._idle and not self._woken):
            return 0
        return max(0, min(MAX_FETCH, self.concurrency + prefetch - self._busy - buffered))

    def _known(self) -> collections.Counter[bytes]:
        known = collections.Counter(self._buffer)
        known.update(job.raw for job in self._running.values())
        known.update(op[1] for op in self._acks)
        if self._suspect is not None:
            known[self._suspect] += 1
        return known

    def _reconcile_in_flight(self) -> None:
        """After a lost reply, adopt jobs that Redis moved to our in-flight list unseen.

        What this process knows is taken both before and after reading the list: a job
        that finished and was settled in between was known before, so it is not adopted.
        """
        with self._lock:
            before = self._known()
        held = self.fetch.in_flight()
        with self._lock:
            known = before | self._known()
            adopted = []
            for raw in held:
                if known[raw] > 0:
                    known[raw] -= 1
                else:
                    adopted.append(raw)
            if adopted:
                log.warning("adopting %d jobs fetched while a reply was lost", len(adopted))
                self._accept(adopted)
            self._reconcile = False

    # -- the waker ---------------------------------------------------------------------
    def _wake_loop(self) -> None:
        while True:
            self._waker_go.wait()
            self._waker_go.clear()
            with self._lock:
                if self._stopped or self._quiet:
                    return
                if not self._idle or self._woken:
                    continue
            self._wait_for_work()
            self._trip()
            with self._lock:
                self._fetch_wanted.notify()  # should the trip have failed, the fetcher tries again

    def _wait_for_work(self) -> None:
        """Block until a queue has work, a command arrives for this process, or the wait times out."""
        try:
            if self.fetch.wait_for_work() == "wake":
                self.on_wake()  # a remote command is waiting: read it now, not at the next heartbeat
        except Exception as exc:
            self.watch.failed(exc)
        with self._lock:
            self._woken = True


def _suspect(raw: bytes) -> bool:
    """Was this job recovered from a process that died? (cheap test first)"""
    if b'"recovered"' not in raw:
        return False
    try:
        return bool(decode(raw).get("recovered"))
    except PayloadError:
        return False


def _jid(raw: bytes) -> str:
    try:
        return str(decode(raw)["jid"])
    except PayloadError:
        return ""


def _requeue(raw: bytes) -> SettleOp:
    """Back to the front of its queue (quiet, stop)."""
    return ("q", raw, raw, _queue_of(raw))


def _hand_back(raw: bytes) -> SettleOp:
    """Into the schedule set, due now: the poller of any process moves it to its queue."""
    return ("s", raw, raw, repr(time.time()))


def _queue_of(raw: bytes) -> str:
    try:
        return str(decode(raw)["queue"])
    except PayloadError:
        return "default"


def _internal_error(raw: bytes, exc: BaseException) -> SettleOp:
    """Dead-letter a job whose processing failed inside Robin or a middleware; never raises."""
    reason = f"internal error while processing it: {type(exc).__name__}: {exc}"
    try:
        log.error("internal error while processing a job; it goes to the dead set", exc_info=exc)
        dead = quarantine(raw, reason, _queue_of(raw), time.time())
        dead["dead_reason"] = reason
        events.death(dead, exc)  # plug-ins must hear of every death (a batch's death callback...)
        return ("d", raw, encode(dead), "")
    except BaseException:
        text = raw.decode("utf-8", "replace")
        minimal: dict[str, object] = {
            "jid": _jid(raw) or "unknown", "job": None, "queue": "default", "args": [], "raw": text,
            "error_class": "robin.InternalError", "dead_reason": reason[:500], "failed_at": time.time()}
        return ("d", raw, encode(minimal), "")


def describe_jobs(n: int) -> str:
    return f"{n} running job" + ("" if n == 1 else "s")

