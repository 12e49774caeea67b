"""Run one job in the test process the way a worker runs it.

The steps of :meth:`robin.worker.processor.Processor.process`, minus Redis: decode the
JSON, look the job up by name in the registry, set the log context, run server
middleware around the call, and tell error handlers about a failure.  What a worker
does next (retry, dead set, schedule) is the mode's decision, so a failure is raised
and a reschedule is returned.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from robin import events
from robin.context import ExecutionContext
from robin.errors import Reschedule
from robin.execution import invoke
from robin.job import registered
from robin.log import current_job
from robin.payload import Payload, decode

if TYPE_CHECKING:
    from robin.worker.asyncrunner import AsyncRunner


@dataclass(frozen=True)
class Rescheduled:
    """The job (or server middleware) asked to run again in ``signal.delay`` seconds;
    ``payload`` carries the changes middleware made, as the worker would keep them."""

    payload: Payload
    signal: Reschedule


class JobRunner:
    """Runs payloads for one test mode; async jobs share one event loop, as in a worker."""

    def __init__(self, mode: str) -> None:
        # The shape of a worker's identity (host:pid:suffix), for middleware that reads it.
        self.identity = f"{socket.gethostname()}:{os.getpid()}:{mode}"
        self._loop: AsyncRunner | None = None
        self._lock = threading.Lock()

    def run(self, raw: str) -> Rescheduled | None:
        """Run the job in ``raw``; return ``None`` when it finished, raise what it raised."""
        payload = decode(raw)
        ctx = ExecutionContext(payload, raw.encode(), registered(payload["job"]), self.identity)
        token = current_job.set((ctx.jid, ctx.job_name, ctx.queue))  # log lines carry the jid
        try:
            invoke(ctx, self.run_coroutine)  # the worker's own step: server middleware around the call
            return None
        except Reschedule as signal:
            return Rescheduled(dict(ctx.payload), signal)
        except BaseException as exc:
            events.error(exc, ctx)  # error handlers see test failures as they see a worker's
            raise
        finally:
            current_job.reset(token)

    def run_coroutine(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        """Run an async job to completion and return its result (or raise its exception)."""
        import asyncio

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            # The usual case: a plain test.  Every async job of this mode runs on one loop in
            # a thread of its own, as in a worker, so clients a job caches on its loop keep
            # working in the next job.
            return self._shared_loop().run(coroutine)
        # Called from a coroutine: an async test, or an async job that enqueues another
        # while inline.  Waiting here for a job on a loop would block the caller's loop,
        # which may be that very loop; a fresh loop on a fresh thread cannot deadlock.
        return _run_on_own_thread(coroutine)

    def _shared_loop(self) -> AsyncRunner:
        with self._lock:
            if self._loop is None:
                from robin.worker.asyncrunner import AsyncRunner

                self._loop = AsyncRunner()
            return self._loop

    def close(self) -> None:
        """Stop the event loop of async jobs, if one was started."""
        with self._lock:
            loop, self._loop = self._loop, None
        if loop is not None:
            loop.close()


def _run_on_own_thread(coroutine: Coroutine[Any, Any, Any]) -> Any:
    import asyncio
    import concurrent.futures
    import contextvars

    context = contextvars.copy_context()  # the caller's context variables, as a task would see them
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="robin-testing") as pool:
        return pool.submit(context.run, asyncio.run, coroutine).result()
