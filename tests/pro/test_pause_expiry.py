"""Pausing queues fleet-wide, expiring jobs, and the Pro commands."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable

import pytest
import redis

import robin
from robin.api import Queue
from robin_licensing import LicenseError
from robin_pro import Batch
from tests.apps import batchjobs, jobs
from tests.conftest import tags, wait_until
from tests.pro.conftest import callbacks
from tests.support.worker import ROOT, Worker, subprocess_env

APP = "tests.apps.batchjobs"
pytestmark = pytest.mark.slow


def robin_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "robin", *args], capture_output=True, text=True,
                          env=subprocess_env(COLUMNS="160"), cwd=ROOT, timeout=60)


def test_a_paused_queue_accepts_jobs_and_no_process_fetches_it(
    r: redis.Redis, licensed: str, workers: Callable[..., Worker]
) -> None:
    workers(app=APP).ready()
    workers("-p", "2", app=APP).ready(count=2)
    Queue("low").pause()
    assert Queue("low").paused
    time.sleep(1.0)  # "within one second", fleet-wide
    for i in range(5):
        jobs.low.enqueue(f"held-{i}")
    jobs.record.enqueue("other-queues-run")
    wait_until(lambda: "other-queues-run" in tags(r))
    time.sleep(1.5)
    assert not [t for t in tags(r) if t.startswith("held-")] and Queue("low").size == 5
    started = time.monotonic()
    Queue("low").unpause()
    wait_until(lambda: len([t for t in tags(r) if t.startswith("held-")]) == 5, timeout=10)
    assert time.monotonic() - started < 1.5


def test_pause_and_unpause_from_the_cli(r: redis.Redis, licensed: str) -> None:
    paused = robin_cli("queue", "pause", "reports")
    assert paused.returncode == 0 and "queue reports is paused" in paused.stdout
    queues = json.loads(robin_cli("queues", "--json").stdout) if Queue.all() else []
    assert Queue("reports").paused and all(q["paused"] for q in queues if q["name"] == "reports")
    assert robin_cli("queue", "unpause", "reports").returncode == 0 and not Queue("reports").paused


def test_pausing_needs_a_license_unpausing_never(r: redis.Redis, unlicensed: None) -> None:
    with pytest.raises(LicenseError, match="Robin Pro is required for pausing queues"):
        Queue("low").pause()
    Queue("low").unpause()  # resuming work must always be possible


def test_a_job_not_started_in_time_is_dropped_and_counted(
    r: redis.Redis, licensed: str, workers: Callable[..., Worker]
) -> None:
    @robin.job(expires_in=0.5)
    def perishable(tag: str) -> None: ...

    assert perishable.job_options.extra == {"expires_in": 0.5}
    expiring = jobs.record.options(expires_in=0.5)
    expiring.enqueue("too-late")
    jobs.record.options(expires_in=60).enqueue("in-time")
    [payload, _] = [json.loads(p) for p in r.lrange("{robin}:queue:default", 0, -1)]
    assert payload["expires_at"] == pytest.approx(time.time() + 60, abs=5)
    time.sleep(1.0)
    worker = workers(app=APP).ready()
    wait_until(lambda: "in-time" in tags(r))
    time.sleep(0.3)
    assert "too-late" not in tags(r)
    assert "dropped without running" in worker.log() and r.get("{robin}:plugin:pro:expired") == b"1"


def test_scheduled_jobs_expire_from_their_due_time(r: redis.Redis, licensed: str) -> None:
    jobs.record.options(expires_in=30).enqueue_in(100, "later")
    [(payload, due)] = [(json.loads(p), s) for p, s in r.zrange("{robin}:schedule", 0, -1, withscores=True)]
    assert payload["expires_at"] == pytest.approx(due + 30, abs=1)


def test_an_expired_job_in_a_batch_counts_as_a_success(
    r: redis.Redis, licensed: str, workers: Callable[..., Worker]
) -> None:
    batch = Batch(description="perishable")
    batch.on("success", batchjobs.on_success, "expired")
    with batch.jobs():
        batchjobs.work.options(expires_in=0.3).enqueue("spoils")
    time.sleep(0.8)
    workers(app=APP).ready()
    [success] = wait_until(lambda: callbacks(r, "success"), timeout=15)
    assert success["status"]["pending"] == 0 and "spoils" not in tags(r)


def test_expiring_jobs_need_a_license_at_enqueue(r: redis.Redis, unlicensed: None) -> None:
    with pytest.raises(LicenseError, match="Robin Pro is required for expiring jobs \\(expires_in\\)"):
        jobs.record.options(expires_in=10).enqueue("x")
    with pytest.raises(robin.ConfigurationError, match="expires_in=-1 is invalid"):
        jobs.record.options(expires_in=-1)


def test_batch_commands(r: redis.Redis, licensed: str, workers: Callable[..., Worker]) -> None:
    batch = Batch(description="cli batch")
    with batch.jobs():
        for i in range(3):
            batchjobs.work.enqueue(f"cli-{i}")
    listed = json.loads(robin_cli("batches", "--json").stdout)
    assert listed[0]["bid"] == batch.bid and listed[0]["total"] == 3 and listed[0]["pending"] == 3
    shown = robin_cli("batch", batch.bid)
    assert "cli batch" in shown.stdout and "running" in shown.stdout
    workers(app=APP).ready()
    watched = robin_cli("batch", batch.bid, "--watch")
    assert watched.returncode == 0 and f"batch {batch.bid}: succeeded" in watched.stdout
    assert "succeeded" in robin_cli("batches").stdout
    missing = robin_cli("batch", "nope")
    assert missing.returncode == 1 and "robin: error: no batch nope" in missing.stderr


def test_a_retried_expiring_job_runs_however_late(
    r: redis.Redis, licensed: str, workers: Callable[..., Worker]
) -> None:
    batch = Batch(description="retried expiring")
    batch.on("success", batchjobs.on_success, "retried-expiring")
    with batch.jobs():
        batchjobs.fails_then_works.options(expires_in=1.0).enqueue("late-retry")
    workers(app=APP).ready()
    [success] = wait_until(lambda: callbacks(r, "success"), timeout=20)
    assert "late-retry" in tags(r)  # it started once in time: its retry is not dropped
    assert success["status"]["failures"] == 0
