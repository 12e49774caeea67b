"""The worker's throughput policies, in isolation: how much it fetches ahead, what metrics it sends."""

from __future__ import annotations

from typing import Any

from robin.metrics import BUCKETS_MS, MetricsBuffer, bucket_of
from robin.worker.manager import PREFETCH_LIMIT, ConnectionWatch, Manager
from robin.worker.settings import WorkerSettings


def manager(**settings: Any) -> Manager:
    import threading

    fetch: Any = None  # the policies under test never talk to Redis
    return Manager(WorkerSettings(**settings), fetch, lambda raw: ("a", raw, "", ""),
                   ConnectionWatch("test", threading.Event()), renew_lease=lambda: None, on_fatal=lambda: None)


def finished(m: Manager, jobs: int, job_time: float) -> None:
    m._finished, m._job_time = jobs, job_time


def test_prefetch_holds_concurrency_until_the_pace_of_jobs_is_known() -> None:
    m = manager(concurrency=10)
    assert m._prefetch_now() == 10
    finished(m, 9, 0.0001)
    assert m._prefetch_now() == 10


def test_prefetch_holds_about_20_ms_of_short_jobs_within_bounds() -> None:
    m = manager(concurrency=10)
    finished(m, 1000, 0.001)  # 10 threads x 1 ms: 10,000 jobs/s, 200 in 20 ms
    assert m._prefetch_now() == 200
    finished(m, 1000, 0.00001)  # very short jobs: capped
    assert m._prefetch_now() == PREFETCH_LIMIT
    finished(m, 1000, 0.03)  # 30 ms jobs: never less than one per thread
    assert m._prefetch_now() == 10


def test_long_jobs_turn_prefetching_off_and_an_explicit_prefetch_wins_for_short_ones() -> None:
    m = manager(concurrency=10)
    finished(m, 1000, 0.2)
    assert m._prefetch_now() == 0
    fixed = manager(concurrency=10, prefetch=3)
    finished(fixed, 1000, 0.0001)
    assert fixed._prefetch_now() == 3
    finished(fixed, 1000, 0.2)
    assert fixed._prefetch_now() == 0


def test_fetch_wants_fill_threads_and_buffer_and_nothing_while_quiet() -> None:
    m = manager(concurrency=4)
    assert m._want_now() == 8  # 4 threads + 4 ahead
    m._busy = 3
    assert m._want_now() == 5
    m._quiet = True
    assert m._want_now() == 0


def test_metrics_buffer_sums_per_job_and_sends_the_hash_fields() -> None:
    buffer = MetricsBuffer()
    buffer.record("app.a", 0.0004, False)  # sub-millisecond times add up, not round to zero each
    buffer.record("app.a", 0.0004, False)
    buffer.record("app.a", 0.0004, True)
    buffer.record("app.b", 2.5, False)
    fields = buffer.take()
    assert fields == {"app.a|n": 3, "app.a|f": 1, "app.a|ms": 1, f"app.a|b{bucket_of(0.4)}": 3,
                      "app.b|n": 1, "app.b|ms": 2500, f"app.b|b{bucket_of(2500)}": 1}
    assert buffer.take() == {}
    buffer.put_back(fields)  # a send that failed comes back whole, with what was recorded since
    buffer.record("app.b", 2.5, False)
    again = buffer.take()
    assert again["app.b|n"] == 2 and again["app.a|n"] == 3 and again["app.b|ms"] == 5000
    assert bucket_of(2500) < len(BUCKETS_MS)
