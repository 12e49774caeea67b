"""Regressions: each test pins down a way the worker once lost, stranded or repeated a job."""

from __future__ import annotations

import json
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from robin import scripts
from robin.keys import Keys
from robin.server import mask_url
from tests.apps import jobs
from tests.conftest import results, tags, wait_until
from tests.support.server import free_port
from tests.support.worker import Worker

NS = "{robin}:"
pytestmark = pytest.mark.slow


def dead(r: redis.Redis) -> list[dict]:
    return [json.loads(p) for p in r.zrange(NS + "dead", 0, -1)]


def test_killed_connections_during_a_drain_never_run_a_settled_job_again(
    r: redis.Redis, workers: Callable[..., Worker], tmp_path: Path
) -> None:
    out = tmp_path / "ran.txt"
    jobs.mark.enqueue_many([(str(out), f"job-{i}") for i in range(3000)])
    worker = workers("-c", "4").ready()
    stop = threading.Event()

    def killer() -> None:  # cut every client connection, over and over, mid-drain
        while not stop.is_set():
            r.client_kill_filter(_type="normal", skipme=True)
            time.sleep(0.05)

    thread = threading.Thread(target=killer)
    thread.start()
    try:
        wait_until(lambda: out.exists() and len(set(out.read_text().split())) == 3000, timeout=60)
    finally:
        stop.set()
        thread.join()
    time.sleep(0.5)
    counts = Counter(out.read_text().split())
    assert len(counts) == 3000
    assert [tag for tag, n in counts.items() if n > 1] == []
    assert worker.stop() == 0


def test_fetch_moves_thousands_of_jobs_without_losing_any(r: redis.Redis) -> None:
    keys = Keys()
    identity = "big:1:x"
    r.lpush(keys.queue("default"), *[f"job-{i}" for i in range(9000)])
    r.set(keys.process(identity), "lease")
    taken = scripts.FETCH(r, [keys.process(identity), keys.inflight(identity), keys.queue("default"),
                              keys.ready("default")], [10010])
    assert len(taken) == 9000 and r.llen(keys.inflight(identity)) == 9000 and r.llen(keys.queue("default")) == 0


def test_a_process_without_a_lease_fetches_nothing(r: redis.Redis) -> None:
    keys = Keys()
    r.lpush(keys.queue("default"), "job")
    refused = scripts.FETCH(r, [keys.process("gone:1:x"), keys.inflight("gone:1:x"), keys.queue("default"),
                                keys.ready("default")], [10])
    assert refused == -1 and r.llen(keys.queue("default")) == 1


def test_a_worker_whose_lease_vanished_renews_it_and_carries_on(
    r: redis.Redis, workers: Callable[..., Worker]
) -> None:
    worker = workers("--heartbeat-interval", "5", "--lease-ttl", "20").ready()
    [identity] = [m.decode() for m in r.zrange(NS + "processes", 0, -1)]
    time.sleep(3)  # the worker is idle, blocked on its wake-up tokens
    r.delete(NS + "process:" + identity)
    r.zrem(NS + "processes", identity)
    jobs.record.enqueue("after-lease-loss")
    wait_until(lambda: tags(r) == ["after-lease-loss"], timeout=10)
    assert r.exists(NS + "process:" + identity) and r.zscore(NS + "processes", identity) is not None
    assert "lease had expired; renewing it" in worker.log()


def test_the_worker_survives_the_server_turning_read_only(r: redis.Redis, workers: Callable[..., Worker]) -> None:
    worker = workers().ready()
    jobs.record.enqueue("before")
    wait_until(lambda: tags(r) == ["before"])
    r.replicaof("127.0.0.1", free_port())  # a failover: this server becomes a (read-only) replica
    try:
        time.sleep(2.5)
    finally:
        r.replicaof("NO", "ONE")
    for i in range(5):
        jobs.record.enqueue(f"after-{i}")
    wait_until(lambda: len(tags(r)) == 6, timeout=20)
    assert "stopping this process" not in worker.log()
    assert worker.stop() == 0


@pytest.mark.parametrize(
    "payload",
    [
        b'{"jid":"n1","job":"tests.apps.jobs.record","queue":"default","args":[NaN],"retry":0}',
        b'{"jid":"d1","job":"tests.apps.jobs.record","queue":"default","args":' + b"[" * 5000 + b"]" * 5000 + b"}",
        b'{"jid":"s1","job":"tests.apps.jobs.always_fails","queue":"default","args":["\\ud800"],"retry":0}',
    ],
    ids=["nan", "deeply-nested", "lone-surrogate"],
)
def test_hostile_payloads_are_dead_lettered_and_the_worker_keeps_going(
    r: redis.Redis, workers: Callable[..., Worker], payload: bytes
) -> None:
    r.lpush(NS + "queue:default", payload)
    r.sadd(NS + "queues", "default")
    worker = workers("-c", "1").ready()
    wait_until(lambda: r.zcard(NS + "dead") == 1, timeout=10)
    jobs.record.enqueue("still-alive")
    wait_until(lambda: "still-alive" in tags(r), timeout=10)
    [identity] = [m.decode() for m in r.zrange(NS + "processes", 0, -1)]
    time.sleep(0.5)
    assert r.exists(NS + "process:" + identity), "the heartbeat must keep the lease"
    assert "stopping this process" not in worker.log()
    assert worker.stop() == 0


def test_recovery_dead_letters_a_bad_orphan_and_recovers_the_rest(
    r: redis.Redis, workers: Callable[..., Worker]
) -> None:
    good = json.dumps({"jid": "g" * 24, "job": "tests.apps.jobs.record", "queue": "default", "args": ["orphan"]})
    bad = '{"jid":"b1","job":"x","queue":"default","args":[],"recovered":"yes"}'
    for identity, items in (("dead-a:1:x", [bad, "not json"]), ("dead-b:2:y", [good])):
        r.lpush(NS + "inflight:" + identity, *items)
        r.zadd(NS + "processes", {identity: 1})
    workers().ready()
    # "not json" is dead-lettered; the odd "recovered" value is ignored (the unknown job "x"
    # then takes the retry path); none of it stops the recovery of the other process.
    wait_until(lambda: tags(r) == ["orphan"] and r.zcard(NS + "dead") == 1 and r.zcard(NS + "retry") == 1,
               timeout=15)
    wait_until(lambda: r.zcard(NS + "processes") == 1)


def test_innocent_jobs_survive_a_poison_pill_at_full_concurrency(
    r: redis.Redis, workers: Callable[..., Worker]
) -> None:
    pill = jobs.kill_my_worker.enqueue("pill")
    for i in range(3):
        jobs.sleepy.enqueue(f"innocent-{i}", 1.0)
    supervisor = workers("-p", "1", "-c", "4").ready()
    wait_until(lambda: any(e["jid"] == pill for e in dead(r)), timeout=60)
    wait_until(lambda: len(set(tags(r, event="end"))) == 3, timeout=30)
    assert [e["args"] for e in dead(r)] == [["pill"]]
    assert supervisor.stop() == 0


def test_prefetch_zero_never_stalls(r: redis.Redis, workers: Callable[..., Worker]) -> None:
    for i in range(6):
        jobs.record.enqueue("recovered", n=i)  # the word in the payload once stalled the fetcher
    workers("-c", "1", "--prefetch", "0").ready()
    wait_until(lambda: len(results(r)) == 6, timeout=10)


def test_the_heartbeat_renews_the_lease_when_the_server_is_out_of_memory(
    r: redis.Redis, workers: Callable[..., Worker]
) -> None:
    import robin

    worker = workers().ready()
    [identity] = [m.decode() for m in r.zrange(NS + "processes", 0, -1)]
    r.config_set("maxmemory", 1)  # every command that needs memory is now refused
    try:
        time.sleep(2.5)  # longer than the lease (1.5 s)
        assert r.exists(NS + "process:" + identity)
        with pytest.raises(robin.ServerError, match="reached its memory limit"):
            jobs.record.enqueue("refused")
    finally:
        r.config_set("maxmemory", 0)
    jobs.record.enqueue("after")
    wait_until(lambda: tags(r) == ["after"])
    assert worker.stop() == 0


def test_a_hard_stop_cancels_async_jobs_so_their_cleanup_runs(
    r: redis.Redis, workers: Callable[..., Worker]
) -> None:
    jobs.async_sleepy.enqueue("cut-short", 30)
    worker = workers().ready()
    wait_until(lambda: tags(r, event="start"))
    worker.signal(signal.SIGINT)
    time.sleep(0.3)
    worker.signal(signal.SIGINT)
    assert worker.wait(15) == 0
    assert tags(r, event="cleanup") == ["cut-short"] and not tags(r, event="end")
    log = worker.log()
    assert "stopping at once: 1 running job goes back to its queue and will run again" in log
    assert "cancelled by the shutdown" in log and "failed after" not in log  # not a failure
    assert r.llen(NS + "queue:default") == 1 and r.zcard(NS + "retry") == 0


def test_passwords_are_masked_wherever_they_are_in_the_url() -> None:
    assert mask_url("redis://app:s3cret@host:6379/0") == "redis://app:***@host:6379/0"
    assert mask_url("redis://:s3cret@host") == "redis://:***@host"
    assert mask_url("redis://127.0.0.1:1/0?password=s3cret&db=2") == "redis://127.0.0.1:1/0?password=***&db=2"
    assert mask_url("unix:///tmp/r.sock?password=s3cret") == "unix:///tmp/r.sock?password=***"
    assert mask_url("rediss://u:p@[::1]:6380/0") == "rediss://u:***@[::1]:6380/0"
    assert mask_url("redis://host:6379") == "redis://host:6379"


def test_a_worker_whose_thread_died_exits_non_zero_and_is_replaced(
    r: redis.Redis, workers: Callable[..., Worker], tmp_path: Path
) -> None:
    from tests.support.worker import subprocess_env

    jobs.record.enqueue_many([(f"f-{i}",) for i in range(300)])
    supervisor = workers("-p", "1", "-c", "2", "--prefetch", "2", app="tests.apps.faulty",
                         env=subprocess_env(ROBIN_TEST_FAULT=str(tmp_path / "fault-fired")))
    wait_until(lambda: len(set(tags(r))) == 300, timeout=30)
    log = supervisor.log()
    assert "thread fetcher stopped; stopping this process" in log
    assert "exited with code 70" in log and "starting it again" in log
    assert supervisor.stop() == 0


def _suspect_payload(jid: str, tag: str, seconds: float) -> str:
    return json.dumps({"jid": jid, "job": "tests.apps.jobs.sleepy", "queue": "default", "args": [tag, seconds],
                       "retry": 0, "recovered": 1})


def test_a_waiting_suspect_holds_back_other_jobs_only_briefly(
    r: redis.Redis, workers: Callable[..., Worker]
) -> None:
    jobs.sleepy.enqueue("long", 9.0)
    worker = workers("-c", "4").ready()
    wait_until(lambda: tags(r, event="start") == ["long"])
    r.lpush(NS + "queue:default", _suspect_payload("s" * 24, "suspect", 0.1))
    r.lpush(NS + "ready:default", "1")  # wake the idle worker, as a push by Robin would
    time.sleep(0.5)  # the suspect is fetched and waits for "long" to finish; nothing more is fetched
    started = time.monotonic()
    for i in range(6):
        jobs.record.enqueue(f"quick-{i}")
    wait_until(lambda: len([t for t in tags(r) if t.startswith("quick-")]) == 6, timeout=10)
    assert time.monotonic() - started < 7.0  # the suspect was handed back after 5 s; fetching resumed
    assert "a recovered job waited 5 s for this process' running jobs; handing it back" in worker.log()
    wait_until(lambda: "suspect" in tags(r, event="end"), timeout=30)
    events = [(e["tag"], e.get("event")) for e in results(r) if e["tag"] in ("long", "suspect")]
    assert events.index(("suspect", "start")) > events.index(("long", "end"))  # it ran alone


def test_suspects_are_spread_over_processes(r: redis.Redis, workers: Callable[..., Worker]) -> None:
    r.lpush(NS + "queue:default", *[_suspect_payload(f"{i:024d}", f"s-{i}", 1.0) for i in range(6)])
    first = workers("-c", "4").ready()
    second = workers("-c", "4").ready()
    wait_until(lambda: len(tags(r, event="end")) == 6, timeout=30)
    pids = {e["pid"] for e in results(r)}
    assert pids == {first.pid, second.pid}
    # one at a time in each process: never two suspects running in one process at once
    for pid in pids:
        running = 0
        for e in results(r):
            if e["pid"] == pid:
                running += 1 if e["event"] == "start" else -1
                assert running <= 1


def test_a_suspect_that_fails_normally_is_a_suspect_no_more(r: redis.Redis, workers: Callable[..., Worker]) -> None:
    payload = {"jid": "c" * 24, "job": "tests.apps.jobs.always_fails", "queue": "default", "args": ["x"],
               "retry": 1, "recovered": 1}
    r.lpush(NS + "queue:default", json.dumps(payload))
    workers().ready()
    wait_until(lambda: r.zcard(NS + "retry") == 1)
    [retried] = [json.loads(p) for p in r.zrange(NS + "retry", 0, -1)]
    assert "recovered" not in retried and retried["retry_count"] == 1


def test_recovery_reaches_every_dead_process_in_one_pass(r: redis.Redis, workers: Callable[..., Worker]) -> None:
    for i in range(45):
        identity = f"dead-{i}:1:x"
        r.lpush(NS + "inflight:" + identity, json.dumps(
            {"jid": f"{i:024d}", "job": "tests.apps.jobs.record", "queue": "default", "args": [f"orphan-{i}"]}))
        r.zadd(NS + "processes", {identity: 1})
    workers().ready()
    wait_until(lambda: len(tags(r)) == 45, timeout=15)
    wait_until(lambda: r.zcard(NS + "processes") == 1)


def test_the_supervisor_stops_even_when_a_child_was_just_restarted(
    r: redis.Redis, workers: Callable[..., Worker]
) -> None:
    import os

    for _ in range(4):
        supervisor = workers("-p", "2").ready(count=2)
        wait_until(lambda: r.zcard(NS + "processes") == 2)
        child = int(r.zrange(NS + "processes", 0, 0)[0].decode().split(":")[1])
        os.kill(child, signal.SIGKILL)
        time.sleep(0.005)
        supervisor.signal(signal.SIGTERM)
        assert supervisor.wait(30) == 0
        r.delete(NS + "processes")
