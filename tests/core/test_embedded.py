"""The embedded default server: started on first use, shared, persistent, stoppable."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

import robin
from robin import config, embedded
from tests.apps import jobs
from tests.conftest import wait_until
from tests.support.worker import ROOT, Worker, subprocess_env

pytestmark = pytest.mark.slow


@pytest.fixture
def home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No server URL anywhere; a private data directory; the server stopped afterwards."""
    data = tmp_path_factory.mktemp("robin-home")
    monkeypatch.setenv("ROBIN_DATA_DIR", str(data))
    monkeypatch.delenv("ROBIN_REDIS_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    config.reset()
    jobs._conn = None
    yield data
    config.reset()
    jobs._conn = None
    embedded.stop()


def robin_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "robin", *args], capture_output=True, text=True,
                          env=subprocess_env(), cwd=ROOT, timeout=60)


def test_enqueue_starts_the_embedded_server_and_a_worker_shares_it(
    home: Path, workers: Callable[..., Worker]
) -> None:
    assert not embedded.ping()
    jid = jobs.record.enqueue("embedded")
    assert embedded.ping()
    sock = embedded.socket_path()
    assert sock == home / "server" / "redis.sock"
    assert (sock.stat().st_mode & 0o777) == 0o700
    assert (home / "server" / "server.pid").exists()
    worker = workers(env=subprocess_env())
    log = worker.ready().log()
    assert f"using Robin's embedded server at unix://{sock}" in log and "set ROBIN_REDIS_URL" in log
    conn = redis.Redis(unix_socket_path=str(sock))
    wait_until(lambda: conn.llen("test:results") == 1)
    assert json.loads(conn.lindex("test:results", 0))["tag"] == "embedded"
    assert worker.stop() == 0
    assert jid


def test_the_embedded_server_keeps_jobs_across_a_restart(home: Path) -> None:
    jobs.record.enqueue("survives")
    config.reset()
    stopped = robin_cli("server", "stop")
    assert stopped.returncode == 0 and "embedded server stopped" in stopped.stdout
    assert not embedded.ping()
    status = robin_cli("server", "status")
    assert "embedded server: not running" in status.stdout and str(home) in status.stdout
    conn = redis.Redis(unix_socket_path=str(embedded.socket_path())) if embedded.ensure_running() else None
    assert conn is not None
    [payload] = conn.lrange("{robin}:queue:default", 0, -1)
    assert json.loads(payload)["args"] == ["survives"]
    assert any((home / "server").glob("appendonly*")), "the AOF lives in the data directory"


def test_processes_starting_at_once_share_one_server(home: Path) -> None:
    code = "from robin import embedded; print(embedded.ensure_running())"
    starters = [subprocess.Popen([sys.executable, "-c", code], env=subprocess_env(), stdout=subprocess.PIPE,
                                 text=True) for _ in range(4)]
    urls = {p.communicate(timeout=60)[0].strip() for p in starters}
    assert urls == {f"unix://{embedded.socket_path()}"}
    pid = embedded.pid()
    assert pid is not None
    os.kill(pid, 0)
    # the server changes its directory to its data directory: count the processes there
    servers = [p for p in Path("/proc").iterdir() if p.name.isdigit() and _cwd(p) == embedded.server_dir()]
    assert [int(p.name) for p in servers] == [pid]


def _cwd(proc: Path) -> Path | None:
    try:
        return Path(os.readlink(proc / "cwd"))
    except OSError:
        return None


def test_a_long_data_directory_puts_the_socket_in_tmp(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ROBIN_DATA_DIR", str(tmp_path / ("x" * 120)))
    assert str(embedded.socket_path()).startswith("/tmp/robin-")


def test_no_binary_gives_the_fix(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROBIN_SERVER_BIN", str(home / "missing-server"))
    with pytest.raises(robin.ServerNotFoundError, match=r"ROBIN_SERVER_BIN=.* is not an executable file"):
        jobs.record.enqueue("x")
