"""Rate limiters: exact across processes and threads, OverLimit rescheduling, reclaim."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable

import pytest
import redis

import robin
from robin_enterprise import OverLimit, limiter
from robin_licensing import LicenseError
from tests.conftest import tags, wait_until
from tests.support.worker import ROOT, Worker, subprocess_env

APP = "tests.apps.enterprise_jobs"
NS = "{robin}:"
pytestmark = pytest.mark.slow


def test_limits_hold_exactly_across_four_processes_of_ten_threads(r: redis.Redis, enterprise: str) -> None:
    hammers = [subprocess.Popen([sys.executable, "-m", "tests.enterprise.hammer", "3"], cwd=ROOT,
                                env=subprocess_env()) for _ in range(4)]
    for process in hammers:
        assert process.wait(60) == 0
    assert r.lrange("test:violations", 0, -1) == []  # never more than 5 holders at once
    per_window = {int(w): int(n) for w, n in r.hgetall("test:bucket").items()}
    assert per_window and max(per_window.values()) == 30  # the bucket was full, and never over
    assert sum(per_window.values()) >= 60

    # Sliding window, 10 per 100 ms: any 11 consecutive grants span at least 100 ms.
    window = sorted(int(t) for t in r.lrange("test:window", 0, -1))
    assert len(window) >= 150  # it was saturated: ~100 per second for 3 s
    spans = [window[i + 10] - window[i] for i in range(len(window) - 10)]
    assert min(spans) >= 100_000, f"11 grants within {min(spans)} us"

    # Leaky bucket of 10 draining 100 per second: grants i..j (inclusive) never exceed
    # 10 + 100/s x (t_j - t_i).  Checked for every pair in one pass.
    leaky = sorted(int(t) for t in r.lrange("test:leaky", 0, -1))
    assert len(leaky) >= 150
    leaky = [t - leaky[0] for t in leaky]  # small numbers: exact in floating point
    rate = 100 / 1e6  # per microsecond
    worst = max_excess = float("-inf")
    for j, t in enumerate(leaky):
        worst = max(worst, -j + t * rate)  # the best i for this j: max over i <= j of (t_i * rate - i)
        max_excess = max(max_excess, (j + 1) - t * rate + worst - 10)
    assert max_excess <= 1e-6, f"{max_excess:.6f} grants over the leaky limit"


def test_a_concurrent_limiter_waits_then_gives_up_with_over_limit(r: redis.Redis, enterprise: str) -> None:
    one = limiter.concurrent("unit-one", 1, wait_timeout=0.3, lock_timeout=10)
    with one:
        started = time.monotonic()
        with pytest.raises(OverLimit, match=r"rate limiter 'unit-one' \(concurrent, at most 1 at once\) is over its "
                                            r"limit: waited 0\.3"):
            one.acquire()
        assert 0.25 < time.monotonic() - started < 1.5
    with one.acquire():  # free again
        pass
    assert r.get(NS + "plugin:enterprise:limiter:unit-one:over") == b"1"


def test_window_bucket_and_leaky_limiters(r: redis.Redis, enterprise: str) -> None:
    sliding = limiter.window("unit-window", 3, 1.0, wait_timeout=5)
    started = time.monotonic()
    for _ in range(4):
        sliding.acquire()
    assert 0.9 < time.monotonic() - started < 2.0  # the fourth waited for the oldest to leave
    leaky = limiter.leaky("unit-leaky", 5, 1.0, wait_timeout=5)
    started = time.monotonic()
    for _ in range(7):
        leaky.acquire()
    assert 0.3 < time.monotonic() - started < 1.5  # a burst of 5 at once, then 5 per second
    bucket = limiter.bucket("unit-bucket", 2, "second", wait_timeout=0)
    bucket.acquire()
    bucket.acquire()
    with pytest.raises(OverLimit):
        bucket.acquire()


def test_async_with_and_unlimited(r: redis.Redis, enterprise: str) -> None:
    one = limiter.concurrent("unit-async", 1, wait_timeout=2, lock_timeout=10)

    async def both() -> list[str]:
        order: list[str] = []

        async def hold(tag: str) -> None:
            async with one:
                order.append(f"{tag}>")
                await asyncio.sleep(0.1)
                order.append(f"<{tag}")

        await asyncio.gather(hold("a"), hold("b"))
        return order

    order = asyncio.run(both())
    assert order in (["a>", "<a", "b>", "<b"], ["b>", "<b", "a>", "<a"])
    free = limiter.unlimited()
    for _ in range(100):
        with free:
            pass


def test_a_crashed_holders_lock_is_reclaimed_after_lock_timeout(r: redis.Redis, enterprise: str) -> None:
    code = ("import os, signal; from robin_enterprise import limiter; "
            "l = limiter.concurrent('unit-crash', 1, lock_timeout=1.5); l.acquire(); "
            "os.kill(os.getpid(), signal.SIGKILL)")
    crashed = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=subprocess_env(), timeout=60)
    assert crashed.returncode == -signal.SIGKILL
    one = limiter.concurrent("unit-crash", 1, wait_timeout=5, lock_timeout=1.5)
    started = time.monotonic()
    with one:
        pass
    assert time.monotonic() - started < 2.5


def test_names_and_arguments_are_validated(enterprise: str) -> None:
    with pytest.raises(robin.ConfigurationError, match="invalid limiter name 'no spaces'"):
        limiter.concurrent("no spaces", 1)
    with pytest.raises(robin.ConfigurationError, match="limit must be a whole number >= 1"):
        limiter.bucket("ok", 0)
    with pytest.raises(robin.ConfigurationError, match="interval 'fortnight' must be one of"):
        limiter.leaky("ok", 1, "fortnight")


def test_declaring_a_limiter_needs_an_enterprise_license(unlicensed: None) -> None:
    with pytest.raises(LicenseError, match="Robin Enterprise is required for rate limiters"):
        limiter.concurrent("unlicensed", 1)


def test_over_limit_jobs_are_rescheduled_not_failed(r: redis.Redis, enterprise: str,
                                                   workers: Callable[..., Worker]) -> None:
    from tests.apps import enterprise_jobs

    for i in range(3):
        enterprise_jobs.limited.enqueue(f"l{i}", 0.5)
    worker = workers("-c", "3", app=APP).ready()
    wait_until(lambda: len(tags(r, event="end")) == 3, timeout=40)
    assert r.get(NS + "stat:failed") in (None, b"0") and r.zcard(NS + "retry") == 0
    assert "is over its limit" in worker.log()
    notes = [json.loads(x) for x in r.lrange("test:results", 0, -1)]
    events = [(e["tag"], e["event"]) for e in notes if "event" in e]  # (the app's periodic ticks note too)
    for i in range(0, len(events), 2):  # one at a time: every start is followed by its own end
        assert events[i][0] == events[i + 1][0] and (events[i][1], events[i + 1][1]) == ("start", "end")


def test_the_reschedule_cap_makes_over_limit_an_ordinary_failure(
    r: redis.Redis, enterprise: str, workers: Callable[..., Worker]
) -> None:
    from tests.apps import enterprise_jobs

    blocker = limiter.concurrent("test-never", 1, wait_timeout=0.05, lock_timeout=60)
    with blocker:
        enterprise_jobs.blocked.enqueue("capped")
        workers(app=APP).ready()
        wait_until(lambda: r.zcard(NS + "dead") == 1, timeout=20)
    [dead] = [json.loads(p) for p in r.zrange(NS + "dead", 0, -1)]
    assert dead["error_class"] == "robin_enterprise.errors.OverLimit"


def test_limiters_command(r: redis.Redis, enterprise: str) -> None:
    one = limiter.concurrent("cli-one", 3, wait_timeout=0)
    with one:
        done = subprocess.run([sys.executable, "-m", "robin", "limiters", "--json"], capture_output=True, text=True,
                              cwd=ROOT, env=subprocess_env(), timeout=60)
    [row] = [x for x in json.loads(done.stdout) if x["name"] == "cli-one"]
    assert row["kind"] == "concurrent" and row["limit"] == 3 and row["in_use"] == 1 and row["over_limit"] == 0
    assert os.environ["ROBIN_LICENSE"]
