"""Screenshots of every dashboard page for docs/web.md, taken with the browser tests' tooling.

    .venv/bin/python -m tests.web.screenshots        # writes docs/images/web-*.png

Starts its own server (as the tests do), fills it with demo data - jobs run by a real
worker, failures, scheduled jobs, a batch, a limiter, a periodic schedule - serves the
dashboard on 127.0.0.1 and photographs each page in headless Chromium.
"""

from __future__ import annotations

import json
import os
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "images"
PAGES = {"dashboard": "/?poll=1", "busy": "/busy", "queues": "/queues", "queue": "/queues/default",
         "scheduled": "/scheduled", "retries": "/retries", "dead": "/dead", "dead-job": None, "metrics": "/metrics",
         "batches": "/batches", "limiters": "/limiters", "periodic": "/periodic"}


def main() -> None:
    from tests.support.server import RedisServer, default_binary

    work = Path(tempfile.mkdtemp(prefix="robin-screenshots-"))
    server = RedisServer(default_binary(), work / "server")
    server.start()
    worker = None
    try:
        os.environ.update({"ROBIN_REDIS_URL": server.url, "ROBIN_DATA_DIR": str(work / "data"),
                           "ROBIN_LICENSE_MODE": "test", "XDG_CONFIG_HOME": str(work / "config")})
        from tests.licensing.conftest import make_key

        os.environ["ROBIN_LICENSE"] = make_key(customer="Acme Inc", tier="enterprise")
        worker = demo_data(server, work)
        shoot(work)
    finally:
        if worker is not None:
            worker.kill()
        server.stop()


def demo_data(server: object, work: Path) -> object:
    import robin
    from robin_enterprise import limiter
    from robin_pro import Batch
    from tests.apps import batchjobs, jobs
    from tests.support.worker import Worker
    from tests.web.conftest import NS, fill

    robin.configure(redis_url=os.environ["ROBIN_REDIS_URL"])
    r = server.client()  # type: ignore[attr-defined]
    rng = random.Random(7)
    for back in range(30):  # a month of history
        day = time.strftime("%Y-%m-%d", time.gmtime(time.time() - back * 86400))
        processed = rng.randint(40_000, 90_000)
        r.set(NS + f"stat:processed:{day}", processed)
        r.set(NS + f"stat:failed:{day}", rng.randint(0, processed // 40))
    for i in range(120):
        jobs.record.enqueue(f"warm-up-{i}")
    for i in range(6):
        jobs.flaky.enqueue(f"flaky-{i}", 1)
    worker = Worker(work / "worker.log", "-c", "5")
    worker.ready()
    deadline = time.monotonic() + 20
    while r.llen(NS + "queue:default") and time.monotonic() < deadline:
        time.sleep(0.1)
    for i in range(3):
        jobs.sleepy.enqueue(f"report-{i}", 600)
    r.incrby(NS + "stat:processed", 1_234_567)
    r.incrby(NS + "stat:failed", 4_321)
    for i in range(40):
        jobs.critical.options(queue="mailers").enqueue(f"welcome-{i}@example.com")
    for i in range(12):
        jobs.low.enqueue(f"reindex-{i}")
    r.sadd(NS + "queues", "default")
    for i in range(30):
        jobs.record.enqueue_in(60 * (i + 1), f"reminder-{i}", customer=1000 + i)
    fill(r, "retry", 14, job="shop.payments.charge_card", args=[4711, "EUR"], message="card declined by issuer")
    fill(r, "dead", 5, job="shop.mail.send_receipt", args=["order-1001"], message="SMTP 554: relay denied")
    fill(r, "dead", 20, start=5, job="shop.images.resize", args=["img-123.png", 800],
         message="cannot identify image file")
    batch = Batch(description="Nightly import")
    with batch.jobs():
        for i in range(25):
            batchjobs.work.enqueue(f"row-{i}")
    api = limiter.concurrent("partner-api", 10)
    api.acquire()
    limiter.bucket("emails", 100, "minute").acquire()
    definition = {"id": "5f1c0ffee", "schedule": "0 3 * * *", "cron": "0 3 * * *", "every": None,
                  "tz": "Europe/Berlin", "job": "shop.reports.nightly", "queue": "low", "args": [], "kwargs": {},
                  "run_missed": False}
    r.hset("{robin}:plugin:enterprise:periodic", definition["id"], json.dumps(definition))
    r.hset("{robin}:plugin:enterprise:periodic:job", definition["id"], f"{'a1' * 12} {time.time() - 3600:.0f}")
    time.sleep(1.5)  # the sleepy jobs show as running at the next heartbeat
    return worker


def shoot(work: Path) -> None:
    from robin.web import create_app
    from robin.web.serve import server
    from tests.web.cdp import Chromium

    running = server(create_app(), "127.0.0.1", 0)
    threading.Thread(target=running.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{running.server_address[1]}"
    browser = Chromium(width=1280, height=900)
    try:
        tab = browser.tab()
        OUT.mkdir(parents=True, exist_ok=True)
        for name, path in PAGES.items():
            if path is None:
                tab.open(base + "/dead")
                tab.click_and_wait("table.jobs a[href*='/dead/']")
            else:
                tab.open(base + path)
            if name == "dashboard":
                traffic(8.0)  # jobs run while the live graph draws
                tab.wait_for("document.getElementById('live-graph').getAttribute('data-samples') >= 8", 15)
            tab.screenshot(OUT / f"web-{name}.png")
            print(f"docs/images/web-{name}.png", file=sys.stderr)
    finally:
        browser.close()
        running.shutdown()
        running.server_close()


def traffic(seconds: float) -> None:
    """Enqueue bursts of jobs (some failing) for ``seconds``, in the background."""
    from tests.apps import jobs

    def run() -> None:
        end = time.monotonic() + seconds
        burst = 0
        while time.monotonic() < end:
            burst += 1
            jobs.record.enqueue_many([(f"live-{burst}-{i}",) for i in range(40 + 25 * (burst % 4))])
            for i in range(burst % 3):
                jobs.always_fails.enqueue(f"live-failure-{burst}-{i}")
            time.sleep(0.5)

    threading.Thread(target=run, daemon=True).start()


if __name__ == "__main__":
    main()
