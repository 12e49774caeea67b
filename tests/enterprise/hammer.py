"""One process of the limiter exactness test: threads hammering four limiters.

Run as ``python -m tests.enterprise.hammer SECONDS``.  Every holder of the concurrent
limiter counts itself in ``test:holders`` (INCR on entry, DECR on exit) and notes any
count above the limit; every bucket grant notes the window it counted in; every window
and leaky grant notes the server time it was granted at (microseconds), so that the
test can check the limits against the definition.
"""

from __future__ import annotations

import sys
import threading
import time

from robin_enterprise import limiter
from tests.apps.jobs import conn

FIVE = limiter.concurrent("test-five", 5, wait_timeout=30, lock_timeout=30)
THIRTY = limiter.bucket("test-thirty", 30, "second", wait_timeout=30)
SLIDING = limiter.window("test-window", 10, 0.1, wait_timeout=30)  # 10 in any 100 ms
LEAKY = limiter.leaky("test-leaky", 10, 0.1, wait_timeout=30)  # bursts of 10, then 100 per second


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


def grant_times(until: float, limit: limiter.Limiter, key: str) -> None:
    r = conn()
    while time.time() < until:
        lease = limit.acquire()
        assert lease.granted_at is not None
        r.rpush(key, round(lease.granted_at * 1e6))


if __name__ == "__main__":
    deadline = time.time() + float(sys.argv[1])
    threads = [threading.Thread(target=hammer, args=(deadline,)) for _ in range(10)]
    threads += [threading.Thread(target=grant_times, args=(deadline, SLIDING, "test:window")) for _ in range(3)]
    threads += [threading.Thread(target=grant_times, args=(deadline, LEAKY, "test:leaky")) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
