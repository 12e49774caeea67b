"""A throwaway Redis-protocol server for integration tests: a free 127.0.0.1 port, a
temporary data directory, no persistence, stopped when the tests end.

The binary is found as the embedded server finds its own (:func:`robin.embedded.find_binary`:
``ROBIN_SERVER_BIN``, ``valkey-server``/``redis-server`` on ``PATH``, the ``robin[embedded]``
extra), but this server is private to the tests and never touches the user's embedded one.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Self

from robin.errors import ServerError

if TYPE_CHECKING:
    import redis

START_TIMEOUT = 20.0
PORT_ATTEMPTS = 3  # another process may take the free port between our check and the server's bind


class ServerProcess:
    """One ``valkey-server``/``redis-server`` process; ``start()`` it, ``stop()`` it."""

    def __init__(self, data_dir: Path, binary: str | None = None) -> None:
        self.data_dir = data_dir
        self._binary = binary
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def binary(self) -> str:
        if self._binary is None:
            from robin.embedded import find_binary

            self._binary = find_binary()[0]
        return self._binary

    @property
    def url(self) -> str:
        if not self.port:
            raise ServerError("the test server has not been started: call start() first")
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "server.log"

    def start(self) -> Self:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        for attempt in range(PORT_ATTEMPTS):
            self.port = _free_port()
            if self._launch():
                return self
            in_use = "Address already in use" in self.log()
            if not in_use or attempt == PORT_ATTEMPTS - 1:
                break
        raise ServerError(f"the test server ({self.binary}) exited at start; its log ({self.log_path}) ends "
                          f"with:\n{self.log()[-2000:]}")

    def _launch(self) -> bool:
        command = [
            self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.data_dir),
            "--save", "", "--appendonly", "no",  # test data need not survive the tests
            "--daemonize", "no", "--logfile", str(self.log_path),
        ]
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.process = None
                return False
            if _ping(self.port):
                return True
            time.sleep(0.01)
        self.kill()
        raise ServerError(f"the test server ({self.binary}) did not answer on port {self.port} within "
                          f"{START_TIMEOUT:g} s; its log ({self.log_path}) ends with:\n{self.log()[-2000:]}")

    def client(self) -> redis.Redis:
        """A new redis-py client of this server (close it when done)."""
        import redis

        return redis.Redis.from_url(self.url, socket_timeout=10)

    def flush(self) -> None:
        """Delete every key: the next test starts with an empty server."""
        with self.client() as conn:
            conn.flushall()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server (TERM; KILL if it has not exited within ``timeout`` seconds)."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def kill(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = f"at {self.url}" if self.process is not None else "stopped"
        return f"<robin.testing.ServerProcess {state}>"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ping(port: int) -> bool:
    """True once the server answers PING (not merely accepts connections while loading)."""
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1.0) as sock:
        sock.sendall(b"*1\r\n$4\r\nPING\r\n")
        return sock.recv(64).startswith(b"+PONG")
    return False
