"""``robin stats | queues | processes | busy | metrics``: what is going on, as tables or JSON."""

from __future__ import annotations

import time

import typer

from robin.api import Metrics, ProcessSet, Queue, Stats, Workers
from robin.cli.common import JSON_OPTION, ago, print_json, table
from robin.humanize import duration


def register(app: typer.Typer) -> None:
    @app.command()
    def stats(as_json: bool = JSON_OPTION,
              days: int = typer.Option(7, "--days", min=1, max=400, help="Days of history to show.")) -> None:
        """Totals, set sizes, processes, and processed/failed per day."""
        snapshot = Stats()
        history = snapshot.history(days)
        if as_json:
            print_json({**snapshot.to_dict(), "history": [vars(day) for day in history]})
            return
        table("Robin", ["", "count"], [
            ("processed", f"{snapshot.processed:,}"), ("failed", f"{snapshot.failed:,}"),
            ("enqueued", f"{snapshot.enqueued:,}"), ("scheduled", f"{snapshot.scheduled_size:,}"),
            ("retries", f"{snapshot.retry_size:,}"), ("dead", f"{snapshot.dead_size:,}"),
            ("processes", snapshot.processes_size), ("busy", snapshot.busy),
            ("default queue latency", duration(snapshot.default_queue_latency)),
        ])
        table(f"Last {days} days (UTC)", ["date", "processed", "failed"],
              [(d.date, f"{d.processed:,}", f"{d.failed:,}") for d in history])

    @app.command()
    def queues(as_json: bool = JSON_OPTION) -> None:
        """Every queue with its size, latency and whether it is paused."""
        rows = [(q.name, q.size, q.latency, q.paused) for q in Queue.all()]
        if as_json:
            print_json([{"name": n, "size": s, "latency": round(lat, 3), "paused": p} for n, s, lat, p in rows])
            return
        table("Queues", ["queue", "size", "latency", "paused"],
              [(n, f"{s:,}", duration(lat) if s else "", "yes" if p else "") for n, s, lat, p in rows],
              caption=None if rows else "no queue has received a job yet")

    @app.command()
    def processes(as_json: bool = JSON_OPTION) -> None:
        """The live worker processes."""
        found = sorted(ProcessSet(), key=lambda p: p.identity)
        if as_json:
            print_json([p.to_dict() for p in found])
            return
        now = time.time()
        table("Processes", ["identity", "tag", "queues", "busy", "concurrency", "rss", "started", "beat", "state"],
              [(p.identity, p.tag, ", ".join(p.queues), p.busy, p.concurrency, f"{p.rss_kb / 1024:.0f} MB",
                ago(p.started_at, now), ago(p.beat, now), "quiet" if p.quiet else "running") for p in found],
              caption=None if found else "no worker process is running")

    @app.command()
    def busy(as_json: bool = JSON_OPTION) -> None:
        """The jobs running right now."""
        running = list(Workers())
        if as_json:
            print_json([w.to_dict() for w in running])
            return
        now = time.time()
        table("Running now", ["process", "thread", "queue", "job", "args", "jid", "started"],
              [(w.identity, w.thread, w.queue, w.record.job, w.record.display_args(60), w.record.jid,
                ago(w.run_at, now)) for w in running],
              caption=None if running else "no job is running")

    @app.command()
    def metrics(as_json: bool = JSON_OPTION,
                hours: int = typer.Option(24, "--hours", min=1, max=25, help="Hours to cover (at most 25).")) -> None:
        """Per job: executions, failures, and p50/p95 time over the last hours."""
        found = Metrics(hours).jobs()
        if as_json:
            print_json([m.to_dict() for m in found])
            return
        table(f"Jobs, last {hours} h", ["job", "executions", "failures", "total", "avg", "p50", "p95"],
              [(m.job, f"{m.executions:,}", f"{m.failures:,}", duration(m.total_seconds), duration(m.average),
                duration(m.p50), duration(m.p95)) for m in found],
              caption=None if found else "no job has run in that time")
