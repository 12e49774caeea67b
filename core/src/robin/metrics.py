"""Per-job execution metrics: counts, failures, time, and a histogram for percentiles.

Workers add their measurements to one hash per UTC hour, ``{ns}:metrics:<YYYYMMDDHH>``,
kept for 26 hours, with the batch of settlements they send anyway (metrics.lua in the
same round trip).  Per job the hash holds ``<job>|n`` executions, ``<job>|f`` failures,
``<job>|ms`` total milliseconds and ``<job>|b<i>`` the count of executions in histogram
bucket ``i``.  Memory is bounded by (jobs x buckets x 26 hours), whatever the traffic.
Percentiles are read from the histogram, interpolated within a bucket: approximate, but
steady and cheap.  (A batch sent again after a lost reply counts again: metrics are
statistics, not the delivery record.)
"""

from __future__ import annotations

import bisect
import math
import threading
import time
from collections.abc import Iterable

# Upper bounds of the histogram buckets, in milliseconds; the last is open.
BUCKETS_MS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 30_000, 60_000, 300_000,
              float("inf"))
KEEP_SECONDS = 26 * 3600


def hour_of(when: float) -> str:
    return time.strftime("%Y%m%d%H", time.gmtime(when))


def bucket_of(milliseconds: float) -> int:
    return bisect.bisect_left(BUCKETS_MS, milliseconds)


class MetricsBuffer:
    """Measurements of this process not sent yet; filled by processor threads.

    Kept per job name as plain numbers (``record`` runs once per job, so it builds no
    strings) and turned into the hash's fields only when taken.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, list[float]] = {}  # job -> [count, failures, ms, bucket counts...]
        self._returned: dict[str, int] = {}      # fields put back after a failed send

    def record(self, job: str, seconds: float, failed: bool) -> None:
        ms = seconds * 1000.0
        with self._lock:
            numbers = self._jobs.get(job)
            if numbers is None:
                numbers = self._jobs[job] = [0.0] * (3 + len(BUCKETS_MS))
            numbers[0] += 1
            if failed:
                numbers[1] += 1
            numbers[2] += ms
            numbers[3 + bisect.bisect_left(BUCKETS_MS, ms)] += 1

    def take(self) -> dict[str, int]:
        with self._lock:
            jobs, self._jobs = self._jobs, {}
            fields, self._returned = self._returned, {}
        for job, numbers in jobs.items():
            for name, value in ((f"{job}|n", numbers[0]), (f"{job}|f", numbers[1]), (f"{job}|ms", round(numbers[2]))):
                if value:
                    fields[name] = fields.get(name, 0) + int(value)
            for i, count in enumerate(numbers[3:]):
                if count:
                    name = f"{job}|b{i}"
                    fields[name] = fields.get(name, 0) + int(count)
        return fields

    def put_back(self, fields: dict[str, int]) -> None:
        with self._lock:
            for name, value in fields.items():
                self._returned[name] = self._returned.get(name, 0) + value

def percentile(histogram: list[int], fraction: float, total_ms: float | None = None) -> float:
    """The ``fraction`` percentile, in seconds, of a histogram over ``BUCKETS_MS``.

    With ``total_ms`` (the executions' summed time) the estimate never exceeds what that
    total allows: at least ``n - rank + 1`` executions took the percentile's time or more.
    In the last, open bucket it stays at the bucket's lower bound unless the total says more.
    """
    total = sum(histogram)
    if total == 0:
        return 0.0
    rank = fraction * total
    ceiling = total_ms / (total - math.ceil(rank) + 1) if total_ms is not None else float("inf")
    seen = 0
    for i, count in enumerate(histogram):
        if count and seen + count >= rank:
            low = BUCKETS_MS[i - 1] if i > 0 else 0.0
            high = BUCKETS_MS[i] if BUCKETS_MS[i] != float("inf") else min(low * 2, max(low, ceiling))
            estimate = low + (high - low) * (rank - seen) / count
            return max(0.0, min(estimate, ceiling)) / 1000.0
        seen += count
    return min(BUCKETS_MS[-2], ceiling) / 1000.0


def flat(fields: dict[str, int]) -> Iterable[str | int]:
    for name, value in fields.items():
        yield name
        yield value
