"""The operations CLI, run as real commands against a real server."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import redis

from robin.api import DeadSet, Queue
from tests.apps import jobs
from tests.conftest import tags, wait_until
from tests.support.server import free_port
from tests.support.worker import ROOT, Worker, subprocess_env

NS = "{robin}:"


def robin(*args: str, stdin: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "robin", *args], capture_output=True, text=True, input=stdin,
                          env=subprocess_env(COLUMNS="160", **env), cwd=ROOT, timeout=120)


def robin_json(*args: str) -> Any:
    done = robin(*args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def dead_entry(i: int) -> str:
    return json.dumps({"jid": f"{i:024d}", "job": "tests.apps.jobs.record", "queue": "default", "args": [f"d{i}"],
                       "retry": 0, "error_class": "ValueError", "error_message": "boom", "dead_reason": "retries "
                       "exhausted", "enqueued_at": 1.0})


def test_stats_and_queues_as_json_and_tables(r: redis.Redis) -> None:
    jobs.record.enqueue_many([(f"a{i}",) for i in range(3)])
    jobs.critical.enqueue("c")
    stats = robin_json("stats", "--days", "3")
    assert stats["enqueued"] == 4 and stats["queues"] == {"critical": 1, "default": 3} and len(stats["history"]) == 3
    queues = robin_json("queues")
    assert [(q["name"], q["size"], q["paused"]) for q in queues] == [("critical", 1, False), ("default", 3, False)]
    assert all(0 <= q["latency"] < 30 for q in queues)
    shown = robin("queues").stdout
    assert "critical" in shown and "default" in shown and "size" in shown


def test_listing_jobs_and_sets(r: redis.Redis) -> None:
    jids = jobs.record.enqueue_many([(f"j{i}",) for i in range(30)])
    jobs.record.enqueue_in(300, "later")
    r.zadd(NS + "dead", {dead_entry(1): time.time()})
    r.zadd(NS + "retry", {dead_entry(2): time.time() + 60})
    listed = robin_json("jobs", "default", "--limit", "5", "--oldest")
    assert [j["jid"] for j in listed] == jids[:5]
    table = robin("jobs", "default", "-n", "5").stdout
    assert "Queue default (30)" in table and "showing 5 of 30" in table and jids[-1] in table
    assert robin_json("scheduled")[0]["args"] == ["later"]
    assert robin_json("retries")[0]["jid"] == f"{2:024d}"
    [dead] = robin_json("dead")
    assert dead["dead_reason"] == "retries exhausted" and dead["error_class"] == "ValueError"
    assert "retries exhausted" in robin("dead").stdout


def test_retry_kill_and_delete_one_job(r: redis.Redis) -> None:
    r.zadd(NS + "dead", {dead_entry(1): time.time()})
    r.zadd(NS + "retry", {dead_entry(2): time.time() + 60, dead_entry(3): time.time() + 60})
    done = robin("retry", f"{1:024d}")
    assert done.returncode == 0 and "is on queue default again" in done.stdout
    assert Queue("default").size == 1 and DeadSet().size == 0
    assert robin("kill", f"{2:024d}").returncode == 0 and DeadSet().size == 1
    assert robin("delete", f"{3:024d}").returncode == 0 and r.zcard(NS + "retry") == 0
    jid = jobs.record.enqueue("queued")
    assert assert_line(robin("delete", jid), f"deleted {jid} from queue default")
    missing = robin("retry", "f" * 24)
    assert missing.returncode == 1
    assert missing.stderr.strip() == f"robin: error: no job {'f' * 24} in the retry, dead or scheduled sets"


def assert_line(done: subprocess.CompletedProcess[str], text: str) -> bool:
    assert done.returncode == 0, done.stderr
    assert text in done.stdout, done.stdout
    return True


def test_retry_all_shows_progress(r: redis.Redis) -> None:
    pipe = r.pipeline(transaction=False)
    pipe.zadd(NS + "dead", {dead_entry(i): i for i in range(3000)})
    pipe.execute()
    done = robin("retry", "--all", "--from", "dead")
    assert done.returncode == 0 and "3,000 jobs from dead are back on their queues" in done.stdout
    assert "retrying dead" in done.stderr and "3000/3000" in done.stderr
    assert r.llen(NS + "queue:default") == 3000


def test_clear_asks_first(r: redis.Redis) -> None:
    jobs.record.enqueue_many([(f"c{i}",) for i in range(5)])
    refused = robin("clear", "default")
    assert refused.returncode == 1 and "add --yes" in refused.stderr and Queue("default").size == 5
    assert assert_line(robin("clear", "default", "--yes"), "deleted 5 jobs from queue default")
    r.zadd(NS + "dead", {dead_entry(1): 1})
    assert assert_line(robin("clear", "dead", "-y"), "deleted 1 jobs from the dead set")


def test_enqueue_from_the_shell(r: redis.Redis, workers: Callable[..., Worker]) -> None:
    done = robin("enqueue", "tests.apps.jobs.record", '"from-shell"', "-r", "tests.apps.jobs", "--kwargs",
                 '{"n": 1}')
    assert done.returncode == 0, done.stderr
    [payload] = [json.loads(p) for p in r.lrange(NS + "queue:default", 0, -1)]
    assert payload["jid"] == done.stdout.strip() and payload["args"] == ["from-shell"]
    assert payload["kwargs"] == {"n": 1}
    unregistered = robin("enqueue", "tests.apps.jobs.record", '"x"')
    assert unregistered.returncode == 1 and "pass -r MODULE" in unregistered.stderr
    not_json = robin("enqueue", "tests.apps.jobs.record", "bare-word", "-r", "tests.apps.jobs")
    assert "argument 1 ('bare-word') is not JSON" in not_json.stderr
    bad_call = robin("enqueue", "tests.apps.jobs.flaky", '"x"', "-r", "tests.apps.jobs")
    assert "missing a required argument: 'failures'" in bad_call.stderr
    later = robin("enqueue", "tests.apps.jobs.low", '"y"', "-r", "tests.apps.jobs", "--in", "60")
    assert later.returncode == 0 and r.zcard(NS + "schedule") == 1


def test_processes_busy_quiet_and_stop(r: redis.Redis, workers: Callable[..., Worker]) -> None:
    worker = workers("--tag", "cli").ready()
    jobs.sleepy.enqueue("slow", 3.0)
    wait_until(lambda: tags(r, event="start"))
    [process] = wait_until(lambda: [p for p in robin_json("processes") if p["busy"] == 1], timeout=6)
    assert process["tag"] == "cli" and process["pid"] == worker.pid
    [running] = robin_json("busy")
    assert running["args"] == ["slow", 3.0] and running["process"] == process["identity"]
    assert "tests.apps.jobs.sleepy" in robin("busy").stdout
    assert assert_line(robin("quiet", process["identity"]), f"asked {process['identity']} to quiet")
    worker.wait_for("quiet: no new jobs will be fetched", timeout=10)
    assert assert_line(robin("stop", "--all"), "to stop")
    assert worker.wait(15) == 0
    gone = robin("stop", process["identity"])
    assert gone.returncode == 1 and "no live process" in gone.stderr


def test_metrics_command(r: redis.Redis, workers: Callable[..., Worker]) -> None:
    jobs.record.enqueue_many([(f"m{i}",) for i in range(10)])
    workers().ready()
    found = wait_until(lambda: [m for m in robin_json("metrics") if m["job"] == "tests.apps.jobs.record"])
    assert found[0]["executions"] == 10 and found[0]["failures"] == 0
    assert "tests.apps.jobs.record" in robin("metrics").stdout


def test_top_renders_a_frame_at_a_fixed_size(r: redis.Redis, workers: Callable[..., Worker]) -> None:
    jobs.critical.enqueue("waiting")
    done = robin("top", "--once", "--interval", "0.2")
    assert done.returncode == 0, done.stderr
    for text in ("Robin top", "processed/s", "failed/s", "Queues", "critical", "Running now", "Processes"):
        assert text in done.stdout, text
    assert max(len(line) for line in done.stdout.splitlines()) <= 160


def test_top_render_is_a_pure_function() -> None:
    from rich.console import Console

    from robin.cli.top import Rates, render

    class FakeStats:  # render() reads only these attributes
        processed, failed, enqueued, scheduled_size, retry_size, dead_size, busy = 1234, 5, 6, 7, 8, 9, 2

    rates = Rates()
    for i in range(5):
        rates.add(float(i), 100 * i * i, i)
    console = Console(width=100, record=True, color_system=None)
    console.print(render(FakeStats(), rates, [("default", 6, 2.5, False)],  # type: ignore[arg-type]
                         [("host:1:a", "web", 2, 10, time.time(), False)],
                         [("app.jobs.resize", "default", "host:1:a", time.time() - 3)], "redis://x"))
    text = console.export_text()
    assert "1,234" in text and "app.jobs.resize" in text and "2/10" in text and "700.0" in text
    assert all(len(line) <= 100 for line in text.splitlines())


def test_version_and_doctor(r: redis.Redis, workers: Callable[..., Worker]) -> None:
    version = robin("version")
    assert version.returncode == 0 and version.stdout.startswith("robin 1.0.0")
    assert robin_json("version")["robin"] == "1.0.0"
    jobs.low.enqueue("stranded")
    doctor = robin("doctor")
    assert doctor.returncode == 0, doctor.stdout
    assert "ok   server:" in doctor.stdout and "warn workers: no worker process is running" in doctor.stdout
    assert "warn queue low: 1 jobs wait and no live process works on it" in doctor.stdout
    r.config_set("maxmemory-policy", "allkeys-lru")
    try:
        bad = robin("doctor")
    finally:
        r.config_set("maxmemory-policy", "noeviction")
    assert bad.returncode == 1 and "fail eviction: maxmemory-policy allkeys-lru" in bad.stdout


def test_an_unreachable_server_is_one_clear_line(r: redis.Redis) -> None:
    done = robin("stats", ROBIN_REDIS_URL=f"redis://:sekrit@127.0.0.1:{free_port()}/0")
    assert done.returncode == 1
    assert done.stderr.startswith("robin: error: cannot read from the server: the server at redis://:***@127.0.0.1")
    assert "Traceback" not in done.stderr and "sekrit" not in done.stderr
    debug = robin("--debug", "stats", ROBIN_REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    assert "Traceback" in debug.stderr


def test_top_exits_cleanly_on_ctrl_c(r: redis.Redis) -> None:
    import signal

    top = subprocess.Popen([sys.executable, "-m", "robin", "top", "--interval", "0.2"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, env=subprocess_env(COLUMNS="120"), cwd=ROOT)
    time.sleep(2.0)
    top.send_signal(signal.SIGINT)
    out, err = top.communicate(timeout=15)
    assert top.returncode == 0, err
    assert "Traceback" not in err and "Robin top" in out
