"""The launcher: one worker process from start to exit.

Start: connect and check the server, register the process (first heartbeat) before
fetching anything, fire ``startup``, start the manager, heartbeat and poller threads.
Then wait for commands, from signals or from Redis (``robin quiet|stop IDENTITY``):

    TERM, INT   graceful stop: quiet, let running jobs finish for up to --timeout,
                hand back the unfinished ones, settle everything, fire ``shutdown``
    INT twice   the same, without waiting for running jobs
    TSTP        quiet: stop fetching, hand back the jobs fetched ahead, keep running
    TTIN        log the stack of every thread (to see what a stuck worker is doing)

Signal handlers only write one byte to a pipe; the main thread reads the pipe and acts,
so no lock is ever taken inside a signal handler.
"""

from __future__ import annotations

import logging
import os
import queue
import select
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

import redis

from robin import events, plugins, scripts
from robin._version import __version__
from robin.job import registry
from robin.keys import Keys
from robin.metrics import MetricsBuffer
from robin.server import AUTH_ERRORS, CONNECTION_ERRORS, Target, check_server, connect, rejected
from robin.worker.asyncrunner import AsyncRunner
from robin.worker.fetch import ReliableFetch
from robin.worker.heartbeat import Heartbeat
from robin.worker.manager import ConnectionWatch, Manager, describe_jobs
from robin.worker.processor import Processor
from robin.worker.recovery import Recovery
from robin.worker.scheduler import Poller
from robin.worker.settings import WorkerSettings

log = logging.getLogger("robin")

STOP, QUIET, DUMP, HARD_STOP = b"S", b"Q", b"D", b"H"
EXIT_FAILED = 70  # EX_SOFTWARE: a worker thread died; a supervisor starts a new process


class Launcher:
    def __init__(self, settings: WorkerSettings, target: Target, namespace: str = "robin") -> None:
        self.settings = settings
        self.target = target
        self.keys = Keys(namespace)
        if not settings.identity:
            settings.new_identity()
        self.identity = settings.identity
        self.conn: redis.Redis = connect(target)
        # The heartbeat's own connection, with a timeout short enough that a hung
        # command can never outlast the lease.
        self.heartbeat_conn: redis.Redis = connect(
            target, socket_timeout=max(1.0, min(settings.heartbeat_interval, settings.lease_ttl / 4)))
        self.stop_event = threading.Event()
        self._beat_now = threading.Event()  # set to heartbeat (and read remote commands) at once
        self.watch = ConnectionWatch(target.masked, self.stop_event)
        self.async_runner = AsyncRunner()
        self.fetch = ReliableFetch(self.conn, self.keys, settings)
        self.metrics = MetricsBuffer()
        self.processor = Processor(self.identity, self.async_runner.run_job, self._mark_started,
                                   stopping=lambda: self.manager.stopped, metrics=self.metrics)
        self.recovery = Recovery(self.conn, self.keys, settings)
        self.poller = Poller(self.conn, self.keys, settings, self.recovery,
                             on_new_queues=self._add_queues if settings.follow_new_queues else None)
        self.manager = Manager(settings, self.fetch, self.processor.process, self.watch,
                               renew_lease=self._beat, on_fatal=self._fatal, on_due=self.poller.hint,
                               on_wake=self._beat_now.set, metrics=self.metrics)
        self.heartbeat = Heartbeat(self.heartbeat_conn, self.keys, settings, snapshot=self.manager.snapshot,
                                   is_quiet=lambda: self.manager.quieted, started_at=time.time(),
                                   on_lease_lost=self.manager.lease_lapsed)
        self._beat_lock = threading.Lock()
        self._events: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._pipe_r, self._pipe_w = os.pipe()
        self._interrupts = 0
        self._hurried = False
        self._failed = False  # a worker thread died: exit non-zero so a supervisor restarts us
        self._started = threading.Event()  # startup handlers are done
        self._heartbeat_errors = 0

    # -- running -----------------------------------------------------------------------
    def run(self) -> int:
        """Run until stopped; return the process exit code."""
        self._install_signal_handlers()
        server = self._connect()
        if server is None:
            log.info("stopped while waiting for the server")
            return 0
        self._announce(server)
        if not self._register():  # registered before the first fetch: recovery can always find our jobs
            return 0
        self._thread(self._heartbeat_loop, "heartbeat")  # before startup handlers, however long they take
        self._thread(self._event_loop, "events")
        events.fire("startup", self.identity, run_async=self.async_runner.run)
        self._started.set()
        early = self._pending_command()
        if early in (STOP, HARD_STOP):  # stopped while startup handlers ran: nothing was fetched
            self._shutdown(0.0, True)
            return 0
        if early is not None:
            self._send(early)
        log.info("ready: waiting for jobs (TERM or Ctrl-C stops, TSTP quiets, TTIN dumps threads)")
        self.manager.start()
        self._thread(lambda: self.poller.run(self.stop_event), "poller")
        hard = self._wait_for_stop()
        self._shutdown(0.0 if hard else self.settings.shutdown_timeout, hard)
        return EXIT_FAILED if self._failed else 0

    def _fatal(self) -> None:
        self._failed = True
        self._send(STOP)

    def _register(self) -> bool:
        """The first heartbeat, retried until it succeeds; False if stopped meanwhile."""
        delay = 0.1
        while True:
            try:
                self._beat()
                return True
            except Exception as exc:
                log.warning("could not register this process (%s: %s); retrying", type(exc).__name__, exc)
            if self._pending_command(timeout=delay) in (STOP, HARD_STOP):
                return False
            delay = min(delay * 2, 5.0)

    def _connect(self) -> str | None:
        """Check the server, waiting for it if it is not up yet; None if stopped meanwhile."""
        waiting_since = None
        delay = 0.1
        while True:
            try:
                server = check_server(self.conn, self.target)
                scripts.load_all(self.conn)
                if waiting_since is not None:
                    log.info("the server at %s is up", self.target.masked)
                return server
            except AUTH_ERRORS as exc:
                raise rejected(self.target, exc, "start the worker") from None
            except CONNECTION_ERRORS as exc:
                if waiting_since is None:
                    waiting_since = time.monotonic()
                    log.warning("waiting for the server at %s (%s: %s); %s", self.target.masked,
                                type(exc).__name__, exc, self.target.how_to_fix())
                if self._pending_command(timeout=delay) in (STOP, HARD_STOP):
                    return None
                delay = min(delay * 2, 5.0)

    def _announce(self, server: str) -> None:
        s = self.settings
        order = "strict order" if s.strict else "weighted random order"
        queues = ", ".join(f"{name}({weight})" for name, weight in s.queues)
        follow = " (and any new queue)" if s.follow_new_queues else ""
        log.info("Robin %s worker %s: queues %s%s in %s, concurrency %d, server %s at %s, namespace %s",
                 __version__, self.identity, queues, follow, order, s.concurrency, server, self.target.masked,
                 self.keys.namespace)
        for loaded in plugins.loaded():
            status = ""
            if loaded.plugin.status is not None:
                try:
                    status = ": " + loaded.plugin.status()
                except Exception as exc:  # a plug-in's status line must never stop a worker
                    status = f": status unavailable ({exc})"
            log.info("plug-in %s loaded%s", loaded.describe(), status)
        names = sorted(registry())
        shown = ", ".join(names[:20]) + (f" and {len(names) - 20} more" if len(names) > 20 else "")
        log.info("%d registered jobs: %s", len(names), shown)
        if not s.follow_new_queues:
            self._mention_unserved_queues()

    def _mention_unserved_queues(self) -> None:
        try:
            unserved = sorted(self.fetch.known_queues() - set(self.settings.queue_names))
            waiting = [(q, int(self.conn.llen(self.keys.queue(q)))) for q in unserved]
        except CONNECTION_ERRORS:
            return
        waiting = [(q, n) for q, n in waiting if n]
        if waiting:
            log.info("not working on %s (given -q leaves them out)",
                     ", ".join(f"queue {q} with {n} waiting jobs" for q, n in waiting))

    def _add_queues(self, new: set[str]) -> None:
        queues = self.fetch.queues + [(name, 1) for name in sorted(new)]
        log.info("now also working on %s, which appeared after start", ", ".join(sorted(new)))
        self.fetch.set_queues(queues)

    def _beat(self) -> None:
        with self._beat_lock:
            if self.stop_event.is_set():
                return  # unregistered (or about to be): a late beat must not list us again
            commands = self.heartbeat.beat()
        for command in commands:
            self._command(command)

    def _heartbeat_loop(self) -> None:
        interval = self.settings.heartbeat_interval
        wait = interval
        while not self.stop_event.is_set():
            self._beat_now.wait(wait)
            self._beat_now.clear()
            if self.stop_event.is_set():
                return
            try:
                self._beat()
                wait = interval
            except Exception as exc:
                wait = min(0.5, interval)  # renew soon: the lease must not lapse over one failed beat
                self._heartbeat_errors += 1
                if not isinstance(exc, CONNECTION_ERRORS) and self._heartbeat_errors in (1, 10, 100, 1000):
                    log.warning("heartbeat failed (%s: %s); retrying (%d failures in a row)", type(exc).__name__,
                                exc, self._heartbeat_errors)
                continue
            self._heartbeat_errors = 0
            self._events.put("heartbeat")

    def _event_loop(self) -> None:
        """Runs heartbeat handlers away from the heartbeat, so slow handlers never delay the lease."""
        self._started.wait()  # heartbeat handlers may use what startup handlers open
        while not self.stop_event.is_set():
            name = self._events.get()
            while not self._events.empty():  # handlers that fell behind run once, not once per beat
                name = self._events.get()
            if name == "heartbeat":
                events.fire("heartbeat", self.identity, run_async=self.async_runner.run)

    def _thread(self, target: Callable[[], Any], name: str) -> None:
        threading.Thread(target=target, name=name, daemon=True).start()

    def _mark_started(self, jid: str) -> None:
        try:
            self.fetch.mark_started(jid)
        except Exception:
            log.debug("could not mark %s as started", jid)

    # -- commands: signals and remote ----------------------------------------------------
    def _install_signal_handlers(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        signal.signal(signal.SIGTERM, lambda *_: self._send(STOP))
        signal.signal(signal.SIGINT, self._on_interrupt)
        signal.signal(signal.SIGTSTP, lambda *_: self._send(QUIET))
        signal.signal(signal.SIGTTIN, lambda *_: self._send(DUMP))

    def _on_interrupt(self, *_: Any) -> None:
        self._interrupts += 1
        self._send(STOP if self._interrupts == 1 else HARD_STOP)

    def _send(self, command: bytes) -> None:
        os.write(self._pipe_w, command)

    def _command(self, remote: str) -> None:
        known = {"quiet": QUIET, "stop": STOP, "dump": DUMP}
        if remote in known:
            log.info("received remote command %r", remote)
            self._send(known[remote])
        else:
            log.warning("ignoring unknown remote command %r", remote)

    def _pending_command(self, timeout: float = 0.0) -> bytes | None:
        ready, _, _ = select.select([self._pipe_r], [], [], timeout)
        if not ready:
            return None
        data = os.read(self._pipe_r, 64)
        for command in (HARD_STOP, STOP, QUIET, DUMP):
            if command in data:
                return command
        return None

    def _wait_for_stop(self) -> bool:
        """Act on commands until a stop; return True for a hard stop."""
        while True:
            command = self._pending_command(timeout=1.0)
            if command == QUIET:
                self._quiet()
            elif command == DUMP:
                dump_threads()
            elif command in (STOP, HARD_STOP):
                return command == HARD_STOP

    def _hurry(self) -> bool:
        """While shutting down: True once a second interrupt asks to stop now."""
        command = self._pending_command()
        if command == DUMP:
            dump_threads()
        if command == HARD_STOP:
            self._hurried = True
            return True
        return False

    def _quiet(self) -> None:
        if not self.manager.quieted:
            log.info("quiet: no new jobs will be fetched; running jobs finish")
            self.manager.quiet()
            events.fire("quiet", self.identity, run_async=self.async_runner.run)

    def _shutdown(self, timeout: float, hard: bool) -> None:
        self._quiet()
        busy, _ = self.manager.snapshot()
        if busy and not hard:
            log.info("shutting down: waiting up to %g s for %s", timeout, describe_jobs(busy))
        handed_back = self.manager.stop(timeout, hurry=self._hurry)  # the heartbeat keeps the lease meanwhile
        if handed_back:
            jobs = describe_jobs(handed_back)
            back = "it goes back to its queue" if handed_back == 1 else "they go back to their queues"
            if hard or self._hurried:
                log.warning("stopping at once: %s %s and will run again", jobs, back.split(" ", 1)[1])
            else:
                log.warning("%s did not finish within the %g s shutdown timeout: %s and will run again",
                            jobs, timeout, back)
            cancelled = self.async_runner.cancel_jobs()
            if cancelled:
                log.info("cancelled %d async jobs so that their cleanup code runs", cancelled)
        with self._beat_lock:  # no heartbeat between here and the unregistering below
            self.stop_event.set()
        self._beat_now.set()
        self.poller.wake()
        events.fire("shutdown", self.identity, run_async=self.async_runner.run)
        try:
            scripts.unregister(self.conn, self.keys, self.identity, only_if_dead=False)
        except Exception as exc:
            log.warning("could not unregister this process (%s); its lease expires on its own", exc)
        self.async_runner.close()
        log.info("stopped")


def dump_threads() -> None:
    """Log every thread's current stack (TTIN)."""
    frames = sys._current_frames()
    names = {t.ident: t.name for t in threading.enumerate()}
    for ident, frame in frames.items():
        stack = "".join(traceback.format_stack(frame))
        log.warning("thread %s (%s):\n%s", names.get(ident, "?"), ident, stack.rstrip())
