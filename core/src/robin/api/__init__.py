"""The data API: what is in Redis, for dashboards, the CLI and scripts.

::

    from robin.api import Stats, Queue, RetrySet, DeadSet, ProcessSet, Workers, Metrics

    Stats().enqueued
    for job in Queue("default"): print(job.jid, job.args)
    DeadSet().retry_all()

Every read goes to Redis (objects are not cached, except ``Stats``, which is a snapshot),
in pages, so it is safe on queues and sets of millions of jobs.  The worker never uses
this module.
"""

from robin.api.metrics import JobMetrics, Metrics
from robin.api.processes import Process, ProcessSet, Work, Workers
from robin.api.queues import Queue, QueueEntry
from robin.api.records import JobRecord
from robin.api.sets import DeadSet, JobSet, RetrySet, ScheduledSet, SearchPage, SortedEntry
from robin.api.stats import DayStats, Stats, server_info

__all__ = [
    "DayStats",
    "DeadSet",
    "JobMetrics",
    "JobRecord",
    "JobSet",
    "Metrics",
    "Process",
    "ProcessSet",
    "Queue",
    "QueueEntry",
    "RetrySet",
    "ScheduledSet",
    "SearchPage",
    "SortedEntry",
    "Stats",
    "Work",
    "Workers",
    "server_info",
]
