"""Test fixtures: one real server per test session (per xdist worker), emptied before each test."""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

import robin
from robin import config, plugins
from tests.support.server import RedisServer, default_binary
from tests.support.worker import Worker

RESULTS = "test:results"


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    instance = RedisServer(default_binary(), tmp_path_factory.mktemp("server"))
    instance.start()
    yield instance
    instance.stop()


@pytest.fixture
def r(server: RedisServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[redis.Redis]:
    """A client of the session's server, which is empty at the start of every test.

    Also points Robin (in this process, and in the workers the test starts) at it.
    """
    if server.process is None or server.process.poll() is not None:
        server.start()  # a test that stopped it failed before starting it again
    conn = server.client()
    conn.flushall()
    monkeypatch.setenv("ROBIN_REDIS_URL", server.url)
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("ROBIN_NAMESPACE", raising=False)
    config.reset()
    robin.configure(redis_url=server.url)
    yield conn
    config.reset()
    conn.close()


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Callable[..., Worker]]:
    """Start worker processes; every one still running at the end is killed."""
    started: list[Worker] = []

    def start(*args: str, **kwargs: Any) -> Worker:
        worker = Worker(tmp_path / f"worker-{len(started) + 1}.log", *args, **kwargs)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.kill()


@pytest.fixture
def unlicensed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No license anywhere (for the paid packages' gates)."""
    from robin_licensing import gate

    for variable in ("ROBIN_LICENSE", "ROBIN_LICENSE_FILE", "ROBIN_LICENSE_MODE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setattr("robin_licensing.store.SYSTEM_FILE", tmp_path / "no-system-license")
    gate.refresh()
    yield
    gate.refresh()


@pytest.fixture(scope="session", autouse=True)
def _no_embedded_server_left_behind() -> Iterator[None]:
    """A test that reaches the embedded server by accident must not leave a daemon running."""
    yield
    from robin import embedded

    if embedded.ping():
        embedded.stop()


@pytest.fixture
def core_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """As if only core were installed: no plug-in loads, and what plug-ins registered in
    this process (options, middleware, handlers, queue control, filters) is set aside."""
    from robin import events, middleware, options, queue_control

    monkeypatch.setenv("ROBIN_DISABLE_PLUGINS", "1")
    plugins.reset_for_tests()
    saved = (dict(options._declared), middleware.client_middleware._entries, middleware.server_middleware._entries,
             events._error_handlers, events._death_handlers, queue_control._control, queue_control._filters)
    options._declared.clear()
    middleware.client_middleware.clear()
    middleware.server_middleware.clear()
    events._error_handlers = events._death_handlers = ()
    queue_control._control, queue_control._filters = None, ()
    yield
    options._declared.update(saved[0])
    middleware.client_middleware._entries, middleware.server_middleware._entries = saved[1], saved[2]
    events._error_handlers, events._death_handlers = saved[3], saved[4]
    queue_control._control, queue_control._filters = saved[5], saved[6]


@pytest.fixture(autouse=True)
def _fresh_plugins() -> Iterator[None]:
    yield
    plugins.reset_for_tests()


def results(conn: redis.Redis) -> list[dict[str, Any]]:
    return [json.loads(item) for item in conn.lrange(RESULTS, 0, -1)]


def wait_until(predicate: Callable[[], Any], timeout: float = 15.0, message: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(message or f"condition not met within {timeout} s")


def tags(conn: redis.Redis, **match: Any) -> list[str]:
    return [e["tag"] for e in results(conn) if all(e.get(k) == v for k, v in match.items())]


# No test may start (or stop) the embedded server of the person running the tests.
os.environ.setdefault("ROBIN_DATA_DIR", tempfile.mkdtemp(prefix="robin-test-data-"))
