"""Periodic jobs and leader election: one leader, exactly one enqueue per tick fleet-wide."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable

import pytest
import redis

from robin_enterprise import leader, periodic
from robin_enterprise.cron import CronError
from robin_licensing import LicenseError
from tests.conftest import wait_until
from tests.support.worker import ROOT, Worker, subprocess_env

APP = "tests.apps.enterprise_jobs"
NS = "{robin}:"
pytestmark = pytest.mark.slow


def runs(r: redis.Redis) -> list[tuple[float, str]]:
    """(tick, jid) of every run of a periodic job."""
    return [(run["at"], run["jid"]) for run in map(json.loads, r.lrange("test:ticks", 0, -1))]


def ticks(r: redis.Redis) -> list[float]:
    """The tick of every *enqueue*: a job that ran again after its process was SIGKILLed
    mid-run (at-least-once delivery) is still one enqueue of its tick."""
    return [tick for tick, _ in dict.fromkeys(runs(r))]


def leader_pid(r: redis.Redis) -> int | None:
    holder = r.get(NS + "plugin:enterprise:leader")
    return int(holder.decode().split(":")[1]) if holder else None


def test_one_tick_one_job_across_a_sigkilled_leader(r: redis.Redis, enterprise: str,
                                                    workers: Callable[..., Worker]) -> None:
    first = workers("-p", "2", app=APP).ready(count=2)
    wait_until(lambda: len(ticks(r)) >= 3, timeout=20)
    old_leader = leader_pid(r)
    assert old_leader is not None
    os.kill(old_leader, signal.SIGKILL)
    killed_at = time.time()
    wait_until(lambda: leader_pid(r) not in (None, old_leader), timeout=15)
    assert time.time() - killed_at < 2.0 + 0.2 + 1.5  # lease + try_every (+ slack): the documented bound
    seen = len(ticks(r))
    wait_until(lambda: len(ticks(r)) >= seen + 3, timeout=20)
    first.stop()
    counts = Counter(ticks(r))
    assert set(counts.values()) == {1}  # no tick ran twice
    ordered = sorted(counts)
    gaps = [round(b - a) for a, b in itertools.pairwise(ordered)]
    assert max(gaps) <= 4  # the hand-over lost at most the ticks of the lease (~2 s), none long after


def test_is_leader_and_the_leader_event(r: redis.Redis, enterprise: str) -> None:
    events: list[bool] = []
    import robin

    robin.on("leader", lambda event: events.append(event.data["leader"]))
    mine = leader.Leadership("test-host:1:me")
    leader.set_current(mine)
    try:
        assert mine.step() and leader.is_leader()
        other = leader.Leadership("test-host:2:other")
        assert not other.step()
        mine.give_up()
        assert not leader.is_leader() and other._next_try <= time.monotonic() + leader.TRY_EVERY
        time.sleep(leader.TRY_EVERY)
        assert other.step()
        other.give_up()
    finally:
        leader.set_current(None)
        mine.close()  # deliver what is queued: handlers run on a thread of their own
    assert events[:2] == [True, False]


def test_a_leader_cut_off_from_the_server_stops_believing_it_leads(r: redis.Redis, enterprise: str) -> None:
    import robin
    from robin import config

    events: list[bool] = []
    robin.on("leader", lambda event: events.append(event.data["leader"]) if event.identity == "cut-off" else None)
    mine = leader.Leadership("cut-off")
    assert mine.step()
    believed_until = mine._valid_until
    assert believed_until <= time.monotonic() + leader.LEASE * leader.SAFETY
    config.reset()
    robin.configure(redis_url="redis://127.0.0.1:1")  # nothing listens there
    try:
        while time.monotonic() < believed_until + 0.5:
            mine._next_try = 0.0  # try now
            with pytest.raises(redis.ConnectionError):
                mine.step()
            time.sleep(0.05)
        assert not mine.is_leader()
    finally:
        mine.close()
        config.reset()
    assert events == [True, False]  # "no longer leader" although the server never said so


def test_leader_timings_are_checked() -> None:
    from robin import ConfigurationError

    with pytest.raises(ConfigurationError, match=r"renew_every \(9 s\) must be well under the lease \(10 s\)"):
        leader.configure(lease=10, renew_every=9)
    with pytest.raises(ConfigurationError, match="must be positive"):
        leader.configure(try_every=0)


def test_registration_validates_the_cron_and_the_time_zone(enterprise: str) -> None:
    from tests.apps import enterprise_jobs

    with pytest.raises(CronError, match=r"minute 61 is out of range 0-59"):
        periodic.register("61 * * * *", enterprise_jobs.tick)
    with pytest.raises(Exception, match="unknown time zone 'Mars/Base'"):
        periodic.register("* * * * *", enterprise_jobs.tick, tz="Mars/Base")
    schedule = periodic.register("*/5 9-17 * * MON-FRI", enterprise_jobs.tick, tz="Europe/Berlin", queue="low")
    try:
        assert schedule.next_run(time.time()) > time.time()
    finally:
        periodic.unregister(schedule)


def test_missed_ticks_are_logged_and_not_run_late(r: redis.Redis, enterprise: str,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    from tests.apps import enterprise_jobs

    schedule = periodic.every(10, enterprise_jobs.tick)
    try:
        scheduler = periodic.Scheduler("test-host:3:x")
        r.hset(NS + "plugin:enterprise:periodic:last", schedule.id, repr(time.time() - 600))  # leader gone 10 min
        with caplog.at_level("WARNING", logger="robin"):
            scheduler.tick_all(time.time())
        assert "ticks were missed while no leader was running" in caplog.text and "not running them late" in caplog.text
        # Only the ticks of the last CATCH_UP (60 s) are enqueued, late; the 54 before are not.
        assert 5 <= r.llen(NS + "queue:default") <= 7
    finally:
        periodic.unregister(schedule)


def test_registering_needs_an_enterprise_license(unlicensed: None) -> None:
    from robin.job import registered

    tick = registered("tests.apps.jobs.record")
    assert tick is not None
    with pytest.raises(LicenseError, match="Robin Enterprise is required for periodic jobs"):
        periodic.every(5, tick, args=("x",))


def test_periodic_command_lists_schedules(r: redis.Redis, enterprise: str, workers: Callable[..., Worker]) -> None:
    workers(app=APP).ready()
    wait_until(lambda: len(ticks(r)) >= 2, timeout=20)
    done = subprocess.run([sys.executable, "-m", "robin", "periodic", "--json"], capture_output=True, text=True,
                          cwd=ROOT, env=subprocess_env(), timeout=60)
    data = json.loads(done.stdout)
    [row] = [s for s in data["schedules"] if s["job"] == "tests.apps.enterprise_jobs.tick"]
    assert row["schedule"] == "every 1 s" and row["last_jid"] and row["next_run"] > time.time() - 1
    assert data["leader"]
