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
import contextlib
import threading
from collections.abc import Awaitable
from typing import Any


class AsyncRunner:
    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._running: set[concurrent.futures.Future[Any]] = set()

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
        if asyncio.iscoroutine(awaitable):
            coroutine = awaitable
        else:
            async def wrap() -> Any:
                return await awaitable

            coroutine = wrap()
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        with self._lock:
            self._running.add(future)
        try:
            return future.result()
        finally:
            with self._lock:
                self._running.discard(future)

    def cancel_running(self, timeout: float = 2.0) -> int:
        """Cancel every async job still running (at a hard stop), so their ``finally`` blocks run."""
        with self._lock:
            running = list(self._running)
        if not running or self._loop is None:
            return 0
        for future in running:
            future.cancel()

        async def finish() -> None:  # let the cancelled tasks run their except/finally blocks
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            if tasks:
                await asyncio.wait(tasks, timeout=timeout)

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(finish(), self._loop).result(timeout + 1)
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
