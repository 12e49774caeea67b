"""Enterprise and Pro together: middleware order, and unique locks that never leak."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
import redis

import robin
from robin import config, plugins
from robin.client import Client
from robin.context import ExecutionContext
from robin_enterprise import limiter, unique
from robin_enterprise.middleware import OverLimitServer
from robin_enterprise.unique import UniqueServer
from robin_pro import Batch
from robin_pro.middleware import BatchServer, ExpiryServer
from tests.conftest import results, wait_until
from tests.support.worker import Worker

APP = "tests.apps.enterprise_jobs"
NS = "{robin}:"
UNIQUE = NS + "plugin:enterprise:unique:"
pytestmark = pytest.mark.slow


def lock_count(r: redis.Redis) -> int:
    return sum(1 for _ in r.scan_iter(match=UNIQUE + "*"))


def test_the_server_chain_is_unique_batch_expiry_overlimit_whatever_the_install_order() -> None:
    plugins.load()
    chain = robin.server_middleware.classes()
    positions = [chain.index(c) for c in (UniqueServer, BatchServer, ExpiryServer, OverLimitServer)]
    assert positions == sorted(positions), chain
    # Entry points come in install order; the set-up order does not depend on it.
    found = [(p.plugin, p.distribution, p.version) for p in plugins.loaded()]
    for order in (found, found[::-1]):
        names = [dist for _, dist, _ in plugins._setup_order(order)]
        assert names.index("robin-pro") < names.index("robin-enterprise"), names


def test_a_batch_job_waiting_for_its_limiter_is_no_batch_failure(r: redis.Redis, enterprise: str,
                                                                workers: Callable[..., Worker]) -> None:
    from tests.apps import batchjobs, enterprise_jobs

    batch = Batch(description="behind a busy limiter")
    batch.on("complete", batchjobs.on_complete, "held")
    with batch.jobs():
        enterprise_jobs.behind_held.enqueue("held-job")
    with enterprise_jobs.HELD:  # busy: the job gets OverLimit and is rescheduled
        worker = workers("-r", "tests.apps.batchjobs", app=APP).ready()
        worker.wait_for("rescheduled in")
        status = Batch.status(batch.bid)
        assert status.failures == 0 and not status.complete, status
        freed_at = time.time()
    wait_until(lambda: r.llen("test:callbacks") == 1, timeout=20)
    [callback] = [json.loads(x) for x in r.lrange("test:callbacks", 0, -1)]
    assert callback["status"]["failures"] == 0 and callback["status"]["pending"] == 0
    [ran] = [e for e in results(r) if e["tag"] == "held-job"]
    assert ran["ran_at"] > freed_at  # complete fired after the job ran, once the limiter let it


def test_an_expired_unique_job_frees_its_identity(r: redis.Redis, enterprise: str,
                                                  workers: Callable[..., Worker]) -> None:
    from tests.apps.enterprise_jobs import charge

    assert charge.options(expires_in=0.3).enqueue(7) is not None
    assert charge.enqueue(7) is None  # a duplicate while it waits
    time.sleep(0.5)
    worker = workers(app=APP).ready()
    worker.wait_for("expired")
    wait_until(lambda: lock_count(r) == 0)
    assert charge.enqueue(7) is not None  # the expired job did not keep the lock


class StopTagged(robin.ClientMiddleware):
    """A middleware after UniqueClient that stops some enqueues (maintenance mode, say)."""

    def call(self, ctx: robin.EnqueueContext, call_next: Callable[[], str | None]) -> str | None:
        return None if ctx.payload["args"] == [99] else call_next()


def test_a_unique_lock_goes_when_the_job_is_not_enqueued_after_all(
    r: redis.Redis, enterprise: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.apps.enterprise_jobs import charge

    # 1. A later client middleware stops it.
    robin.client_middleware.add(StopTagged)
    try:
        assert charge.enqueue(99) is None
    finally:
        robin.client_middleware.remove(StopTagged)
    assert lock_count(r) == 0 and charge.enqueue(99) is not None

    # 2. The batch block that collected it raises.
    with pytest.raises(RuntimeError, match="changed my mind"), Batch().jobs():
        charge.enqueue(1)
        charge.enqueue(2)
        assert lock_count(r) == 3  # 99's, 1's and 2's
        raise RuntimeError("changed my mind")
    assert lock_count(r) == 1  # only 99's
    assert charge.enqueue(1) is not None

    # 3. enqueue_many's bulk push fails after the chain accepted every job.
    def broken(self: Client, contexts: list[robin.EnqueueContext], name: str) -> None:
        raise robin.ConnectionError("the server went away (simulated)")

    monkeypatch.setattr(Client, "_push_bulk", broken)
    with pytest.raises(robin.ConnectionError):
        charge.enqueue_many([(10,), (11,), (12,)])
    monkeypatch.undo()
    assert lock_count(r) == 2  # 99's and 1's, none of 10-12
    assert None not in charge.enqueue_many([(10,), (11,), (12,)])


def test_a_release_that_fails_does_not_fail_finished_work(
    r: redis.Redis, enterprise: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def unreachable(*args: Any) -> None:
        raise redis.ConnectionError("simulated")

    ctx = ExecutionContext({"jid": "j1", "job": "x", "queue": "default", "args": [], "unique_digest": "d"},
                           b"", None, "test")
    with caplog.at_level("WARNING", logger="robin"):
        monkeypatch.setattr(unique, "release", unreachable)
        assert UniqueServer().call(ctx, lambda: "done") == "done"
        slot = limiter.concurrent("test-release", 1, lock_timeout=30)
        with slot:
            monkeypatch.setattr(limiter, "_connection", unreachable)
        monkeypatch.undo()
    assert "could not release the unique lock of job j1" in caplog.text
    assert "could not give the slot back" in caplog.text and "reclaimed after lock_timeout (30s)" in caplog.text


def test_a_unique_periodic_job_never_overlaps_itself(r: redis.Redis, enterprise: str,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    from robin_enterprise import periodic
    from tests.apps.enterprise_jobs import charge

    schedule = periodic.every(1, charge, args=(5,))
    try:
        scheduler = periodic.Scheduler("test-host:9:x")
        now = float(int(time.time()))
        with caplog.at_level("INFO", logger="robin"):
            for second in range(4):  # the first pass only starts the count
                scheduler.tick_all(now + second + 0.5)
        queued = [q for q in (json.loads(p) for p in r.lrange(NS + "queue:default", 0, -1)) if q["job"] == charge.name]
        assert len(queued) == 1 and queued[0]["unique_digest"], queued  # client middleware saw it
        assert caplog.text.count("client middleware stopped it") == 2
        last = float(r.hget(NS + "plugin:enterprise:periodic:last", schedule.id) or 0)
        assert last == now + 3  # the stopped ticks count as handled: not tried again every pass
    finally:
        periodic.unregister(schedule)
        config.reset()
