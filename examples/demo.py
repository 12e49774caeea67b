"""The demo: enqueue the example jobs, run a worker, watch them run.

    python3 dev.py demo

Uses Robin's embedded server (started on first use, in your per-user data directory)
unless ROBIN_REDIS_URL or REDIS_URL points at a server.  The demo works in its own
namespace, "robin-demo", so it never touches other Robin data on that server.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
NAMESPACE = "robin-demo"
os.environ["ROBIN_NAMESPACE"] = NAMESPACE
sys.path.insert(0, str(HERE))

import jobs  # noqa: E402

import robin  # noqa: E402
from robin import config  # noqa: E402


def main() -> None:
    client = config.redis_client()
    print(f"Robin {robin.__version__} demo, server {client.target.masked} ({client.target.source}), "
          f"namespace {NAMESPACE}\n")
    for key in client.redis.scan_iter(match="{" + NAMESPACE + "}:*", count=500):
        client.redis.delete(key)  # start from a clean slate (the demo's namespace only)

    print("Enqueuing:")
    print(f"  greet('world')             -> jid {jobs.greet.enqueue('world')}")
    print(f"  crunch(12), an async job   -> jid {jobs.crunch.enqueue(12)}")
    jids = jobs.resize.enqueue_many([(i,) for i in range(1, 4)])
    print(f"  resize x3 in one call      -> {len(jids)} jids")
    print(f"  upload('report.pdf')       -> jid {jobs.upload.enqueue('report.pdf')} (fails once, then retries)")
    print(f"  greet('the future') in 2 s -> jid {jobs.greet.enqueue_in(2, 'the future')}")
    expected = 1 + 1 + 3 + 2 + 1  # upload runs twice

    print("\nStarting a worker (robin worker -r jobs) and waiting for every job:\n", flush=True)
    started = time.monotonic()
    worker = subprocess.Popen([sys.executable, "-m", "robin", "worker", "-r", "jobs", "--poll-interval", "0.5"],
                              cwd=HERE, env=dict(os.environ, PYTHONUNBUFFERED="1"))
    processed = 0
    try:
        while time.monotonic() - started < 60:
            processed = int(client.redis.get(client.keys.processed) or 0)
            if processed >= expected or worker.poll() is not None:
                break
            time.sleep(0.1)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)
    failed = int(client.redis.get(client.keys.failed) or 0)
    if processed < expected:
        sys.exit(f"\nthe demo stopped early: {processed} of {expected} executions seen")
    print(f"\nDone: {processed} executions ({failed} failure, retried) in {time.monotonic() - started:.1f} s.")
    print("Next: put @robin.job on your own functions, enqueue them, and run "
          "`robin worker -r yourapp.jobs`. See README.md.")


if __name__ == "__main__":
    main()
