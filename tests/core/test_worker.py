"""The worker runs jobs: sync and async, retries, the dead set, scheduling, queues."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import redis

import robin
from tests.apps import jobs
from tests.conftest import results, tags, wait_until
from tests.support.worker import Worker

NS = "{robin}:"


def dead(r: redis.Redis) -> list[dict]:
    return [json.loads(p) for p in r.zrange(NS + "dead", 0, -1)]


def test_sync_and_async_jobs_run(r: redis.Redis, workers: Callable[..., Worker]) -> None:
    jobs.record.enqueue("sync-1")
    jobs.arecord.enqueue("async-1")
    jobs.record.enqueue_many([("bulk-1",), ("bulk-2",)])
    worker = workers().ready()
    wait_until(lambda: len(results(r)) == 4)
    kinds = {e["tag"]: e["kind"] for e in results(r)}
    assert kinds == {"sync-1": "sync", "async-1": "async", "bulk-1": "sync", "bulk-2": "sync"}
    wait_until(lambda: r.get(NS + "stat:processed") == b"4", message="processed counter")
    assert worker.stop() == 0
    assert r.llen(NS + f"inflight:{_identity(worker)}") == 0


def test_jobs_log_their_jid_name_queue_and_outcome(r: redis.Redis, workers: Callable[..., Worker]) -> None:
    jid = jobs.record.enqueue("logged")
    worker = workers().ready()
    log = worker.wait_for(f"jid={jid} job=tests.apps.jobs.record queue=default: done in")
    assert "done in" in log


def test_a_failing_job_is_retried_until_it_succeeds(r: redis.Redis, workers: Callable[..., Worker]) -> None:
    jobs.flaky.enqueue("twice", 2)
    workers().ready()
    wait_until(lambda: tags(r, tag="twice"), timeout=20)
    assert results(r)[0]["attempts"] == 3
    assert r.zcard(NS + "retry") == 0 and r.zcard(NS + "dead") == 0
    wait_until(lambda: r.get(NS + "stat:failed") == b"2" and r.get(NS + "stat:processed") == b"3")


def test_exhausted_retries_land_in_the_dead_set_with_the_error(
    r: redis.Redis, workers: Callable[..., Worker]
) -> None:
    jid = jobs.always_fails.enqueue("doomed")
    jobs.async_always_fails.enqueue("doomed-async")
    workers().ready()
    wait_until(lambda: r.zcard(NS + "dead") == 2, timeout=20)
    entries = {e["jid"]: e for e in dead(r)}
    entry = entries[jid]
    assert entry["retry_count"] == 3  # the first attempt and two retries failed
    assert entry["error_class"] == "ValueError"
    assert entry["error_message"] == "always fails: doomed"
    assert "raise ValueError" in entry["error_backtrace"]
    assert entry["failed_at"] <= entry["retried_at"]
    assert entry["dead_reason"].startswith("retries exhausted: failed 3 times, 2 retries allowed")
    assert len(tags(r, tag="doomed")) == 3
    assert any(e["error_message"] == "async fails: doomed-async" for e in entries.values())


def test_retry_zero_goes_straight_to_the_dead_set_and_false_discards(
    r: redis.Redis, workers: Callable[..., Worker]
) -> None:
    jobs.always_fails.options(retry=0).enqueue("zero")
    jobs.always_fails.options(retry=False).enqueue("discard")
    workers().ready()
    wait_until(lambda: len(results(r)) == 2 and r.zcard(NS + "dead") == 1)
    time.sleep(0.5)
    [entry] = dead(r)
    assert entry["args"] == ["zero"] and entry["dead_reason"].startswith("failed with retry=0")
    assert r.zcard(NS + "retry") == 0
    assert len(results(r)) == 2  # neither ran twice


def test_scheduled_jobs_run_when_due(r: redis.Redis, workers: Callable[..., Worker]) -> None:
    workers().ready()
    enqueued = time.time()
    jobs.record.enqueue_in(1.0, "later")
    time.sleep(0.5)
    assert not results(r)
    wait_until(lambda: results(r), timeout=10)
    assert time.time() - enqueued >= 1.0
    assert r.zcard(NS + "schedule") == 0


def test_jobs_on_several_queues_all_run_by_default(r: redis.Redis, workers: Callable[..., Worker]) -> None:
    jobs.critical.enqueue("c")
    jobs.low.enqueue("l")
    jobs.record.enqueue("d")
    worker = workers().ready()
    wait_until(lambda: len(results(r)) == 3)
    assert "queues critical(1), default(1), low(1)" in worker.log()


def test_strict_order_drains_higher_priority_queues_first(r: redis.Redis, workers: Callable[..., Worker]) -> None:
    for i in range(20):
        jobs.low.enqueue(f"low-{i}")
        jobs.critical.enqueue(f"critical-{i}")
    workers("-q", "critical", "-q", "low", "--strict", "-c", "1", "--prefetch", "0").ready()
    wait_until(lambda: len(results(r)) == 40)
    order = [e["queue"] for e in results(r)]
    assert order == ["critical"] * 20 + ["low"] * 20


def test_weighted_queues_are_sampled_by_weight() -> None:
    from robin.worker.fetch import weighted_order

    firsts = [weighted_order([("a", 3), ("b", 1)])[0] for _ in range(4000)]
    share = firsts.count("a") / len(firsts)
    assert 0.70 < share < 0.80  # 3/4 expected


def test_a_worker_only_runs_the_queues_it_is_given(r: redis.Redis, workers: Callable[..., Worker]) -> None:
    jobs.critical.enqueue("c")
    jobs.record.enqueue("d")
    workers("-q", "default").ready()
    wait_until(lambda: results(r))
    time.sleep(0.3)
    assert tags(r) == ["d"] and r.llen(NS + "queue:critical") == 1


def test_jobs_can_enqueue_jobs(r: redis.Redis, workers: Callable[..., Worker]) -> None:
    jobs.enqueue_more.enqueue("child", 5)
    workers().ready()
    wait_until(lambda: len(results(r)) == 5)


def test_concurrency_bounds_jobs_running_at_once(r: redis.Redis, workers: Callable[..., Worker]) -> None:
    for i in range(6):
        jobs.sleepy.enqueue(f"s{i}", 0.5)
    workers("-c", "2").ready()
    wait_until(lambda: len(tags(r, event="end")) == 6, timeout=20)
    running = peak = 0
    for entry in results(r):
        running += 1 if entry["event"] == "start" else -1
        peak = max(peak, running)
    assert peak == 2


def test_idle_worker_starts_a_new_job_at_once(r: redis.Redis, workers: Callable[..., Worker]) -> None:
    workers().ready()
    time.sleep(3)  # well past the blocking wait's timeout: the worker is asleep on its tokens
    started = time.time()
    jobs.record.enqueue("wake-up")
    wait_until(lambda: results(r), timeout=5)
    assert time.time() - started < 0.5


def _identity(worker: Worker) -> str:
    line = next(line for line in worker.log().splitlines() if " worker " in line and "queues" in line)
    return line.split(" worker ")[1].split(": queues")[0]


def test_worker_refuses_to_start_without_registered_jobs(workers: Callable[..., Worker], r: redis.Redis) -> None:
    worker = workers(app="")
    assert worker.wait() == 1
    assert "no jobs are registered: pass -r MODULE" in worker.log()
    assert "Traceback" not in worker.log()


def test_worker_reports_a_module_that_cannot_be_imported(workers: Callable[..., Worker], r: redis.Redis) -> None:
    worker = workers(app="myapp.nonexistent")
    assert worker.wait() == 1
    assert "-r myapp.nonexistent: no module named 'myapp'" in worker.log()


def test_worker_rejects_a_bad_queue_weight(workers: Callable[..., Worker], r: redis.Redis) -> None:
    worker = workers("-q", "critical,x")
    assert worker.wait() == 1
    assert "the weight after the comma must be a whole number" in worker.log()


def test_robin_configure_is_public() -> None:
    assert callable(robin.configure)
