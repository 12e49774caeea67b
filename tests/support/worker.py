"""Real ``robin worker`` processes for the tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Short intervals so that recovery and polling happen within a test's patience.
FAST = ["--poll-interval", "0.1", "--heartbeat-interval", "0.2", "--lease-ttl", "1.5",
        "--recovery-interval", "0.2"]


def subprocess_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    env.update(extra)
    return env


class Worker:
    """One ``robin worker`` (or supervisor) process with its log in a file."""

    def __init__(self, log_path: Path, *args: str, app: str = "tests.apps.jobs", fast: bool = True,
                 env: dict[str, str] | None = None, python: str = sys.executable, cwd: Path = ROOT) -> None:
        self.log_path = log_path
        command = [python, "-m", "robin", "worker"]
        if app:
            command += ["-r", app]
        command += [*(FAST if fast else []), *args]
        self.command = command
        with open(log_path, "ab") as log:
            self.process = subprocess.Popen(command, cwd=cwd, env=env or subprocess_env(),
                                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for(self, text: str, timeout: float = 20.0, count: int = 1) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            log = self.log()
            if log.count(text) >= count:
                return log
            if self.process.poll() is not None:
                break
            time.sleep(0.02)
        raise AssertionError(f"{text!r} (x{count}) not seen in the worker log within {timeout} s "
                             f"(exit code {self.process.poll()}):\n{self.log()[-4000:]}")

    def ready(self, count: int = 1) -> Worker:
        self.wait_for("ready: waiting for jobs", count=count)
        return self

    def signal(self, sig: int) -> None:
        self.process.send_signal(sig)

    def stop(self, timeout: float = 30.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.wait(timeout)

    def wait(self, timeout: float = 30.0) -> int:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the worker did not exit within {timeout} s:\n{self.log()[-4000:]}") from None

    def kill(self) -> None:
        """SIGKILL the whole process group (the worker and any children)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
