"""The data API against a real server: stats, queues, sets, processes, workers, metrics."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest
import redis

import robin
from robin.api import DeadSet, Metrics, ProcessSet, Queue, RetrySet, ScheduledSet, Stats, Workers
from tests.apps import jobs
from tests.conftest import tags, wait_until
from tests.support.worker import Worker

NS = "{robin}:"


def dead_payload(i: int, job: str = "tests.apps.jobs.record", queue: str = "default") -> str:
    return json.dumps({"jid": f"{i:024d}", "job": job, "queue": queue, "args": [f"dead-{i}"], "retry": 0,
                       "retry_count": 1, "error_class": "ValueError", "error_message": f"boom {i}",
                       "dead_reason": "failed with retry=0", "enqueued_at": 1.0, "created_at": 1.0})


def test_stats_sum_up_the_namespace(r: redis.Redis) -> None:
    jobs.record.enqueue("a")
    jobs.record.enqueue("b")
    jobs.critical.enqueue("c")
    jobs.record.enqueue_in(60, "later")
    r.zadd(NS + "retry", {dead_payload(1): time.time() + 60})
    r.zadd(NS + "dead", {dead_payload(2): time.time(), dead_payload(3): time.time()})
    r.set(NS + "stat:processed", 10)
    r.set(NS + "stat:failed", 3)
    stats = Stats()
    assert stats.queues == {"critical": 1, "default": 2} and stats.enqueued == 3
    assert (stats.scheduled_size, stats.retry_size, stats.dead_size) == (1, 1, 2)
    assert (stats.processed, stats.failed) == (10, 3)
    assert 0 <= stats.default_queue_latency < 5
    assert stats.processes_size == 0 and stats.busy == 0
    assert json.dumps(stats.to_dict())


def test_history_gives_one_entry_per_day(r: redis.Redis) -> None:
    today = time.strftime("%Y-%m-%d", time.gmtime())
    r.set(NS + f"stat:processed:{today}", 7)
    r.set(NS + f"stat:failed:{today}", 2)
    history = Stats().history(7)
    assert len(history) == 7 and history[-1].date == today
    assert (history[-1].processed, history[-1].failed) == (7, 2)
    assert all(day.processed == 0 for day in history[:-1])


def test_a_queue_reads_in_pages_both_ways(r: redis.Redis) -> None:
    jobs.record.enqueue_many([(f"q-{i}",) for i in range(1200)])
    queue = Queue("default")
    assert queue.size == 1200
    newest = [e.args[0] for e in queue.jobs()]
    oldest = [e.args[0] for e in queue.jobs(oldest_first=True)]
    assert newest == [f"q-{i}" for i in reversed(range(1200))]
    assert oldest == [f"q-{i}" for i in range(1200)]
    assert queue.latency >= 0 and not queue.paused
    assert [q.name for q in Queue.all()] == ["default"]


def test_a_queue_finds_deletes_and_clears(r: redis.Redis) -> None:
    jids = jobs.record.enqueue_many([(f"q-{i}",) for i in range(700)])
    queue = Queue("default")
    found = queue.find_job(jids[3])
    assert found is not None and found.args == ["q-3"] and found.queue == "default"
    assert queue.find_job("0" * 24) is None
    assert queue.delete(jids[3]) and not queue.delete(jids[3])
    assert queue.size == 699
    assert queue.clear() == 699 and queue.size == 0
    assert Queue.all() == [] or [q.name for q in Queue.all()] == []


def test_a_queue_reports_its_latency(r: redis.Redis) -> None:
    r.lpush(NS + "queue:slow", json.dumps({"jid": "x" * 24, "job": "j", "queue": "slow", "args": [],
                                           "enqueued_at": time.time() - 42}))
    queue = Queue("slow")
    assert 41 < queue.latency < 50


def test_pausing_needs_a_plugin_that_provides_it(r: redis.Redis, core_only: None) -> None:
    queue = Queue("default")
    assert not queue.paused
    with pytest.raises(robin.ConfigurationError, match="pausing a queue is a plug-in's feature \\(Robin Pro\\)"):
        queue.pause()


def test_a_queue_control_plugged_in_pauses(r: redis.Redis, core_only: None) -> None:
    from robin import queue_control

    class SetControl:  # a third party's pausing, on a set of its own
        key = "{robin}:plugin:test:paused"

        def pause(self, conn: redis.Redis, keys: object, name: str) -> None:
            conn.sadd(self.key, name)

        def unpause(self, conn: redis.Redis, keys: object, name: str) -> None:
            conn.srem(self.key, name)

        def is_paused(self, conn: redis.Redis, keys: object, name: str) -> bool:
            return bool(conn.sismember(self.key, name))

    queue_control.set_queue_control(SetControl())
    Queue("low").pause()
    assert Queue("low").paused and not Queue("default").paused
    Queue("low").unpause()
    assert not Queue("low").paused


def test_malformed_entries_do_not_break_reading(r: redis.Redis) -> None:
    r.lpush(NS + "queue:default", b"not json", b"\xff")
    r.zadd(NS + "dead", {b"garbage": 1})
    assert [e.valid for e in Queue("default")] == [False, False]
    [entry] = list(DeadSet())
    assert not entry.valid and entry.display_args() == "garbage"


def test_sets_iterate_in_time_order_and_find_by_jid(r: redis.Redis) -> None:
    now = time.time()
    jids = [jobs.record.enqueue_in(d, f"s-{d}") for d in (30, 10, 20)]
    scheduled = ScheduledSet()
    assert [e.args[0] for e in scheduled] == ["s-10", "s-20", "s-30"]
    assert scheduled.size == 3
    entry = scheduled.find_job(jids[0])
    assert entry is not None and entry.args == ["s-30"] and entry.score == pytest.approx(now + 30, abs=2)
    assert scheduled.find_job("f" * 24) is None
    assert [e.args[0] for e in scheduled.scan("s-2")] == ["s-20"]


def test_entries_retry_kill_and_delete(r: redis.Redis) -> None:
    r.zadd(NS + "retry", {dead_payload(1): time.time() + 600, dead_payload(2): time.time() + 600,
                          dead_payload(3): time.time() + 600})
    retries = RetrySet()
    first, second, third = (retries.find_job(f"{i:024d}") for i in (1, 2, 3))
    assert first and second and third
    assert first.retry() and not first.retry()  # once only
    [queued] = list(Queue("default"))
    assert queued.jid == first.jid and queued.enqueued_at == pytest.approx(time.time(), abs=5)
    assert second.kill()
    [dead] = list(DeadSet())
    assert dead.jid == second.jid and dead.dead_reason == "killed by hand"
    assert third.delete() and retries.size == 0


def test_retry_all_moves_a_hundred_thousand_dead_jobs_in_chunks(r: redis.Redis) -> None:
    pipe = r.pipeline(transaction=False)
    for start in range(0, 100_000, 5000):
        pipe.zadd(NS + "dead", {dead_payload(i): 1_000 + i for i in range(start, start + 5000)})
    pipe.execute()
    progress: list[int] = []
    moved = DeadSet().retry_all(progress.append)
    assert moved == 100_000 and sum(progress) == 100_000 and len(progress) >= 100
    assert r.zcard(NS + "dead") == 0 and r.llen(NS + "queue:default") == 100_000


def test_clear_empties_a_set(r: redis.Redis) -> None:
    r.zadd(NS + "dead", {dead_payload(i): i for i in range(10)})
    assert DeadSet().clear() == 10 and DeadSet().size == 0


def test_processes_and_workers_show_a_live_worker_and_obey_it(
    r: redis.Redis, workers: Callable[..., Worker]
) -> None:
    worker = workers("-c", "3", "--tag", "api-test").ready()
    jobs.sleepy.enqueue("busy", 3.0)
    wait_until(lambda: tags(r, event="start"))
    [process] = wait_until(lambda: [p for p in ProcessSet() if p.busy == 1], timeout=5)
    assert process.pid == worker.pid and process.tag == "api-test" and process.concurrency == 3
    assert "default" in process.queues and process.version and process.rss_kb > 0
    [work] = list(Workers())
    assert work.identity == process.identity and work.record.args == ["busy", 3.0] and work.queue == "default"
    assert ProcessSet().quiet(process.identity)
    worker.wait_for("quiet: no new jobs will be fetched", timeout=10)
    assert ProcessSet().stop(process.identity)
    assert worker.wait(15) == 0
    assert not ProcessSet().quiet("no-such:1:x")


def test_metrics_count_executions_failures_and_times(r: redis.Redis, workers: Callable[..., Worker]) -> None:
    for i in range(20):
        jobs.sleepy.enqueue(f"m-{i}", 0.02)
    for i in range(3):
        jobs.always_fails.options(retry=0).enqueue(f"f-{i}")
    workers().ready()
    wait_until(lambda: r.zcard(NS + "dead") == 3 and len(tags(r, event="end")) == 20)
    metrics = wait_until(lambda: Metrics().get("tests.apps.jobs.sleepy"), timeout=5)
    assert metrics.executions == 20 and metrics.failures == 0
    assert 0.015 < metrics.p50 < 0.2 and metrics.p50 <= metrics.p95 < 0.5
    assert 20 * 0.02 <= metrics.total_seconds < 20 * 0.2  # each one sleeps 20 ms, plus its own round trips
    failing = Metrics().get("tests.apps.jobs.always_fails")
    assert failing is not None and failing.executions == failing.failures == 3
    keys = [k.decode() for k in r.scan_iter(NS + "metrics:*")]
    assert len(keys) == 1 and 0 < r.ttl(keys[0]) <= 26 * 3600


def test_search_pages_through_a_set_by_cursor_in_any_case(r: redis.Redis) -> None:
    r.zadd(NS + "dead", {dead_payload(i, job="shop.Mail.send" if i % 3 == 0 else "shop.resize"): 1_000 + i
                         for i in range(3000)})
    seen: set[str] = set()
    cursor: str | None = "0"
    pages = 0
    while cursor is not None:
        found = DeadSet().search("MAIL", cursor=cursor, count=100)
        assert len(found.entries) <= 100 and all(e.job == "shop.Mail.send" for e in found.entries)
        seen.update(e.jid for e in found.entries)
        cursor, pages = found.cursor, pages + 1
    assert len(seen) == 1000 and pages >= 10
    assert [e.jid for e in DeadSet().search("dead-2999").entries] == [f"{2999:024d}"]
    assert DeadSet().search("nothing like it").entries == []


def test_a_set_entry_is_found_by_its_score_and_removed_in_bulk(r: redis.Redis) -> None:
    r.zadd(NS + "dead", {dead_payload(1): 1_000.25, dead_payload(2): 1_000.25, dead_payload(3): 7})
    dead = DeadSet()
    second = dead.find_job(f"{2:024d}", score=1_000.25)
    assert second is not None and second.args == ["dead-2"]
    assert dead.find_job(f"{2:024d}", score=7) is None
    assert dead.remove([second, second]) == 1 and dead.size == 2


def test_queue_pages_and_finding_a_job_near_where_it_was_seen(r: redis.Redis) -> None:
    jids = [jobs.record.enqueue(f"q-{i}") for i in range(1200)]
    queue = Queue("default")
    assert [e.jid for e in queue.page(0, 3)] == jids[::-1][:3]
    found = queue.find_job(jids[5], near=1194)
    assert found is not None and found.args == ["q-5"]
    assert queue.delete(jids[600], near=599) and queue.size == 1199


def test_server_info_names_the_server(r: redis.Redis) -> None:
    from robin.api import server_info

    info = server_info()
    assert info["redis_version"] and "used_memory_human" in info and info["role"] == "master"


def test_percentiles_never_exceed_what_the_measured_time_allows() -> None:
    from robin.metrics import BUCKETS_MS, percentile

    histogram = [0] * len(BUCKETS_MS)
    histogram[-1] = 1  # one execution over 300 s, in the open bucket: 310 s in all
    assert 300.0 <= percentile(histogram, 0.95, 310_000) <= 310.0
    assert percentile(histogram, 0.95) <= 600.0
    histogram = [0] * len(BUCKETS_MS)
    histogram[3] = 10  # ten executions of 5-10 ms, 51 ms in all: each took ~5.1 ms
    assert percentile(histogram, 0.95, 51) <= 51 / 1 / 1000 and percentile(histogram, 0.5, 51) <= 51 / 6 / 1000
    assert percentile(histogram, 0.5, 51) >= 0.005
