"""Unique jobs: duplicates dropped within the window, locks released at the right moment."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
import redis

import robin
from robin_licensing import LicenseError
from tests.conftest import tags, wait_until
from tests.support.worker import ROOT, Worker, subprocess_env

APP = "tests.apps.enterprise_jobs"
NS = "{robin}:"
UNIQUE = NS + "plugin:enterprise:unique:"
pytestmark = pytest.mark.slow


def locks(r: redis.Redis) -> dict[str, str]:
    found = {k.decode(): r.get(k) for k in r.scan_iter(match=UNIQUE + "*")}
    return {k: v.decode() for k, v in found.items() if v is not None}  # (one may go between SCAN and GET)


def test_a_duplicate_within_the_window_is_dropped(r: redis.Redis, enterprise: str,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    from tests.apps import enterprise_jobs

    first = enterprise_jobs.charge.enqueue(7)
    with caplog.at_level("INFO", logger="robin"):
        assert enterprise_jobs.charge.enqueue(7) is None
    assert f"duplicate of unique job tests.apps.enterprise_jobs.charge dropped: {first} holds it" in caplog.text
    assert enterprise_jobs.charge.enqueue(8) is not None  # other arguments: another identity
    assert enterprise_jobs.charge.options(queue="low").enqueue(7) is not None  # another queue too
    assert r.llen(NS + "queue:default") == 2
    [ttl] = [r.pttl(k) for k, v in locks(r).items() if v == first]
    assert 55_000 < ttl <= 60_000


def test_the_lock_goes_when_the_job_succeeds(r: redis.Redis, enterprise: str,
                                             workers: Callable[..., Worker]) -> None:
    from tests.apps import enterprise_jobs

    enterprise_jobs.charge.enqueue(1)
    workers(app=APP).ready()
    wait_until(lambda: "charge-1" in tags(r) and not locks(r), timeout=10)
    assert enterprise_jobs.charge.enqueue(1) is not None


def test_a_failing_job_keeps_its_lock_until_it_dies(r: redis.Redis, enterprise: str,
                                                    workers: Callable[..., Worker]) -> None:
    @robin.job(unique_for=600, retry=1, backoff=lambda a, e: 1.0)
    def flaky_unique(n: int) -> None:
        raise ValueError("nope")

    from tests.apps import jobs

    jid = jobs.always_fails.options(unique_for=600, retry=1).enqueue("u")
    assert jobs.always_fails.options(unique_for=600, retry=1).enqueue("u") is None
    workers(app=APP).ready()
    wait_until(lambda: r.zcard(NS + "retry") == 1, timeout=10)
    assert jid in locks(r).values()  # waiting for its retry: still held
    wait_until(lambda: r.zcard(NS + "dead") == 1, timeout=15)
    wait_until(lambda: not locks(r), timeout=5)  # dead: released


def test_unique_until_start_releases_when_the_job_starts(r: redis.Redis, enterprise: str,
                                                         workers: Callable[..., Worker]) -> None:
    from tests.apps import jobs

    sleepy = jobs.sleepy.options(unique_for=600, unique_until="start")
    sleepy.enqueue("s", 2.0)
    workers(app=APP).ready()
    wait_until(lambda: tags(r, event="start"), timeout=10)
    assert sleepy.enqueue("s", 2.0) is not None  # started: a new one may be enqueued already


def test_the_window_of_a_scheduled_job_starts_when_it_is_due(r: redis.Redis, enterprise: str) -> None:
    from tests.apps import enterprise_jobs

    jid = enterprise_jobs.charge.options(unique_for=timedelta(seconds=30)).enqueue_in(100, 9)
    [ttl] = [r.pttl(k) for k, v in locks(r).items() if v == jid]
    assert 125_000 < ttl <= 130_000


def test_unique_key_as_string_or_callable(r: redis.Redis, enterprise: str) -> None:
    from tests.apps import jobs

    by_string = jobs.record.options(unique_for=60, unique_key="nightly-report")
    assert by_string.enqueue("a") is not None and by_string.enqueue("b") is None
    by_customer = jobs.record.options(unique_for=60, unique_key=lambda tag, **kw: tag.split("-")[0])
    assert by_customer.enqueue("acme-1") is not None and by_customer.enqueue("acme-2") is None
    assert by_customer.enqueue("initech-1") is not None


def test_enqueue_many_drops_duplicates_in_one_call(r: redis.Redis, enterprise: str) -> None:
    from tests.apps import enterprise_jobs

    jids = enterprise_jobs.charge.enqueue_many([(1,), (2,), (1,), (3,), (2,)])
    assert [j is not None for j in jids] == [True, True, False, True, False]
    assert r.llen(NS + "queue:default") == 3


def test_racing_clients_exactly_one_wins(r: redis.Redis, enterprise: str) -> None:
    code = ("import sys, time; from tests.apps import enterprise_jobs; "
            "time.sleep(max(0, float(sys.argv[1]) - time.time())); "
            "print(enterprise_jobs.charge.enqueue(42))")
    start = time.time() + 1.5
    racers = [subprocess.Popen([sys.executable, "-c", code, repr(start)], cwd=ROOT, env=subprocess_env(),
                               stdout=subprocess.PIPE, text=True) for _ in range(6)]
    results: list[str] = []

    def in_thread() -> None:
        from tests.apps import enterprise_jobs

        time.sleep(max(0.0, start - time.time()))
        results.append(str(enterprise_jobs.charge.enqueue(42)))

    threads = [threading.Thread(target=in_thread) for _ in range(6)]
    for thread in threads:
        thread.start()
    outputs = [p.communicate(timeout=60)[0].strip() for p in racers]
    for thread in threads:
        thread.join()
    winners = [o for o in outputs + results if o != "None"]
    assert len(winners) == 1 and r.llen(NS + "queue:default") == 1
    assert json.loads(r.lindex(NS + "queue:default", 0))["jid"] == winners[0]  # type: ignore[arg-type]


def test_unique_jobs_need_an_enterprise_license(r: redis.Redis, unlicensed: None) -> None:
    from tests.apps import jobs

    with pytest.raises(LicenseError, match="Robin Enterprise is required for unique jobs"):
        jobs.record.options(unique_for=60).enqueue("x")
    with pytest.raises(robin.ConfigurationError, match="unique_until='later' is invalid"):
        jobs.record.options(unique_until="later")
