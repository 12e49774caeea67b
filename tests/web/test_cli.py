"""``robin web``: serves the dashboard, with a password or read-only; errors are one clear line."""

from __future__ import annotations

import base64
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
import redis

from tests.conftest import wait_until
from tests.support.server import free_port
from tests.support.worker import ROOT, subprocess_env


@pytest.fixture
def robin_web() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        process.kill()
        process.wait(10)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def start(started: list[subprocess.Popen[str]], *args: str, **env: str) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "robin", "web", "--port", str(port), *args], cwd=ROOT,
                               env=subprocess_env(**env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    started.append(process)
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: _listening(port) or process.poll() is not None, timeout=20)
    return process, url


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def fetch(url: str, password: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url)
    if password is not None:
        request.add_header("Authorization", "Basic " + base64.b64encode(f"me:{password}".encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_robin_web_serves_the_dashboard_on_loopback(r: redis.Redis, robin_web: list[subprocess.Popen[str]]) -> None:
    process, url = start(robin_web)
    status, html = fetch(url + "/queues")
    assert status == 200 and '<a href="/queues" aria-current="page">' in html
    process.terminate()
    out, _ = process.communicate(timeout=10)
    assert f"robin web: the dashboard is at {url}/ (read-write); Ctrl-C stops it" in out


def test_robin_web_password_from_the_environment(r: redis.Redis, robin_web: list[subprocess.Popen[str]]) -> None:
    _, url = start(robin_web, ROBIN_WEB_PASSWORD="hunter2")
    assert fetch(url + "/")[0] == 401
    assert fetch(url + "/", "hunter2")[0] == 200


def test_robin_web_read_only_shows_no_buttons(r: redis.Redis, robin_web: list[subprocess.Popen[str]]) -> None:
    _, url = start(robin_web, "--read-only", "--password", "pw")
    status, html = fetch(url + "/dead", "pw")
    assert status == 200 and "read-only" in html and 'name="action"' not in html


def test_a_port_in_use_is_one_clear_line(r: redis.Redis) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "robin", "web", "--port", str(port)], cwd=ROOT,
                              env=subprocess_env(), capture_output=True, text=True, timeout=30)
    assert done.returncode == 1
    assert done.stderr.strip() == (f"robin: error: cannot serve the dashboard on 127.0.0.1:{port}: the port is in "
                                   f"use (another robin web?); choose another with --port")


def fetch_as(port: int, host_header: str, family: int = socket.AF_INET) -> int:
    import http.client

    address = "::1" if family == socket.AF_INET6 else "127.0.0.1"
    conn = http.client.HTTPConnection(address, port, timeout=10)
    conn.putrequest("GET", "/", skip_host=True)
    conn.putheader("Host", host_header)
    conn.endheaders()
    status = conn.getresponse().status
    conn.close()
    return status


def test_robin_web_answers_only_local_and_allowed_hosts(r: redis.Redis, robin_web: list[subprocess.Popen[str]]) -> None:
    _, url = start(robin_web, "--allowed-host", "robin.example", "--allowed-host", "proxy.example:8443")
    port = int(url.rsplit(":", 1)[1])
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", "[::1]:1", "robin.example", "proxy.example:8443"):
        assert fetch_as(port, host) == 200, host
    for host in ("evil.example", f"evil.example:{port}", "proxy.example:80"):
        assert fetch_as(port, host) == 421, host


def test_robin_web_on_every_interface_prints_a_usable_url(r: redis.Redis,
                                                          robin_web: list[subprocess.Popen[str]]) -> None:
    process, url = start(robin_web, "--host", "0.0.0.0", "--read-only")
    port = int(url.rsplit(":", 1)[1])
    assert fetch_as(port, f"127.0.0.1:{port}") == 200 and fetch_as(port, "evil.example") == 421
    process.terminate()
    out, err = process.communicate(timeout=10)
    assert f"the dashboard is at http://127.0.0.1:{port}/ (read-only)" in out
    assert "can read the arguments of every job" in err and "ROBIN_WEB_PASSWORD" in err
    assert "retry and delete" not in err and "--allowed-host" in err


def test_robin_web_listens_on_ipv6(r: redis.Redis, robin_web: list[subprocess.Popen[str]]) -> None:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "robin", "web", "--port", str(port), "--host", "::1"],
                               cwd=ROOT, env=subprocess_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    robin_web.append(process)

    def listening() -> bool:
        with socket.socket(socket.AF_INET6) as sock:
            return sock.connect_ex(("::1", port)) == 0

    wait_until(lambda: listening() or process.poll() is not None, timeout=20)
    assert fetch_as(port, f"[::1]:{port}", socket.AF_INET6) == 200
    process.terminate()
    out, _ = process.communicate(timeout=10)
    assert f"the dashboard is at http://[::1]:{port}/" in out
