"""A real ``robin worker`` process for integration tests, and waiting for it to be done.

The worker is ``python -m robin worker -r <modules>`` with the test process' interpreter,
pointed at the test server (``ROBIN_REDIS_URL``) and namespace (``ROBIN_NAMESPACE``), able
to import whatever the test process can (``PYTHONPATH``), its output in a log file.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from robin.errors import ConfigurationError, RobinError
from robin.keys import Keys

if TYPE_CHECKING:
    import redis

READY = "ready: waiting for jobs"  # what the launcher logs once it fetches (worker/launcher.py)
POLL_INTERVAL = 0.2  # scheduled jobs reach their queue within a test's patience (default 5 s)


class WorkerError(RobinError):
    """A test's worker did not start, exited early, or did not finish its jobs in time."""


class StartWorker(Protocol):
    """The ``robin_worker`` fixture: starts a worker and returns it once it is ready."""

    def __call__(self, *modules: str, queues: Sequence[str] = (), concurrency: int | None = None,
                 processes: int | None = None, args: Sequence[str] = (), env: Mapping[str, str] | None = None,
                 ready: bool = True) -> WorkerProcess: ...


class WorkerProcess:
    """One ``robin worker`` process (or supervisor, with ``processes``)."""

    def __init__(self, modules: Sequence[str], *, url: str, namespace: str, log_path: Path,
                 queues: Sequence[str] = (), concurrency: int | None = None, processes: int | None = None,
                 args: Sequence[str] = (), env: Mapping[str, str] | None = None, cwd: Path | None = None) -> None:
        if not modules:
            raise ConfigurationError("a worker needs at least one module that defines jobs (its -r)")
        self.url = url
        self.keys = Keys(namespace)
        self.log_path = log_path
        self.processes = processes or 1
        command = [sys.executable, "-m", "robin", "worker", "--poll-interval", str(POLL_INTERVAL)]
        for module in modules:
            command += ["-r", module]
        for queue in queues:
            command += ["-q", queue]
        if concurrency is not None:
            command += ["-c", str(concurrency)]
        if processes is not None:
            command += ["-p", str(processes)]
        self.command = [*command, *args]
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(log_path, "ab") as log:
            # A session of its own: stop() and kill() reach the supervisor's children too.
            self.process = subprocess.Popen(self.command, cwd=cwd, env=_environment(url, namespace, env),
                                            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def wait_until_ready(self, timeout: float = 30.0) -> WorkerProcess:
        """Wait until every process of this worker fetches jobs; raise if it exits first."""
        deadline = time.monotonic() + timeout
        while self.log().count(READY) < self.processes:
            self._check_alive("while starting")
            if time.monotonic() > deadline:
                raise WorkerError(f"the worker did not become ready within {timeout:g} s; "
                                  f"{self._log_tail()}")
            time.sleep(0.02)
        return self

    def wait_until_idle(self, timeout: float = 30.0, scheduled: bool = False) -> WorkerProcess:
        """Wait until no job is waiting in a queue or running, nor scheduled and due (nor
        scheduled at all, with ``scheduled=True``).  Jobs that failed and wait in the
        retry set do not count.  Raises if the worker exits or ``timeout`` passes first."""
        import redis

        deadline = time.monotonic() + timeout
        with redis.Redis.from_url(self.url, socket_timeout=10) as conn:
            while (left := pending(conn, self.keys, scheduled)) > 0:
                self._check_alive(f"with {left} jobs left")
                if time.monotonic() > deadline:
                    raise WorkerError(f"{left} jobs were still queued, running or due after {timeout:g} s; "
                                      f"{self._log_tail()}")
                time.sleep(0.02)
        return self

    def stop(self, timeout: float = 30.0) -> int:
        """Stop gracefully (TERM, as a deploy would); KILL after ``timeout`` seconds.  Returns
        the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.process.wait()

    def kill(self) -> None:
        """KILL the worker and any process it started, at once."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def _check_alive(self, doing: str) -> None:
        code = self.process.poll()
        if code is not None:
            raise WorkerError(f"the worker exited (code {code}) {doing}; {self._log_tail()}")

    def _log_tail(self) -> str:
        return f"its log ({self.log_path}) ends with:\n{self.log()[-3000:]}"

    def __repr__(self) -> str:
        state = "running" if self.process.poll() is None else f"exited ({self.process.returncode})"
        return f"<robin.testing.WorkerProcess pid={self.pid} {state}>"


def pending(conn: redis.Redis, keys: Keys, scheduled: bool = False) -> int:
    """Jobs queued, in flight (fetched and not settled) and scheduled-and-due, counted in one
    atomic snapshot.

    Read in one transaction because jobs move: a running job pushes the jobs it enqueues
    before it is settled, so a snapshot can never see it gone and its children not yet there.
    """
    while True:
        queues = sorted(m.decode() for m in conn.smembers(keys.queues))
        identities = sorted(m.decode() for m in conn.zrange(keys.processes, 0, -1))
        pipe = conn.pipeline(transaction=True)
        pipe.smembers(keys.queues)
        pipe.zrange(keys.processes, 0, -1)
        for queue in queues:
            pipe.llen(keys.queue(queue))
        for identity in identities:
            pipe.llen(keys.inflight(identity))
        pipe.zcount(keys.schedule, "-inf", "+inf" if scheduled else time.time())
        queues_now, identities_now, *counts = pipe.execute()
        if sorted(m.decode() for m in queues_now) == queues and \
                sorted(m.decode() for m in identities_now) == identities:
            return int(sum(counts))
        # A queue or a process appeared between the two reads: count again.


def _environment(url: str, namespace: str, extra: Mapping[str, str] | None) -> dict[str, str]:
    env = dict(os.environ)
    env["ROBIN_REDIS_URL"] = url
    env["ROBIN_NAMESPACE"] = namespace
    env["PYTHONUNBUFFERED"] = "1"  # the log file shows a job's print() as it happens
    env["PYTHONPATH"] = os.pathsep.join([*_importable_paths(), *filter(None, [env.get("PYTHONPATH")])])
    env.update(extra or {})
    return env


def _importable_paths() -> list[str]:
    """The folders the test process imports from that a fresh interpreter would not search:
    the project's, added by pytest (rootdir, ``pythonpath``) or the current directory."""
    own = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    found: list[str] = []
    for entry in sys.path:
        folder = os.path.abspath(entry or os.curdir)
        if not os.path.isdir(folder) or folder in found:
            continue
        if any(folder == prefix or folder.startswith(prefix + os.sep) for prefix in own):
            continue  # the interpreter's own library and site-packages: the worker has them
        found.append(folder)
    return found
