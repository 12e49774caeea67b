"""One process of the limiter exactness test: 10 threads hammering two limiters.

Run as ``python -m tests.enterprise.hammer SECONDS``.  Every holder of the concurrent
limiter counts itself in ``test:holders`` (INCR on entry, DECR on exit) and notes any
count above the limit; every bucket grant notes the window it counted in.
"""

from __future__ import annotations

import sys
import threading
import time

from robin_enterprise import limiter
from tests.apps.jobs import conn

FIVE = limiter.concurrent("test-five", 5, wait_timeout=30, lock_timeout=30)
THIRTY = limiter.bucket("test-thirty", 30, "second", wait_timeout=30)


def hammer(until: float) -> None:
    r = conn()
    while time.time() < until:
        with FIVE:
            holders = r.incr("test:holders")
            if holders > 5:
                r.rpush("test:violations", holders)
            time.sleep(0.002)
            r.decr("test:holders")
        lease = THIRTY.acquire()
        r.hincrby("test:bucket", str(lease.window), 1)


if __name__ == "__main__":
    deadline = time.time() + float(sys.argv[1])
    threads = [threading.Thread(target=hammer, args=(deadline,)) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
