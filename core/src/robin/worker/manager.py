"""The manager: N processor threads fed by one fetcher thread, plus a waker for idle times.

Threads and what they do::

    fetcher      one round trip at a time: settle finished jobs + fetch the next batch
    processors   ``concurrency`` threads: take a job from the local buffer, run it, hand
                 its settlement back (no Redis on this path)
    waker        only while every queue is empty: a blocking wait on wake-up tokens

The local buffer holds jobs fetched ahead of free threads (``prefetch``, by default as
many as ``concurrency``) so a thread that finishes a job starts the next one without a
round trip.  The fetcher refills the buffer when it runs low, and settlements ride
along with those fetches; under light load they wait at most ``ack_delay`` (5 ms).
Buffered jobs are in this process' in-flight list in Redis like running ones: a crash
loses none of them, and quiet/stop hands them straight back to their queues.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from robin.errors import PayloadError
from robin.payload import decode, encode, quarantine
from robin.scripts import SettleOp
from robin.server import CONNECTION_ERRORS
from robin.worker.fetch import ReliableFetch
from robin.worker.processor import Outcome
from robin.worker.settings import WorkerSettings

log = logging.getLogger("robin")

ACK_BATCH = 200  # settlements that trigger a round trip on their own


@dataclass(frozen=True)
class Running:
    raw: bytes
    started_at: float
    thread: str


class ConnectionWatch:
    """Says once that the server went away, once that it came back, and paces retries."""

    def __init__(self, where: str, stop: threading.Event) -> None:
        self.where = where
        self.stop = stop
        self._lost_at: float | None = None
        self._delay = 0.05
        self._lock = threading.Lock()

    def failed(self, exc: BaseException) -> None:
        with self._lock:
            if self._lost_at is None:
                self._lost_at = time.monotonic()
                log.warning("lost the connection to the server at %s (%s: %s); retrying with backoff, "
                            "running jobs carry on and nothing is lost", self.where, type(exc).__name__, exc)
            delay = self._delay
            self._delay = min(self._delay * 2, 5.0)
        if self.stop.is_set():  # shutting down: keep trying, briefly
            delay = min(delay, 0.1)
            time.sleep(delay)
        else:
            self.stop.wait(delay)

    def ok(self) -> None:
        if self._lost_at is None:
            return
        with self._lock:
            if self._lost_at is not None:
                log.warning("the connection to the server at %s is back after %.1f s", self.where,
                            time.monotonic() - self._lost_at)
                self._lost_at = None
                self._delay = 0.05

    @property
    def lost(self) -> bool:
        return self._lost_at is not None


class Manager:
    def __init__(self, settings: WorkerSettings, fetch: ReliableFetch, process: Callable[[bytes], Outcome],
                 watch: ConnectionWatch) -> None:
        self.settings = settings
        self.fetch = fetch
        self.process = process
        self.watch = watch
        self.capacity = settings.capacity
        self.low_water = max(0, (self.capacity - settings.concurrency) // 2)

        self._lock = threading.Lock()
        self._work_ready = threading.Condition(self._lock)   # processors wait here
        self._fetch_wanted = threading.Condition(self._lock)  # the fetcher waits here
        self._buffer: collections.deque[bytes] = collections.deque()
        self._busy = 0
        self._running: dict[int, Running] = {}
        self._acks: list[SettleOp] = []
        self._processed = 0
        self._failed = 0
        self._first_ack = 0.0
        self._idle = False          # the last fetch found every queue empty
        self._woken = False         # the waker says: fetch again
        self._quiet = False
        self._stopped = False
        self._reconcile = False     # a round trip failed: re-read the in-flight list
        self._stop_event = watch.stop
        self._waker_go = threading.Event()
        self._threads: list[threading.Thread] = []
        self._fetcher: threading.Thread | None = None

    # -- life cycle --------------------------------------------------------------------
    def start(self) -> None:
        for i in range(self.settings.concurrency):
            t = threading.Thread(target=self._work_loop, name=f"processor-{i + 1}", daemon=True)
            t.start()
            self._threads.append(t)
        self._fetcher = threading.Thread(target=self._fetch_loop, name="fetcher", daemon=True)
        self._fetcher.start()
        threading.Thread(target=self._wake_loop, name="waker", daemon=True).start()

    def quiet(self) -> None:
        """Stop fetching; hand the jobs fetched ahead back to the front of their queues."""
        with self._lock:
            if self._quiet:
                return
            self._quiet = True
            while self._buffer:
                raw = self._buffer.pop()  # newest first: RPUSH puts the oldest at the very front
                self._add_ack(("q", raw, raw, _queue_of(raw)), 0, 0)
            self._fetch_wanted.notify()
        self._waker_go.set()
        with contextlib.suppress(*CONNECTION_ERRORS):
            self.fetch.wake()

    def stop(self, timeout: float, hurry: Callable[[], bool] = lambda: False) -> None:
        """Quiet, wait up to ``timeout`` for running jobs, hand back the unfinished, settle all.

        ``hurry()`` is asked while waiting; when it says so, the wait ends at once.
        """
        self.quiet()
        deadline = time.monotonic() + timeout
        while self._busy and time.monotonic() < deadline and not hurry():
            time.sleep(0.02)  # settlements keep flowing through the fetcher meanwhile
        with self._lock:
            unfinished = list(self._running.values())
            for job in unfinished:
                self._add_ack(("q", job.raw, job.raw, _queue_of(job.raw)), 0, 0)
            self._stopped = True
            self._work_ready.notify_all()
            self._fetch_wanted.notify_all()
        if unfinished:
            log.warning("%d jobs did not finish within the %g s shutdown timeout; they go back to their "
                        "queues and will run again", len(unfinished), timeout)
        if self._fetcher is not None:
            self._fetcher.join(5.0)
        self._final_flush()

    def _final_flush(self, attempts: int = 20) -> None:
        for _ in range(attempts):
            with self._lock:
                ops, processed, failed = self._take_acks()
            if not ops and not processed and not failed:
                return
            try:
                self.fetch.exchange(ops, processed, failed, 0)
                return
            except CONNECTION_ERRORS as exc:
                with self._lock:
                    self._restore_acks(ops, processed, failed)
                log.warning("could not settle %d jobs at shutdown (%s); retrying", len(ops), exc)
                time.sleep(0.5)
        log.warning("giving up settling at shutdown: the jobs stay in flight and other processes "
                    "will recover them once this process' lease expires")

    # -- snapshot for the heartbeat ----------------------------------------------------
    def snapshot(self) -> tuple[int, list[Running]]:
        with self._lock:
            return self._busy, list(self._running.values())

    @property
    def quieted(self) -> bool:
        return self._quiet

    # -- processors --------------------------------------------------------------------
    def _work_loop(self) -> None:
        ident = threading.get_ident()
        name = threading.current_thread().name
        buffer = self._buffer
        while True:
            with self._lock:
                while not buffer:
                    if self._stopped or self._quiet:
                        return
                    self._work_ready.wait()
                raw = buffer.popleft()
                self._busy += 1
                self._running[ident] = Running(raw, time.time(), name)
                if len(buffer) <= self.low_water:
                    self._fetch_wanted.notify()
            try:
                outcome = self.process(raw)
            except BaseException as exc:  # a bug of ours or a middleware's: keep the thread
                outcome = _internal_error(raw, exc)
            settled = b'"recovered"' in raw and self._settle_now(outcome)
            with self._lock:
                self._busy -= 1
                del self._running[ident]
                if settled:
                    continue
                first = not self._acks
                self._add_ack(*outcome)
                if first or len(self._acks) >= ACK_BATCH or len(buffer) <= self.low_water:
                    self._fetch_wanted.notify()

    def _settle_now(self, outcome: Outcome) -> bool:
        """Settle at once, not batched: for jobs recovered before.

        Were such a job left waiting for its settlement and the process died meanwhile,
        it would count as running at the crash and could be taken for a poison pill.
        """
        try:
            self.fetch.exchange([outcome[0]], outcome[1], outcome[2], 0)
        except CONNECTION_ERRORS:
            return False
        return True

    def _add_ack(self, op: SettleOp, processed: int, failed: int) -> None:
        if not self._acks:
            self._first_ack = time.monotonic()
        self._acks.append(op)
        self._processed += processed
        self._failed += failed

    def _take_acks(self) -> tuple[list[SettleOp], int, int]:
        taken = self._acks, self._processed, self._failed
        self._acks, self._processed, self._failed = [], 0, 0
        return taken

    def _restore_acks(self, ops: list[SettleOp], processed: int, failed: int) -> None:
        if ops and not self._acks:
            self._first_ack = time.monotonic()
        self._acks[:0] = ops
        self._processed += processed
        self._failed += failed

    # -- the fetcher -------------------------------------------------------------------
    def _fetch_loop(self) -> None:
        while True:
            with self._lock:
                want = self._await_round_trip()
                if want < 0:
                    return
                ops, processed, failed = self._take_acks()
                if want:
                    self._woken = False
                reconcile = self._reconcile
            try:
                if reconcile:
                    self._reconcile_in_flight()
                raws = self.fetch.exchange(ops, processed, failed, want)
            except CONNECTION_ERRORS as exc:
                with self._lock:
                    self._restore_acks(ops, processed, failed)
                    self._reconcile = self._reconcile or want > 0
                    if want:
                        self._woken = True  # try the fetch again after the pause
                self.watch.failed(exc)
                continue
            self.watch.ok()
            with self._lock:
                if raws:
                    if self._quiet:  # quieted during the round trip: hand them straight back
                        for raw in raws:
                            self._add_ack(("q", raw, raw, _queue_of(raw)), 0, 0)
                    else:
                        self._buffer.extend(raws)
                        self._work_ready.notify(len(raws))
                    self._idle = False
                elif want:
                    self._idle = True
                    self._waker_go.set()

    def _await_round_trip(self) -> int:
        """Wait (holding the lock) until a round trip is due; return how many jobs to fetch.

        Returns -1 when the manager stopped and nothing is left to settle by this loop.
        """
        while True:
            if self._stopped:
                return -1
            want = 0
            if not self._quiet and len(self._buffer) <= self.low_water and (not self._idle or self._woken):
                want = self.capacity - self._busy - len(self._buffer)
            acks = self._acks
            if want > 0:
                return want
            if acks and (len(acks) >= ACK_BATCH or time.monotonic() - self._first_ack >= self.settings.ack_delay):
                return 0
            timeout = None
            if acks:
                timeout = max(0.0, self._first_ack + self.settings.ack_delay - time.monotonic())
            self._fetch_wanted.wait(timeout)

    def _reconcile_in_flight(self) -> None:
        """After a lost reply, adopt jobs that Redis moved to our in-flight list unseen."""
        held = self.fetch.in_flight()
        with self._lock:
            known = collections.Counter(self._buffer)
            known.update(job.raw for job in self._running.values())
            known.update(op[1] for op in self._acks)
            adopted = []
            for raw in held:
                if known[raw] > 0:
                    known[raw] -= 1
                else:
                    adopted.append(raw)
            if adopted:
                log.warning("adopting %d jobs fetched during a connection failure", len(adopted))
                if self._quiet:
                    for raw in adopted:
                        self._add_ack(("q", raw, raw, _queue_of(raw)), 0, 0)
                else:
                    self._buffer.extend(adopted)
                    self._work_ready.notify(len(adopted))
            self._reconcile = False

    # -- the waker ---------------------------------------------------------------------
    def _wake_loop(self) -> None:
        while True:
            self._waker_go.wait()
            self._waker_go.clear()
            while True:
                with self._lock:
                    if self._stopped or self._quiet:
                        return
                    if not self._idle or self._woken:
                        break
                try:
                    self.fetch.wait_for_work()
                except CONNECTION_ERRORS as exc:
                    self.watch.failed(exc)
                with self._lock:
                    self._woken = True
                    self._fetch_wanted.notify()
                break


def _internal_error(raw: bytes, exc: BaseException) -> Outcome:
    log.exception("internal error while processing a job; it goes to the dead set")
    now = time.time()
    dead = quarantine(raw, f"internal error: {type(exc).__name__}: {exc}", _queue_of(raw), now)
    dead["dead_reason"] = f"internal error while processing it: {type(exc).__name__}: {exc}"
    return ("d", raw, encode(dead), ""), 1, 1


def _queue_of(raw: bytes) -> str:
    try:
        return str(decode(raw)["queue"])
    except PayloadError:
        return "default"
