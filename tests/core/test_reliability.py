"""At-least-once delivery: no job is lost to SIGKILL, shutdowns, server restarts or bad input."""

from __future__ import annotations

import json
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable

import pytest
import redis

from robin import scripts
from robin.keys import Keys
from tests.apps import jobs
from tests.conftest import results, tags, wait_until
from tests.support.server import RedisServer
from tests.support.worker import Worker

NS = "{robin}:"
pytestmark = pytest.mark.slow


def dead(r: redis.Redis) -> list[dict]:
    return [json.loads(p) for p in r.zrange(NS + "dead", 0, -1)]


def inflight_total(r: redis.Redis) -> int:
    return sum(r.llen(NS + "inflight:" + m.decode()) for m in r.zrange(NS + "processes", 0, -1))


# -- graceful shutdown and quiet ------------------------------------------------------------
def test_term_lets_running_jobs_finish(r: redis.Redis, workers: Callable[..., Worker]) -> None:
    jobs.sleepy.enqueue("finishing", 1.0)
    worker = workers().ready()
    wait_until(lambda: tags(r, event="start"))
    assert worker.stop() == 0
    assert tags(r, event="end") == ["finishing"]
    assert r.zcard(NS + "processes") == 0 and inflight_total(r) == 0
    assert "shutting down: waiting up to 25 s for 1 running job\n" in worker.log()


def test_term_pushes_unfinished_and_prefetched_jobs_back(r: redis.Redis, workers: Callable[..., Worker]) -> None:
    jobs.sleepy.enqueue("too-slow", 30)
    for i in range(5):
        jobs.record.enqueue(f"waiting-{i}")  # fetched ahead while the slow one runs
    worker = workers("-c", "1", "--timeout", "1").ready()
    wait_until(lambda: tags(r, event="start"))
    assert worker.stop() == 0
    assert ("1 running job did not finish within the 1 s shutdown timeout: it goes back to its queue and will "
            "run again") in worker.log()
    queue = [json.loads(p) for p in r.lrange(NS + "queue:default", 0, -1)]
    assert sorted(p["args"][0] for p in queue) == ["too-slow"] + [f"waiting-{i}" for i in range(5)]
    assert json.loads(r.lindex(NS + "queue:default", -1))["args"][0] == "too-slow"  # first in line
    assert r.zcard(NS + "processes") == 0 and inflight_total(r) == 0
    assert not tags(r, event="end")


def test_second_interrupt_stops_without_waiting(r: redis.Redis, workers: Callable[..., Worker]) -> None:
    jobs.sleepy.enqueue("interrupted", 30)
    worker = workers().ready()
    wait_until(lambda: tags(r, event="start"))
    worker.signal(signal.SIGINT)
    time.sleep(0.3)
    worker.signal(signal.SIGINT)
    assert worker.wait(10) == 0
    assert r.llen(NS + "queue:default") == 1


def test_tstp_quiets_the_worker(r: redis.Redis, workers: Callable[..., Worker]) -> None:
    worker = workers().ready()
    worker.signal(signal.SIGTSTP)
    worker.wait_for("quiet: no new jobs will be fetched")
    jobs.record.enqueue("not-fetched")
    time.sleep(1.0)
    assert not results(r) and r.llen(NS + "queue:default") == 1
    identity = r.zrange(NS + "processes", 0, -1)[0].decode()
    assert r.hget(NS + "process:" + identity, "quiet") == b"1"
    assert worker.stop() == 0


def test_ttin_dumps_every_thread(r: redis.Redis, workers: Callable[..., Worker]) -> None:
    worker = workers().ready()
    worker.signal(signal.SIGTTIN)
    log = worker.wait_for("thread fetcher")
    assert "thread processor-1" in log and "thread heartbeat" in log


def test_remote_stop_through_redis(r: redis.Redis, workers: Callable[..., Worker]) -> None:
    worker = workers().ready()
    identity = r.zrange(NS + "processes", 0, -1)[0].decode()
    r.lpush(NS + "signals:" + identity, "stop")
    assert worker.wait(10) == 0
    assert "received remote command 'stop'" in worker.log()


# -- crashes ----------------------------------------------------------------------------------
def test_sigkill_mid_job_loses_nothing(r: redis.Redis, workers: Callable[..., Worker]) -> None:
    jobs.sleepy.enqueue("killed-mid-job", 1.0)
    jobs.record.enqueue_many([(f"after-{i}",) for i in range(50)])
    victim = workers("-c", "1").ready()
    wait_until(lambda: tags(r, event="start"))
    victim.kill()  # SIGKILL: no handler runs, nothing is settled
    assert inflight_total(r) >= 1
    workers().ready()  # a survivor recovers the dead worker's jobs once its lease expires
    wait_until(lambda: tags(r, tag="killed-mid-job", event="end"), timeout=20)
    wait_until(lambda: len({t for t in tags(r) if t.startswith("after-")}) == 50, timeout=20)
    wait_until(lambda: r.zcard(NS + "processes") == 1, timeout=10, message="the dead process is unlisted")
    payload = next(json.loads(p) for p in r.lrange(NS + "queue:default", 0, -1)) if r.llen(
        NS + "queue:default") else None
    assert payload is None


def test_recovered_jobs_are_counted_and_a_poison_pill_dies(r: redis.Redis, workers: Callable[..., Worker]) -> None:
    jid = jobs.kill_my_worker.enqueue("pill")
    jobs.record.enqueue_many([(f"innocent-{i}",) for i in range(5)])
    supervised = workers("-p", "1", "-c", "1", "--max-recoveries", "3").ready()
    wait_until(lambda: any(e["jid"] == jid for e in dead(r)), timeout=60)
    [entry] = [e for e in dead(r) if e["jid"] == jid]
    assert entry["recovered"] == 3
    assert entry["error_class"] == "robin.PoisonPillError"
    assert entry["dead_reason"].startswith("poison pill: its worker process died 3 times")
    assert len(tags(r, tag="pill", event="start")) == 3
    wait_until(lambda: len({t for t in tags(r) if t.startswith("innocent-")}) == 5, timeout=20)
    assert [e for e in dead(r) if e["jid"] != jid] == []  # innocents fetched with it survive
    assert "was killed by signal 9" in supervised.log()


def test_recovery_never_touches_a_live_process(r: redis.Redis, workers: Callable[..., Worker]) -> None:
    jobs.sleepy.enqueue("long", 4.0)  # longer than the lease: the heartbeat keeps extending it
    workers("-c", "1").ready()
    workers("-c", "1").ready()
    wait_until(lambda: tags(r, event="end"), timeout=20)
    time.sleep(0.5)
    assert tags(r, event="start") == ["long"]  # never handed out twice


def test_recover_script_moves_each_job_once_under_racing_recoverers(r: redis.Redis) -> None:
    keys = Keys()
    identity = "dead-host:1:x"
    payloads = [json.dumps({"jid": f"{i:024d}", "job": "j", "queue": "default", "args": []}) for i in range(200)]
    r.lpush(keys.inflight(identity), *payloads)
    r.zadd(keys.processes, {identity: 1})
    moved: list[int] = []

    def recoverer() -> None:
        conn = redis.Redis(connection_pool=r.connection_pool)
        for p in payloads:
            moved.append(scripts.recover(conn, keys, identity, [(p.encode(), p, "default")], now=time.time(),
                                         dead_max=10, dead_age=10))

    threads = [threading.Thread(target=recoverer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(moved) == 200
    assert r.llen(keys.queue("default")) == 200 and r.llen(keys.inflight(identity)) == 0
    r.set(keys.process(identity), "alive")
    r.lpush(keys.inflight(identity), payloads[0])
    assert scripts.recover(r, keys, identity, [(payloads[0].encode(), payloads[0], "default")],
                           now=time.time(), dead_max=10, dead_age=10) == -1


def test_supervisor_restarts_a_child_killed_by_sigkill(r: redis.Redis, workers: Callable[..., Worker]) -> None:
    supervisor = workers("-p", "2").ready(count=2)
    wait_until(lambda: r.zcard(NS + "processes") == 2)
    identities = {m.decode() for m in r.zrange(NS + "processes", 0, -1)}
    child_pid = int(next(iter(identities)).split(":")[1])
    import os

    os.kill(child_pid, signal.SIGKILL)
    supervisor.ready(count=3)
    jobs.record.enqueue_many([(f"p2-{i}",) for i in range(200)])
    wait_until(lambda: len(results(r)) == 200, timeout=20)
    assert len({e["pid"] for e in results(r)}) >= 1
    assert supervisor.stop() == 0
    assert "supervisor: every worker process has exited" in supervisor.log()


def test_two_processes_share_the_work_and_run_each_job_once(r: redis.Redis, workers: Callable[..., Worker]) -> None:
    jobs.record.enqueue_many([(f"shared-{i}",) for i in range(3000)])
    supervisor = workers("-p", "2").ready(count=2)
    wait_until(lambda: r.llen("test:results") >= 3000, timeout=30)
    time.sleep(0.3)
    counts = Counter(tags(r))
    assert len(counts) == 3000 and set(counts.values()) == {1}
    assert len({e["pid"] for e in results(r)}) == 2
    assert supervisor.stop() == 0


# -- the server goes away -------------------------------------------------------------------
def test_server_restart_during_processing_loses_nothing(
    r: redis.Redis, server: RedisServer, workers: Callable[..., Worker]
) -> None:
    jobs.record.enqueue_many([(f"restart-{i}",) for i in range(2000)])
    worker = workers("-c", "4").ready()
    wait_until(lambda: r.llen("test:results") >= 200)
    server.restart(down_for=1.0)
    log = worker.wait_for("answers normally again after", timeout=30)
    assert "lost the connection to the server" in log
    conn = server.client()
    wait_until(lambda: len(set(tags(conn))) == 2000, timeout=40)
    assert worker.stop() == 0
    assert conn.llen(NS + "queue:default") == 0 and conn.zcard(NS + "processes") == 0
    log = worker.log()
    assert "internal error" not in log  # ("adopting" may appear: a fetch whose reply the restart cut off)
    # A job runs twice only if its own write failed with the server (the job then raised
    # and was retried); a settled job is never run again.
    duplicates = sum(n - 1 for n in Counter(tags(conn)).values())
    assert duplicates <= log.count("failed after")


def test_worker_started_before_the_server_waits_for_it(
    r: redis.Redis, server: RedisServer, workers: Callable[..., Worker]
) -> None:
    server.stop()
    try:
        worker = workers()
        worker.wait_for("waiting for the server at redis://127.0.0.1")
    finally:
        server.start()
    worker.ready()
    jobs.record.enqueue("after-start")
    wait_until(lambda: results(server.client()))


# -- bad input --------------------------------------------------------------------------------
def test_malformed_payloads_go_to_the_dead_set_and_the_worker_carries_on(
    r: redis.Redis, workers: Callable[..., Worker]
) -> None:
    garbage = [b"not json at all", b"[1, 2, 3]", b'{"jid": "x1", "job": 5, "args": [], "queue": "default"}',
               b"\xff\xfe\x00", b'{"jid": "x2", "job": "tests.apps.jobs.record", "args": {}, "queue": "default"}']
    r.lpush(NS + "queue:default", *garbage)
    r.sadd(NS + "queues", "default")
    jobs.record.enqueue("still-works")
    worker = workers().ready()
    wait_until(lambda: r.zcard(NS + "dead") == 5 and tags(r) == ["still-works"])
    reasons = sorted(e["dead_reason"] for e in dead(r))
    assert all(reason.startswith("malformed payload: ") for reason in reasons)
    assert any("not JSON" in reason for reason in reasons)
    assert "malformed payload moved to the dead set" in worker.log()
    assert worker.process.poll() is None


def test_unregistered_jobs_are_never_imported_retried_then_dead(
    r: redis.Redis, workers: Callable[..., Worker]
) -> None:
    payload = {"jid": "a" * 24, "job": "os.system", "queue": "default", "args": ["touch /tmp/robin-pwned"],
               "retry": 1, "created_at": time.time(), "enqueued_at": time.time()}
    r.lpush(NS + "queue:default", json.dumps(payload))
    r.sadd(NS + "queues", "default")
    worker = workers().ready()
    log = worker.wait_for("no job named 'os.system' is registered in this worker")
    assert "retry 1 of 1" in log
    wait_until(lambda: r.zcard(NS + "retry") == 1)
    r.zadd(NS + "retry", dict.fromkeys(r.zrange(NS + "retry", 0, -1), 0))  # make the retry due now
    wait_until(lambda: r.zcard(NS + "dead") == 1, timeout=15)
    [entry] = dead(r)
    assert entry["error_class"] == "robin.UnknownJobError"
    assert entry["dead_reason"].startswith("unknown job 'os.system'")
    import os

    assert not os.path.exists("/tmp/robin-pwned")


def test_a_job_with_wrong_arguments_fails_like_any_failure(r: redis.Redis, workers: Callable[..., Worker]) -> None:
    payload = {"jid": "b" * 24, "job": "tests.apps.jobs.record", "queue": "default", "args": [1, 2, 3],
               "retry": 0}
    r.lpush(NS + "queue:default", json.dumps(payload))
    workers().ready()
    wait_until(lambda: r.zcard(NS + "dead") == 1)
    assert dead(r)[0]["error_class"] == "TypeError"


# -- scheduling is atomic -------------------------------------------------------------------
def test_due_jobs_are_promoted_once_even_by_racing_processes(r: redis.Redis) -> None:
    keys = Keys()
    now = time.time()
    r.zadd(keys.schedule, {json.dumps({"jid": f"{i:024d}", "job": "j", "queue": "q", "args": []}): now - 1
                           for i in range(1000)})
    moved: list[int] = []

    def promoter() -> None:
        conn = redis.Redis(connection_pool=r.connection_pool)
        while True:
            n = scripts.promote(conn, keys, keys.schedule, time.time(), 37)
            moved.append(n)
            if n == 0:
                return

    threads = [threading.Thread(target=promoter) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(moved) == 1000
    assert r.llen(keys.queue("q")) == 1000 and len(set(r.lrange(keys.queue("q"), 0, -1))) == 1000
    assert r.zcard(keys.schedule) == 0


def test_every_key_lives_in_the_namespace_hash_slot(r: redis.Redis, workers: Callable[..., Worker]) -> None:
    jobs.record.enqueue("k")
    jobs.always_fails.options(retry=0).enqueue("k2")
    jobs.record.enqueue_in(60, "k3")
    worker = workers().ready()
    wait_until(lambda: r.zcard(NS + "dead") == 1 and len(results(r)) == 2)
    robin_keys = [k.decode() for k in r.scan_iter(count=1000) if not k.startswith(b"test:")]
    assert robin_keys and all(k.startswith("{robin}:") for k in robin_keys), robin_keys
    worker.stop()
