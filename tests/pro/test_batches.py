"""Batches against a real server and real workers: each callback fires exactly once."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable

import pytest
import redis

from robin_licensing import LicenseError
from robin_pro import Batch, BatchNotFoundError
from robin_pro import batch as batch_module
from tests.apps import batchjobs
from tests.conftest import results, tags, wait_until
from tests.pro.conftest import callbacks
from tests.support.worker import Worker

APP = "tests.apps.batchjobs"
pytestmark = pytest.mark.slow


def test_a_thousand_jobs_over_two_processes_fire_complete_and_success_once(
    r: redis.Redis, licensed: str, workers: Callable[..., Worker]
) -> None:
    batch = Batch(description="a thousand")
    batch.on("complete", batchjobs.on_complete, "big")
    batch.on("success", batchjobs.on_success, "big")
    with batch.jobs():
        for i in range(1000):
            batchjobs.work.enqueue(f"big-{i}", 1 if i % 10 == 0 else 0)  # one in ten fails once
    workers("-p", "2", app=APP).ready(count=2)
    wait_until(lambda: callbacks(r, "success"), timeout=60)
    time.sleep(1.0)  # a second firing would show up by now
    assert [c["label"] for c in callbacks(r)].count("big") == 2
    [complete], [success] = callbacks(r, "complete"), callbacks(r, "success")
    assert complete["status"]["total"] == 1000 and complete["status"]["complete"] is True
    assert success["status"] == {**success["status"], "bid": batch.bid, "total": 1000, "pending": 0,
                                 "failures": 0, "failed_jids": [], "complete": True, "succeeded": True,
                                 "description": "a thousand"}
    status = Batch.status(batch.bid)
    assert (status.total, status.pending, status.failures, status.succeeded) == (1000, 0, 0, True)
    assert len(set(tags(r))) == 1000


def test_a_death_fires_death_and_complete_but_never_success(
    r: redis.Redis, licensed: str, workers: Callable[..., Worker]
) -> None:
    batch = Batch(description="with a death")
    for event, job in (("complete", batchjobs.on_complete), ("success", batchjobs.on_success),
                       ("death", batchjobs.on_death)):
        batch.on(event, job, "d")
    with batch.jobs():
        batchjobs.work.enqueue("fine")
        dead_jid = batchjobs.doomed.enqueue("gone")
        batchjobs.doomed.enqueue("gone-too")
    workers(app=APP).ready()
    wait_until(lambda: callbacks(r, "complete") and len(callbacks(r, "death")) == 1, timeout=20)
    time.sleep(1.0)
    assert not callbacks(r, "success") and len(callbacks(r, "death")) == 1
    status = Batch.status(batch.bid)
    assert status.deaths == 2 and status.pending == 2 and status.complete and not status.succeeded
    assert dead_jid in status.failed_jids


def test_retried_jobs_count_once_and_failures_are_reported(
    r: redis.Redis, licensed: str, workers: Callable[..., Worker]
) -> None:
    batch = Batch()
    batch.on("complete", batchjobs.on_complete, "retried")
    batch.on("success", batchjobs.on_success, "retried")
    with batch.jobs():
        jid = batchjobs.work.enqueue("twice", 2)
    workers(app=APP).ready()
    [complete] = wait_until(lambda: callbacks(r, "complete"), timeout=15)
    assert complete["status"]["failures"] == 1 and complete["status"]["failed_jids"] == [jid]
    wait_until(lambda: callbacks(r, "success"), timeout=15)
    assert Batch.status(batch.bid).failures == 0


def test_an_empty_batch_fires_its_callbacks(r: redis.Redis, licensed: str, workers: Callable[..., Worker]) -> None:
    batch = Batch(description="empty")
    batch.on("complete", batchjobs.on_complete, "empty")
    batch.on("success", batchjobs.on_success, "empty")
    with batch.jobs():
        pass
    workers(app=APP).ready()
    wait_until(lambda: len(callbacks(r)) == 2, timeout=10)


def test_nested_batches_the_parent_succeeds_after_its_children(
    r: redis.Redis, licensed: str, workers: Callable[..., Worker]
) -> None:
    parent = Batch(description="parent")
    parent.on("success", batchjobs.on_success, "parent")
    with parent.jobs():
        batchjobs.parent_step.enqueue("nest", 5)
        batchjobs.work.enqueue("nest-sibling")
    workers(app=APP).ready()
    wait_until(lambda: {c["label"] for c in callbacks(r, "success")} == {"parent", "nest-child"}, timeout=20)
    [step] = [e for e in results(r) if e["tag"] == "nest-parent-step"]
    child = Batch.status(step["child"])
    assert child.parent == parent.bid and child.succeeded and Batch.status(parent.bid).children == 1
    # The callback jobs may run in any order; when each batch *fired* (server time) may not.
    fired = {bid: float(r.hget("{robin}:plugin:pro:batch:" + bid, "fired_success")) for bid in (child.bid, parent.bid)}
    assert fired[child.bid] <= fired[parent.bid]


def test_a_running_job_may_add_jobs_to_its_own_batch(
    r: redis.Redis, licensed: str, workers: Callable[..., Worker]
) -> None:
    batch = Batch(description="growing")
    batch.on("success", batchjobs.on_success, "grow")
    with batch.jobs():
        batchjobs.grow.enqueue(batch.bid, "g", 4)
    workers(app=APP).ready()
    [success] = wait_until(lambda: callbacks(r, "success"), timeout=15)
    assert success["status"]["total"] == 5 and len([t for t in tags(r) if t.startswith("g-grown-")]) == 4


def test_sigkill_mid_batch_still_fires_each_callback_once(
    r: redis.Redis, licensed: str, workers: Callable[..., Worker]
) -> None:
    batch = Batch(description="killed")
    batch.on("complete", batchjobs.on_complete, "k")
    batch.on("success", batchjobs.on_success, "k")
    with batch.jobs():
        for i in range(40):
            batchjobs.work.enqueue(f"k-{i}", 0, 0.1)
    victim = workers("-c", "4", app=APP).ready()
    wait_until(lambda: len(tags(r)) >= 5)
    victim.kill()
    workers("-c", "4", app=APP).ready()
    wait_until(lambda: callbacks(r, "success"), timeout=40)
    time.sleep(1.0)
    assert Counter(c["event"] for c in callbacks(r)) == {"complete": 1, "success": 1}
    assert len(set(tags(r))) == 40


def test_completion_hammered_from_many_threads_fires_once(r: redis.Redis, licensed: str) -> None:
    batch = Batch(description="hammered")
    batch.on("complete", batchjobs.on_complete, "h")
    batch.on("success", batchjobs.on_success, "h")
    with batch.jobs():
        jids = batchjobs.work.enqueue_many([(f"h-{i}",) for i in range(400)])
    r.delete("{robin}:queue:default")  # no worker: this test plays the workers' part

    def finish(part: list[str]) -> None:
        for jid in part:
            batch_module.record(batch.bid, jid, "failure")
            batch_module.record(batch.bid, jid, "success")
            batch_module.record(batch.bid, jid, "success")  # delivered twice

    threads = [threading.Thread(target=finish, args=(jids[i::16],)) for i in range(16)]  # type: ignore[arg-type]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    queued = [json.loads(p) for p in r.lrange("{robin}:queue:default", 0, -1)]
    events = Counter(p["batch_callback"]["event"] for p in queued)
    assert events == {"complete": 1, "success": 1}
    success = next(p for p in queued if p["batch_callback"]["event"] == "success")
    assert success["args"][0]["pending"] == 0 and success["args"][0]["total"] == 400 and success["args"][1] == "h"
    assert success["job"] == "tests.apps.batchjobs.on_success" and isinstance(success["enqueued_at"], float)


def test_jobs_are_pushed_when_the_block_ends_and_not_at_all_if_it_raises(r: redis.Redis, licensed: str) -> None:
    batch = Batch(description="deferred")
    with batch.jobs():
        batchjobs.work.enqueue("a")
        batchjobs.work.enqueue_many([("b",), ("c",)])
        assert r.llen("{robin}:queue:default") == 0  # collected, not pushed yet
    assert r.llen("{robin}:queue:default") == 3 and Batch.status(batch.bid).total == 3
    failed = Batch(description="raises")
    with pytest.raises(ZeroDivisionError), failed.jobs():
        batchjobs.work.enqueue("never")
        1 / 0  # noqa: B018
    assert r.llen("{robin}:queue:default") == 3
    with pytest.raises(BatchNotFoundError):
        Batch.status(failed.bid)  # nothing half-made is left


def test_a_parent_killed_inside_a_child_block_is_not_stuck(
    r: redis.Redis, licensed: str, workers: Callable[..., Worker]
) -> None:
    parent = Batch(description="parent of a crash")
    parent.on("success", batchjobs.on_success, "crash-parent")
    with parent.jobs():
        batchjobs.parent_killed_mid_block.enqueue("crash")
    workers("-p", "1", app=APP).ready()
    wait_until(lambda: {c["label"] for c in callbacks(r, "success")} == {"crash-child", "crash-parent"}, timeout=40)
    assert Batch.status(parent.bid).children == 1  # the dead attempt left no child behind


def test_callbacks_added_inside_the_block_or_to_an_existing_batch_fire(
    r: redis.Redis, licensed: str, workers: Callable[..., Worker]
) -> None:
    batch = Batch(description="late callbacks")
    with batch.jobs():
        batchjobs.work.enqueue("slow", 0, 1.0)
        batch.on("complete", batchjobs.on_complete, "inside")
    Batch(batch.bid).on("success", batchjobs.on_success, "existing")
    workers(app=APP).ready()
    wait_until(lambda: len(callbacks(r)) == 2, timeout=15)
    for callback in callbacks(r):
        assert callback["status"]["bid"] == batch.bid and callback["status"]["total"] == 1


def test_an_unknown_bid_creates_no_batch(r: redis.Redis, unlicensed: None) -> None:
    with Batch("no-such-batch").jobs():
        batchjobs.work.enqueue("runs-anyway")
    assert r.llen("{robin}:queue:default") == 1  # the job is enqueued...
    with pytest.raises(BatchNotFoundError):
        Batch.status("no-such-batch")  # ...but no batch was made without a license


def test_every_batch_key_expires(r: redis.Redis, licensed: str, workers: Callable[..., Worker]) -> None:
    parent = Batch(description="keys")
    with parent.jobs():
        batchjobs.doomed.enqueue("dies")
        batchjobs.parent_step.enqueue("ttl", 1)
    workers(app=APP).ready()
    wait_until(lambda: r.zcard("{robin}:dead") == 1 and Batch.status(parent.bid).complete, timeout=20)
    keys = list(r.scan_iter(match="{robin}:plugin:pro:batch:*"))
    assert keys and all(r.ttl(k) > 0 for k in keys), [(k, r.ttl(k)) for k in keys if r.ttl(k) <= 0]


def test_batch_data_expires_after_success_and_jobs_run_without_it(
    r: redis.Redis, licensed: str, workers: Callable[..., Worker]
) -> None:
    batch = Batch(description="short-lived")
    batch.on("success", batchjobs.on_success, "ttl")
    with batch.jobs():
        batchjobs.work.enqueue("ttl-1")
    workers(app=APP).ready()
    wait_until(lambda: callbacks(r, "success"), timeout=15)
    keys = list(r.scan_iter(match="{robin}:plugin:pro:batch:" + batch.bid + "*"))
    assert keys and all(0 < r.ttl(k) <= batch_module.SUCCESS_TTL for k in keys)
    orphan = Batch(description="gone")
    with orphan.jobs():
        batchjobs.work.enqueue("orphan-job")
    for key in r.scan_iter(match="{robin}:plugin:pro:batch:" + orphan.bid + "*"):
        r.delete(key)  # as if it had expired
    wait_until(lambda: "orphan-job" in tags(r), timeout=10)
    with pytest.raises(BatchNotFoundError, match="its data expired"):
        Batch.status(orphan.bid)


def test_new_batches_need_a_license_but_running_ones_carry_on(
    r: redis.Redis, licensed: str, workers: Callable[..., Worker], monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = Batch(description="licensed when made")
    batch.on("success", batchjobs.on_success, "lic")
    with batch.jobs():
        for i in range(3):
            batchjobs.work.enqueue(f"lic-{i}")
    for variable in ("ROBIN_LICENSE", "ROBIN_LICENSE_MODE"):
        monkeypatch.delenv(variable)
    from robin_licensing import gate

    gate.refresh()
    with pytest.raises(LicenseError, match=r"Robin Pro is required for batches.*robin license activate -"):
        Batch(description="new work")
    worker = workers(app=APP).ready()  # a worker without any license
    assert "Robin Pro 1.0.0 is not licensed" in worker.log()
    wait_until(lambda: callbacks(r, "success"), timeout=15)  # work in flight is never broken
    Batch(batch.bid)  # reopening an existing batch is not new work


def test_callbacks_must_be_jobs_and_events_known(licensed: str) -> None:
    import robin

    batch = Batch()
    with pytest.raises(robin.ConfigurationError, match="unknown batch event 'done'"):
        batch.on("done", batchjobs.on_success)
    with pytest.raises(robin.ConfigurationError, match=r"a batch callback must be a @robin\.job"):
        batch.on("success", print)  # type: ignore[arg-type]
