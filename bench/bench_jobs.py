"""The benchmark's jobs: one INCR each, on a plain socket (no redis-py), as ../shared/bench does."""

from __future__ import annotations

import os
import socket
import threading
import time
from urllib.parse import urlsplit

import robin

_local = threading.local()


def _send(*commands: tuple[object, ...]) -> None:
    sock = getattr(_local, "sock", None)
    if sock is None or getattr(_local, "pid", None) != os.getpid():
        url = urlsplit(os.environ["BENCH_REDIS_URL"])
        sock = socket.create_connection((url.hostname or "127.0.0.1", url.port or 6379))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        _local.sock, _local.pid = sock, os.getpid()
    out = b""
    for command in commands:
        parts = [str(c).encode() for c in command]
        out += b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts)
    sock.sendall(out)
    pending = len(commands)
    buffer = b""
    while pending:
        buffer += sock.recv(65536)
        pending = len(commands) - buffer.count(b"\r\n")


@robin.job
def incr(i: int) -> None:
    _send(("INCR", "bench:done"))


@robin.job
def latency(i: int) -> None:
    _send(("HSET", "bench:start", i, repr(time.time())), ("INCR", "bench:done"))
