"""Fake mode: enqueued jobs are collected per queue; tests inspect them and drain them."""

from __future__ import annotations

import heapq
import threading
import time
from typing import Any, Self

from robin.errors import RobinError
from robin.payload import encode
from robin.testing.execution import Rescheduled
from robin.testing.mode import Mode
from robin.testing.records import EnqueuedJob, JobRef, call, listing, name_of

DRAIN_LIMIT = 10_000


class DrainError(RobinError, RuntimeError):
    """``Fake.drain()`` ran its limit of jobs and more were still due."""


class Fake(Mode):
    """Collects jobs instead of sending them; see :func:`fake`."""

    def __init__(self) -> None:
        super().__init__("fake")
        self._lock = threading.Lock()
        self._collected: dict[int, EnqueuedJob] = {}  # by arrival number: enqueue order
        # Per queue, a heap of (due, arrival) for drain(); entries of jobs that clear()
        # removed are skipped when they reach the top.
        self._due: dict[str, list[tuple[float, int]]] = {}

    def accept(self, record: EnqueuedJob) -> None:
        with self._lock:
            self._collected[record.seq] = record
            heapq.heappush(self._due.setdefault(record.queue, []), (record.due, record.seq))

    # -- inspecting ----------------------------------------------------------------------
    def jobs(self, queue: str | None = None, job: JobRef | None = None) -> list[EnqueuedJob]:
        """The jobs collected (and not yet drained), in enqueue order, optionally only those
        of one queue and/or one job (the job, ``job.options(...)``, or its name)."""
        name = None if job is None else name_of(job)
        with self._lock:
            records = list(self._collected.values())
        return [r for r in records if (queue is None or r.queue == queue) and (name is None or r.job == name)]

    def queues(self) -> dict[str, int]:
        """Number of collected jobs per queue."""
        sizes: dict[str, int] = {}
        for record in self.jobs():
            sizes[record.queue] = sizes.get(record.queue, 0) + 1
        return sizes

    def __len__(self) -> int:
        return len(self._collected)

    def assert_enqueued(self, job: JobRef, /, *args: Any, **kwargs: Any) -> EnqueuedJob:
        """Fail unless ``job`` was enqueued with exactly these arguments (with any arguments
        if none are given); return the first matching job."""
        __tracebackhide__ = True  # pytest shows the test's line, not this one
        name, expected = name_of(job), self._expected(args, kwargs)
        found = [r for r in self.jobs() if r.matches(name, *expected)]
        if found:
            return found[0]
        wanted = call(name, args, kwargs) if expected[0] is not None else f"{name}(...)"
        everything = self.jobs()
        if not everything:
            raise AssertionError(f"expected {wanted} to be enqueued, but the fake holds no jobs: nothing was "
                                 f"enqueued while it was active, or drain() or clear() removed it since")
        raise AssertionError(f"expected {wanted} to be enqueued, but it was not; the fake holds "
                             f"{_jobs(len(everything))}:\n{listing(everything)}")

    def assert_not_enqueued(self, job: JobRef, /, *args: Any, **kwargs: Any) -> None:
        """Fail if ``job`` was enqueued with exactly these arguments (with any arguments if
        none are given)."""
        __tracebackhide__ = True
        name, expected = name_of(job), self._expected(args, kwargs)
        found = [r for r in self.jobs() if r.matches(name, *expected)]
        if found:
            wanted = call(name, args, kwargs) if expected[0] is not None else name
            raise AssertionError(f"expected {wanted} not to be enqueued, but the fake holds "
                                 f"{_jobs(len(found))} of it:\n{listing(found)}")

    @staticmethod
    def _expected(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[tuple[Any, ...] | None,
                                                                            dict[str, Any] | None]:
        if not args and not kwargs:
            return None, None  # any arguments
        return args, kwargs

    def clear(self, queue: str | None = None) -> None:
        """Forget the collected jobs (of one queue only, if given)."""
        with self._lock:
            if queue is None:
                self._collected.clear()
                self._due.clear()
                return
            self._due.pop(queue, None)
            for seq in [seq for seq, r in self._collected.items() if r.queue == queue]:
                del self._collected[seq]

    # -- running -------------------------------------------------------------------------
    def drain(self, queue: str | None = None, *, scheduled: bool = True, limit: int = DRAIN_LIMIT) -> int:
        """Run the collected jobs, and the jobs they enqueue, until none is left; return how
        many ran.

        Jobs run in the order a worker would reach them: by due time, then enqueue order;
        scheduled jobs run without waiting (``scheduled=False`` leaves those not yet due
        collected).  ``queue`` runs one queue only.  Server middleware runs around each job;
        a rescheduled job is collected again, due after its delay.

        A job that raises stops the drain: its exception propagates (with a note naming
        the job), the failed job is removed, and the jobs not yet run stay collected.
        More than ``limit`` jobs (a job that keeps enqueuing itself) raise
        :class:`DrainError`.
        """
        ran = 0
        with self:  # jobs that the drained jobs enqueue land here, even after the `with` block
            while (record := self._next(queue, scheduled)) is not None:
                if ran >= limit:
                    self.accept(record)  # not run: leave it where it was
                    raise DrainError(self._limit_message(limit, record))
                ran += 1
                try:
                    outcome = self.runner.run(record.raw)
                except BaseException as exc:
                    exc.add_note(f"raised by the job {record} during robin.testing fake.drain(); it is no "
                                 f"longer collected, and the jobs not yet run stay collected "
                                 f"({_jobs(len(self))}: fake.jobs() lists them)")
                    raise
                if outcome is not None:
                    self._reschedule(outcome)
        return ran

    def _next(self, queue: str | None, scheduled: bool) -> EnqueuedJob | None:
        """Take the job a worker would run next: the earliest due of the queues asked for."""
        now = time.time()
        with self._lock:
            best: tuple[tuple[float, int], str] | None = None
            for name in [queue] if queue is not None else list(self._due):
                heap = self._due.get(name)
                while heap and heap[0][1] not in self._collected:
                    heapq.heappop(heap)  # cleared meanwhile
                if not heap or (not scheduled and heap[0][0] > now):
                    continue
                if best is None or heap[0] < best[0]:
                    best = (heap[0], name)
            if best is None:
                return None
            heapq.heappop(self._due[best[1]])
            return self._collected.pop(best[0][1])

    def _reschedule(self, outcome: Rescheduled) -> None:
        # What the worker keeps (see Processor._reschedule): the payload as middleware left
        # it, due after the delay, no longer suspected of killing its worker.
        payload = outcome.payload
        due = time.time() + max(0.0, outcome.signal.delay)
        payload["enqueued_at"] = due
        payload.pop("recovered", None)
        self.accept(EnqueuedJob(payload, encode(payload), due, due, next(self._sequence)))

    def _limit_message(self, limit: int, record: EnqueuedJob) -> str:
        return (f"fake.drain() ran {limit:,} jobs and {_jobs(len(self))} are still due, the next being {record}; "
                f"a job that enqueues itself (or middleware that keeps rescheduling) never lets a drain end. "
                f"drain(scheduled=False) leaves jobs scheduled for later alone; drain(limit=...) allows more")

    def _for_call(self) -> Self:
        self.clear()  # each decorated call starts with an empty fake
        return self

    def __repr__(self) -> str:
        return f"<robin.testing.Fake {'active' if self.active else 'inactive'}, {_jobs(len(self))} collected>"


def _jobs(count: int) -> str:
    return f"{count} job" if count == 1 else f"{count} jobs"


def fake() -> Fake:
    """Collect enqueued jobs instead of sending them, inside the ``with`` block or decorated call.

    ::

        with robin.testing.fake() as fake:
            signup("ada@example.com")
            fake.assert_enqueued(send_welcome, "ada@example.com")
            fake.drain()                  # runs them, and the jobs they enqueue

    Client middleware runs at enqueue (one that stops a job means nothing is collected);
    server middleware runs around each job at :meth:`Fake.drain`.
    """
    return Fake()
