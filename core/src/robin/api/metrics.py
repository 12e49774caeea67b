"""Per-job metrics of the last hours, as recorded by the workers (see robin/metrics.py)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from robin.api.connection import resolve
from robin.metrics import BUCKETS_MS, hour_of, percentile

if TYPE_CHECKING:
    from robin.client import Client


@dataclass(frozen=True)
class JobMetrics:
    job: str
    executions: int
    failures: int
    total_seconds: float
    p50: float
    p95: float

    @property
    def average(self) -> float:
        return self.total_seconds / self.executions if self.executions else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"job": self.job, "executions": self.executions, "failures": self.failures,
                "total_seconds": round(self.total_seconds, 3), "average_seconds": round(self.average, 6),
                "p50_seconds": round(self.p50, 6), "p95_seconds": round(self.p95, 6)}


class Metrics:
    """Executions, failures and timings per job over the last ``hours`` (at most 25)."""

    def __init__(self, hours: int = 24, client: Client | None = None) -> None:
        self.hours = max(1, min(int(hours), 25))
        self._client = client

    def jobs(self) -> list[JobMetrics]:
        """One line per job name, the busiest (by total time) first."""
        c = resolve(self._client)
        now = time.time()
        pipe = c.redis.pipeline(transaction=False)
        for back in range(self.hours):
            pipe.hgetall(c.keys.metrics(hour_of(now - back * 3600)))
        totals: dict[str, dict[str, int]] = {}
        for hour in pipe.execute():
            for raw_field, raw_value in hour.items():
                name = raw_field.decode() if isinstance(raw_field, bytes) else str(raw_field)
                job, _, kind = name.rpartition("|")
                per_job = totals.setdefault(job, {})
                per_job[kind] = per_job.get(kind, 0) + int(raw_value)
        result = []
        for job, values in totals.items():
            histogram = [values.get(f"b{i}", 0) for i in range(len(BUCKETS_MS))]
            total_ms = values.get("ms", 0)
            result.append(JobMetrics(job=job, executions=values.get("n", 0), failures=values.get("f", 0),
                                     total_seconds=total_ms / 1000.0,
                                     p50=percentile(histogram, 0.50, total_ms),
                                     p95=percentile(histogram, 0.95, total_ms)))
        result.sort(key=lambda m: (-m.total_seconds, m.job))
        return result

    def get(self, job: str) -> JobMetrics | None:
        return next((m for m in self.jobs() if m.job == job), None)
