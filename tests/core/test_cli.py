"""The worker command as a user meets it: flags, mistakes, module paths, queues, logs."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from tests.apps import jobs
from tests.conftest import tags, wait_until
from tests.support.server import RedisServer
from tests.support.worker import ROOT, Worker, subprocess_env

NS = "{robin}:"


def robin_cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "robin", *args], capture_output=True, text=True,
                          env=subprocess_env(**env), cwd=ROOT, timeout=60)


def test_help_lists_flags_plainly() -> None:
    done = robin_cli("worker", "--help")
    assert done.returncode == 0
    assert "--strict " in done.stdout and "<bool>" not in done.stdout
    assert "-c, --concurrency N" in done.stdout and "--max-recoveries N" in done.stdout


def test_an_invalid_log_level_is_refused(r: redis.Redis) -> None:
    done = robin_cli("worker", "-r", "tests.apps.jobs", "--log-level", "verbose")
    assert done.returncode == 2 and "'verbose' is not one of 'debug', 'info', 'warning', 'error'" in done.stderr


def test_a_module_without_jobs_is_named(r: redis.Redis) -> None:
    done = robin_cli("worker", "-r", "tests.support.server")
    assert done.returncode == 1
    assert "robin: error: tests.support.server defines no @robin.job functions" in done.stderr


def test_a_bad_option_in_a_module_says_where(r: redis.Redis, tmp_path: Path) -> None:
    (tmp_path / "badopts.py").write_text("import robin\n\n@robin.job(colour='red')\ndef paint(): ...\n")
    done = robin_cli("worker", "-r", str(tmp_path / "badopts.py"))
    assert done.returncode == 1
    assert f"-r {tmp_path / 'badopts.py'} (at {tmp_path / 'badopts.py'}:3): unknown job option 'colour'" in done.stderr


def test_a_missing_dependency_of_a_module_gets_the_debug_hint(r: redis.Redis, tmp_path: Path) -> None:
    (tmp_path / "needsdep.py").write_text("import not_installed_dep\n")
    done = robin_cli("worker", "-r", str(tmp_path / "needsdep.py"))
    assert "No module named 'not_installed_dep'" in done.stderr and "robin --debug worker" in done.stderr


def test_a_file_path_inside_a_package_gets_the_package_module_name(
    r: redis.Redis, workers: Callable[..., Worker]
) -> None:
    jid = jobs.record.enqueue("by-path")
    worker = workers(app="tests/apps/jobs.py").ready()
    assert "tests.apps.jobs.record" in worker.log()
    wait_until(lambda: tags(r) == ["by-path"])
    assert jid


def test_a_queue_that_appears_later_is_worked_on(r: redis.Redis, workers: Callable[..., Worker]) -> None:
    worker = workers().ready()
    jobs.record.options(queue="brand-new").enqueue("stranded?")
    wait_until(lambda: tags(r) == ["stranded?"], timeout=10)
    assert "now also working on brand-new" in worker.log()


def test_queues_left_out_by_q_are_mentioned(r: redis.Redis, workers: Callable[..., Worker]) -> None:
    jobs.low.enqueue("waiting")
    worker = workers("-q", "default").ready()
    assert "not working on queue low with 1 waiting jobs (given -q leaves them out)" in worker.log()


def test_failures_are_logged_with_their_traceback(r: redis.Redis, workers: Callable[..., Worker]) -> None:
    jobs.always_fails.options(retry=0).enqueue("traced")
    worker = workers().ready()
    log = worker.wait_for("moved to the dead set")
    assert "Traceback (most recent call last)" in log
    assert 'raise ValueError(f"always fails: {tag}")' in log
    assert "WARNING" in log.split("failed after")[0].splitlines()[-1]


def test_wrong_credentials_stop_the_worker_with_the_reason(server: RedisServer, r: redis.Redis) -> None:
    url = f"redis://robot:wrong-pass@127.0.0.1:{server.port}/0"
    started = time.monotonic()
    done = robin_cli("worker", "-r", "tests.apps.jobs", ROBIN_REDIS_URL=url)
    assert done.returncode == 1 and time.monotonic() - started < 20
    assert "the server rejected the credentials" in done.stderr
    assert "wrong-pass" not in done.stderr + done.stdout and "robot:***@" in done.stderr


def test_wrong_credentials_at_enqueue_are_named(server: RedisServer, r: redis.Redis) -> None:
    import robin

    robin.configure(redis_url=f"redis://robot:wrong-pass@127.0.0.1:{server.port}/0")
    with pytest.raises(robin.ConfigurationError, match="rejected the credentials") as caught:
        jobs.record.enqueue("x")
    assert "wrong-pass" not in str(caught.value)


def test_a_child_stopped_remotely_is_not_restarted(r: redis.Redis, workers: Callable[..., Worker]) -> None:
    supervisor = workers("-p", "2").ready(count=2)
    wait_until(lambda: r.zcard(NS + "processes") == 2)
    for identity in r.zrange(NS + "processes", 0, -1):
        r.lpush(NS + "signals:" + identity.decode(), "stop")
    assert supervisor.wait(20) == 0
    log = supervisor.log()
    assert log.count("stopped; not starting it again") == 2 and "starting it again" not in log.replace(
        "not starting it again", "")


def test_server_status_reports_the_configured_server(server: RedisServer, r: redis.Redis) -> None:
    done = robin_cli("server", "status")
    assert f"Robin uses redis://127.0.0.1:{server.port}/0 (from ROBIN_REDIS_URL)" in done.stdout
    assert "that server: answers:" in done.stdout
    bad = robin_cli("server", "status", ROBIN_REDIS_URL="http://example.invalid/")
    assert "unusable: ROBIN_REDIS_URL=http://example.invalid/: unsupported scheme 'http'" in bad.stdout
