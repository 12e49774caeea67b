"""The event loop that async jobs (and async event handlers) run on.

One loop per worker process, in its own thread, started the first time it is needed.
A worker thread hands an async job to the loop and waits for it, so ``-c`` bounds sync
and async jobs alike, and every async job shares one loop (and whatever async clients
startup handlers opened on it).  Context variables, such as the running job used by
the log, are carried into the task.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from collections.abc import Awaitable, Coroutine
from typing import Any


class AsyncRunner:
    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._jobs: set[tuple[concurrent.futures.Future[Any], threading.Event]] = set()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        loop = self._loop
        if loop is None:
            with self._lock:
                if self._loop is None:
                    self._loop = asyncio.new_event_loop()
                    self._thread = threading.Thread(target=self._run, name="robin-asyncio", daemon=True)
                    self._thread.start()
                loop = self._loop
        return loop

    def _run(self) -> None:
        assert self._loop is not None
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()

    def run(self, awaitable: Awaitable[Any]) -> Any:
        """Run ``awaitable`` on the loop and wait for its result (from any other thread)."""
        return asyncio.run_coroutine_threadsafe(_coroutine(awaitable), self.loop).result()

    def run_job(self, awaitable: Awaitable[Any]) -> Any:
        """Like :meth:`run`, for a job: a hard stop may cancel it (see :meth:`cancel_jobs`)."""
        finished = threading.Event()

        async def tracked() -> Any:
            try:
                return await awaitable
            finally:
                finished.set()

        future = asyncio.run_coroutine_threadsafe(tracked(), self.loop)
        entry = (future, finished)
        with self._lock:
            self._jobs.add(entry)
        try:
            return future.result()
        finally:
            with self._lock:
                self._jobs.discard(entry)

    def cancel_jobs(self, timeout: float = 2.0) -> int:
        """Cancel every async job still running (at a hard stop) and give their ``finally``
        blocks up to ``timeout`` seconds to run; return how many were cancelled."""
        with self._lock:
            running = list(self._jobs)
        for future, _ in running:
            future.cancel()
        deadline = time.monotonic() + timeout
        for _, finished in running:
            finished.wait(max(0.0, deadline - time.monotonic()))
        return len(running)

    def close(self, timeout: float = 5.0) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        if not thread.is_alive():
            loop.close()
        self._loop = self._thread = None


def _coroutine(awaitable: Awaitable[Any]) -> Coroutine[Any, Any, Any]:
    if asyncio.iscoroutine(awaitable):
        return awaitable

    async def wrap() -> Any:
        return await awaitable

    return wrap()
