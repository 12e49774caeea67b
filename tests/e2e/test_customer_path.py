"""The customer's path, end to end: four freshly built wheels, a fresh virtual environment,
a real server; install, activate, upgrade to Enterprise, uninstall.

Each step is a function; they run in order on one machine, as a customer would go.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.e2e.machine import Machine, build_wheels, wait_for
from tests.licensing.conftest import make_key

pytestmark = pytest.mark.slow

NS = "{robin}:"


@pytest.fixture
def machine(tmp_path: Path, r: redis.Redis, server: Any) -> Iterator[Machine]:
    instance = Machine(tmp_path / "customer", server.url)
    yield instance
    instance.kill_workers()


def notes(r: redis.Redis, event: str) -> list[dict[str, Any]]:
    return [n for n in (json.loads(x) for x in r.lrange("shop:notes", 0, -1)) if n["event"] == event]


@pytest.mark.timeout(900)
def test_the_customer_path_from_wheels(tmp_path: Path, r: redis.Redis, machine: Machine) -> None:
    wheels = build_wheels(tmp_path / "dist")
    step_1_core_only(machine, wheels)
    step_2_pro_without_a_license(machine, wheels)
    step_3_activate_a_pro_key(machine, r)
    step_4_enterprise(machine, wheels, r)
    step_5_uninstall_the_paid_wheels(machine, r)


def step_1_core_only(m: Machine, wheels: dict[str, Path]) -> None:
    m.pip("install", "--quiet", str(wheels["core"]))
    assert m.installed() == {"robin"}
    assert "cryptography" not in m.pip("list")  # the free core does not pull the licensing stack

    demo = m.ok(m.python, str(Path(__file__).resolve().parents[2] / "examples" / "demo.py"), timeout=120)
    assert "Done: 8 executions" in demo, demo

    status = m.robin("license", "status")
    assert status.returncode != 0
    assert "comes with robin-licensing" in status.stderr and "which is not installed" in status.stderr
    assert "install robin-pro (or robin-enterprise)" in status.stderr, status.stderr
    assert "robin license activate -" in status.stderr


def step_2_pro_without_a_license(m: Machine, wheels: dict[str, Path]) -> None:
    m.pip("install", "--quiet", str(wheels["licensing"]), str(wheels["pro"]))
    assert m.installed() == {"robin", "robin-licensing", "robin-pro"}

    worker = m.worker("shop.jobs")
    assert "Robin Pro 1.0.0 is not licensed: no license is active" in worker.log()
    assert worker.stop() == 0

    batch = m.code("from robin_pro import Batch\nBatch()")
    assert batch.returncode != 0
    assert ("robin_licensing.errors.LicenseError: Robin Pro is required for batches, and no license is "
            "active") in batch.stderr
    assert "robin license activate -" in batch.stderr

    status = m.robin("license", "status")
    assert status.returncode == 1 and "no license is active" in status.stderr


def step_3_activate_a_pro_key(m: Machine, r: redis.Redis) -> None:
    key = make_key(customer="Acme Shipping", email="ops@acme-shipping.test", tier="pro")
    activated = m.robin("license", "activate", "-", stdin=key + "\n")
    assert activated.returncode == 0, activated.stderr
    assert "activated: Robin Pro, TEST license, licensed to Acme Shipping" in activated.stdout
    assert key not in activated.stdout + activated.stderr  # never echoed

    status = m.robin("license", "status")
    assert status.returncode == 0, status.stderr
    assert "customer:    Acme Shipping <ops@acme-shipping.test>" in status.stdout

    worker = m.worker("shop.jobs")
    assert "Robin Pro 1.0.0 TEST license, licensed to Acme Shipping" in worker.log()
    run_a_batch(m, r, "first")
    assert worker.stop() == 0


def run_a_batch(m: Machine, r: redis.Redis, name: str) -> None:
    done = m.code(f"""
from robin_pro import Batch
from shop.jobs import all_packed, pack
batch = Batch(description="orders")
batch.on("success", all_packed, {name!r})
with batch.jobs():
    for order in range(3):
        pack.enqueue(order)
""")
    assert done.returncode == 0, done.stderr
    [callback] = wait_for(lambda: [n for n in notes(r, "callback") if n["name"] == name], f"batch {name}'s callback")
    assert callback == {"event": "callback", "name": name, "total": 3, "failures": 0}


def step_4_enterprise(m: Machine, wheels: dict[str, Path], r: redis.Redis) -> None:
    m.pip("install", "--quiet", str(wheels["enterprise"]))
    assert m.installed() == {"robin", "robin-licensing", "robin-pro", "robin-enterprise"}

    # The Pro license does not unlock Enterprise, and says so.
    limited = m.code("import shop.limited")
    assert limited.returncode != 0
    assert ("Robin Enterprise is required for rate limiters, but the active license is for Robin Pro (TEST "
            "license, licensed to Acme Shipping") in limited.stderr, limited.stderr
    worker = m.worker("shop.jobs")
    assert "Robin Enterprise 1.0.0 is not licensed: the active license is for Robin Pro" in worker.log()
    assert worker.stop() == 0

    key = make_key(customer="Acme Shipping", email="ops@acme-shipping.test", tier="enterprise")
    activated = m.robin("license", "activate", "-", stdin=key)
    assert activated.returncode == 0 and "activated: Robin Enterprise" in activated.stdout, activated.stderr

    worker = m.worker("shop.jobs", "shop.limited")
    log = worker.log()
    assert "Robin Pro 1.0.0 TEST license, licensed to Acme Shipping" in log
    assert "Robin Enterprise 1.0.0 TEST license, licensed to Acme Shipping" in log
    done = m.code("from shop.limited import print_label\nprint_label.enqueue_many([(1,), (2,), (3,)])")
    assert done.returncode == 0, done.stderr
    wait_for(lambda: len(notes(r, "label")) == 3, "three labels printed")
    run_a_batch(m, r, "second")  # the Enterprise key keeps Pro working
    assert worker.stop() == 0


def step_5_uninstall_the_paid_wheels(m: Machine, r: redis.Redis) -> None:
    # Queued while the paid packages are installed, run after they are gone.
    done = m.code("""
from robin_pro import Batch
from shop.jobs import pack, ship
with Batch(description="left behind").jobs():
    pack.enqueue(10)
    pack.enqueue(11)
ship.options(expires_in=3600).enqueue(20)
ship.options(unique_for=600).enqueue(21)
ship.enqueue(22)
""")
    assert done.returncode == 0, done.stderr

    m.pip("uninstall", "--yes", "--quiet", "robin-enterprise", "robin-pro", "robin-licensing")
    assert m.installed() == {"robin"}
    assert "which is not installed" in m.robin("license", "status").stderr

    worker = m.worker("shop.jobs")
    wait_for(lambda: len(notes(r, "ship")) == 3, "the three ordinary jobs")
    assert sorted(n["order"] for n in notes(r, "ship")) == [20, 21, 22]
    wait_for(lambda: r.zcard(NS + "dead") == 2, "the batch's jobs in the dead set")
    dead = [json.loads(p) for p in r.zrange(NS + "dead", 0, -1)]
    assert sorted(d["args"][0] for d in dead) == [10, 11]
    for entry in dead:
        assert entry["error_class"] == "robin.PluginMissingError"
        assert "needs robin-pro (batch), which is not loaded in this worker" in entry["error_message"]
    log = worker.log()
    assert "uses expires_in of robin-pro, which is not loaded in this worker: it runs without" in log
    assert "uses unique of robin-enterprise, which is not loaded in this worker" in log
    listed = m.robin("dead", "--json")
    assert listed.returncode == 0, listed.stderr
    assert all("needs robin-pro (batch)" in e["error_message"] for e in json.loads(listed.stdout))
    assert worker.stop() == 0
