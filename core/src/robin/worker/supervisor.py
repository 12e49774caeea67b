"""``robin worker -p N``: N worker processes under one supervisor.

The supervisor imports the application first (so a broken ``-r`` module fails once, in
the foreground), then forks the children; each child is a complete worker with its own
identity, lease and in-flight list.  A child that dies (a crash, the OOM killer,
SIGKILL) is started again, with a growing delay if it keeps dying at once; its jobs are
recovered like those of any dead process.  Signals sent to the supervisor are passed
on: TERM/INT stop every child gracefully, TSTP quiets them, TTIN makes them dump their
threads.

The supervisor forks before it starts any thread or opens any connection, which keeps
``fork()`` safe.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger("robin")

FORWARDED = {signal.SIGTERM, signal.SIGINT, signal.SIGTSTP, signal.SIGTTIN}
FAST_CRASH = 5.0  # a child that dies sooner than this after its start is restarted with backoff


class Supervisor:
    def __init__(self, processes: int, child_main: Callable[[int], int]) -> None:
        self.processes = processes
        self.child_main = child_main
        self.children: dict[int, tuple[int, float]] = {}  # pid -> (index, started at)
        self.stopping = False
        self._delays: dict[int, float] = {}

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._on_stop)
        signal.signal(signal.SIGINT, self._on_interrupt)
        signal.signal(signal.SIGTSTP, lambda *_: self._forward(signal.SIGTSTP))
        signal.signal(signal.SIGTTIN, lambda *_: self._forward(signal.SIGTTIN))
        log.info("supervisor pid=%d starting %d worker processes", os.getpid(), self.processes)
        for index in range(self.processes):
            self._spawn(index)
        failed = False
        while self.children:
            try:
                pid, status = os.waitpid(-1, 0)
            except ChildProcessError:
                break
            index, started = self.children.pop(pid, (-1, 0.0))
            if index < 0:
                continue
            clean = os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
            failed = failed or not clean
            if self.stopping:
                continue
            if clean:  # stopped on purpose (e.g. `robin stop IDENTITY`): not a crash
                log.info("worker process %d (pid %d) stopped; not starting it again", index, pid)
                continue
            self._restart(index, pid, status, time.monotonic() - started)
        log.info("supervisor: every worker process has exited")
        return 1 if failed and not self.stopping else 0

    def _spawn(self, index: int) -> None:
        # Signals stay blocked from before the fork until the child is registered (parent)
        # or has dropped the supervisor's handlers (child): a TERM landing in between would
        # otherwise miss the new child, or run the supervisor's handler inside it, and the
        # supervisor would wait forever for a child that was never told to stop.
        signal.pthread_sigmask(signal.SIG_BLOCK, FORWARDED)
        try:
            pid = os.fork()
        except BaseException:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, FORWARDED)
            raise
        if pid == 0:  # the child
            code = 1
            try:
                for sig in FORWARDED:
                    signal.signal(sig, signal.SIG_DFL)
                signal.pthread_sigmask(signal.SIG_UNBLOCK, FORWARDED)
                code = self.child_main(index)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            except BaseException:
                log.exception("worker process %d failed", index)
            finally:
                logging.shutdown()
                os._exit(code)
        self.children[pid] = (index, time.monotonic())
        signal.pthread_sigmask(signal.SIG_UNBLOCK, FORWARDED)  # a pending TERM now reaches this child too
        if self.stopping:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    def _restart(self, index: int, pid: int, status: int, lived: float) -> None:
        how = (f"was killed by signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status)
               else f"exited with code {os.waitstatus_to_exitcode(status)}")
        delay = 0.0
        if lived < FAST_CRASH:
            delay = min(30.0, max(0.5, self._delays.get(index, 0.25) * 2))
        self._delays[index] = delay
        log.warning("worker process %d (pid %d) %s after %.1f s; starting it again%s", index, pid, how, lived,
                    f" in {delay:.1f} s" if delay else "")
        deadline = time.monotonic() + delay
        while time.monotonic() < deadline and not self.stopping:
            time.sleep(0.05)
        if not self.stopping:
            self._spawn(index)

    def _forward(self, sig: int) -> None:
        for pid in list(self.children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)

    def _on_stop(self, *_: Any) -> None:
        self.stopping = True
        self._forward(signal.SIGTERM)

    def _on_interrupt(self, *_: Any) -> None:
        # Ctrl-C in a terminal reaches every process of the group at once, so the children
        # got it already; passing on SIGTERM (not a second SIGINT, which a child would take
        # for "stop now") also covers a `kill -INT` aimed at the supervisor alone.
        self.stopping = True
        self._forward(signal.SIGTERM)
