"""The plug-in seams, exercised by a third-party plug-in installed as a real distribution."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

import robin
from robin import options, plugins
from tests.conftest import results, wait_until
from tests.support.worker import ROOT, Worker, subprocess_env

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
NS = "{robin}:"


def install(site: Path, package: str, distribution: str, version: str) -> None:
    """Lay out a distribution exactly as pip installs one: the package and its .dist-info."""
    shutil.copytree(FIXTURES / package, site / package)
    info = site / f"{package}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {distribution}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(f"[robin.plugins]\n{package} = {package}:plugin\n")


@pytest.fixture
def stamp_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    site = tmp_path / "site"
    site.mkdir()
    install(site, "robin_stamp", "robin-stamp", "1.2.0")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("PYTHONPATH", f"{site}:{ROOT}")
    plugins.reset_for_tests()
    yield site
    for chain in (robin.client_middleware, robin.server_middleware):
        chain.clear()
    options.undeclare("stamp")
    for name in [m for m in sys.modules if m.startswith(("robin_stamp", "robin_future", "tests.apps.stamped"))]:
        del sys.modules[name]
    plugins.reset_for_tests()


def stamp_notes(r: redis.Redis) -> list[dict]:
    return [json.loads(x) for x in r.lrange("test:stamp", 0, -1)]


def test_plugin_option_and_client_middleware(r: redis.Redis, stamp_site: Path) -> None:
    from tests.apps.stamped import stamped

    assert stamped.job_options.extra == {"stamp": "GOLD"}  # validated and normalized
    stamped.enqueue("a")
    [payload] = [json.loads(p) for p in r.lrange(NS + "queue:default", 0, -1)]
    assert payload["stamp"] == "GOLD" and payload["stamped_by"] == "client"
    assert stamped.enqueue("block") is None  # client middleware stopped it
    assert stamped.enqueue("reroute") is not None
    assert r.llen(NS + "queue:low") == 1 and r.llen(NS + "queue:default") == 1
    with pytest.raises(robin.ConfigurationError, match="job option stamp=5 is invalid: a stamp is a non-empty"):
        robin.job(stamp=5)(lambda: None)


def test_plugin_middleware_events_and_handlers_in_a_worker(
    r: redis.Redis, stamp_site: Path, workers: Callable[..., Worker]
) -> None:
    from tests.apps.stamped import stamped

    worker = workers(app="tests.apps.stamped").ready()
    log = worker.log()
    assert "plug-in robin-stamp 1.2.0 (Stamp) loaded: stamping everything" in log
    stamped.enqueue("run")
    stamped.enqueue("skip")
    stamped.enqueue("later")
    fail_jid = stamped.options(retry=0).enqueue("fail")
    r.lpush(NS + "queue:default", json.dumps({"jid": "f" * 24, "job": "tests.apps.stamped.stamped",
                                              "queue": "default", "args": ["fail"], "retry": 0}))
    wait_until(lambda: sorted(e["tag"] for e in results(r)) == ["later", "run"] and r.zcard(NS + "dead") == 2,
               timeout=15)
    assert worker.stop() == 0
    notes = stamp_notes(r)
    kinds = [(n["kind"], n.get("tag") or n.get("name")) for n in notes]
    assert ("before", "run") in kinds and ("after", "run") in kinds
    assert ("before", "skip") in kinds and ("after", "skip") not in kinds
    assert not any(e["tag"] == "skip" for e in results(r))  # skipped, acknowledged, never run
    assert kinds.count(("before", "later")) == 2  # rescheduled once, then ran
    before_run = next(n for n in notes if n["kind"] == "before" and n["tag"] == "run")
    assert before_run["stamp"] == "GOLD" and before_run["stamped_by"] == "client"
    assert kinds.count(("saw-exception", "fail")) == 2  # middleware sees the job's exception
    events = [n["name"] for n in notes if n["kind"] == "event"]
    assert events[:2] == ["startup", "async-startup"]
    assert events[-2:] == ["quiet", "shutdown"] and "heartbeat" in events
    deaths = {n["jid"] for n in notes if n["kind"] == "death"}
    assert deaths == {fail_jid, "f" * 24}
    assert len([n for n in notes if n["kind"] == "error"]) == 2
    assert r.get(NS + "stat:failed") == b"2"


def test_plugin_adds_cli_commands(r: redis.Redis, stamp_site: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "robin", "stamp", "hello", "--name", "Ada"],
                          capture_output=True, text=True, env=subprocess_env(), cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "stamp says hello to Ada"


def test_plugin_of_another_major_version_is_refused(
    r: redis.Redis, stamp_site: Path, workers: Callable[..., Worker]
) -> None:
    install(stamp_site, "robin_future", "robin-future", "2.0.0")
    worker = workers()
    assert worker.wait() == 1
    message = ("plug-in robin-future 2.0.0 is built for robin 2.x, but robin 1.0.0 is installed; refusing to "
               "load it: upgrade robin (pip install 'robin>=2,<3') or install robin-future 1.x")
    assert message in worker.log()
    assert "Traceback" not in worker.log()


def test_disabling_plugins_turns_autoloading_off(
    r: redis.Redis, stamp_site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROBIN_DISABLE_PLUGINS", "1")
    assert plugins.load() == []
    with pytest.raises(robin.ConfigurationError, match="unknown job option 'stamp'"):
        robin.job(stamp="x")(lambda: None)
    done = subprocess.run([sys.executable, "-m", "robin", "stamp", "hello"], capture_output=True, text=True,
                          env=subprocess_env(ROBIN_DISABLE_PLUGINS="1"), cwd=ROOT, timeout=60)
    assert done.returncode != 0 and "No such command 'stamp'" in done.stderr


def test_plugins_are_discovered_once_per_process(stamp_site: Path) -> None:
    first = plugins.load()
    stamp = [p for p in first if p.distribution == "robin-stamp"]  # other installed plug-ins may load too
    assert [p.version for p in stamp] == ["1.2.0"]
    started = time.perf_counter()
    assert plugins.load() == first
    assert time.perf_counter() - started < 0.01  # cached: no second scan of sys.path


def test_plugins_are_set_up_by_name_or_after_those_they_name(caplog: pytest.LogCaptureFixture) -> None:
    def found(name: str, after: tuple[str, ...] = ()) -> tuple[robin.Plugin, str, str]:
        return robin.Plugin(name=name, robin_major=1, after=after), name, "1.0"

    def order(*items: tuple[robin.Plugin, str, str]) -> list[str]:
        return [dist for _, dist, _ in plugins._setup_order(list(items))]

    # Whatever order the entry points were found in: by name...
    assert order(found("zeta"), found("alpha"), found("mid")) == ["alpha", "mid", "zeta"]
    # ...except that `after` wins (spelled any way pip accepts), and absent names are ignored.
    assert order(found("a-plus", after=("Robin_Pro", "not-installed")), found("robin-pro")) == ["robin-pro", "a-plus"]
    with caplog.at_level("WARNING", logger="robin"):
        assert order(found("b", after=("c",)), found("c", after=("b",))) == ["b", "c"]
    assert "name each other in `after`" in caplog.text
