"""``robin top``: a live dashboard in the terminal (rich Live), refreshed every second.

Processed and failed jobs per second with sparklines over the last minutes, queues
with size and latency, the sets, busy workers and processes.  The rates are worked out
from the totals between two refreshes, so ``top`` itself sends a handful of commands a
second and keeps its history only while it runs.  Ctrl-C exits cleanly.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

import typer
from rich.console import Group, RenderableType
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from robin import config
from robin.api import ProcessSet, Queue, Stats, Workers
from robin.cli.common import ago, console
from robin.humanize import duration

HISTORY = 180  # seconds of rates kept for the sparklines
BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float], width: int = 60) -> str:
    shown = values[-width:]
    top = max(shown, default=0.0)
    if top <= 0:
        return BARS[0] * len(shown)
    return "".join(BARS[min(len(BARS) - 1, int(v / top * (len(BARS) - 1) + 0.5))] for v in shown)


@dataclass
class Rates:
    """Jobs per second, from the totals seen at each refresh."""

    processed: deque[float] = field(default_factory=lambda: deque(maxlen=HISTORY))
    failed: deque[float] = field(default_factory=lambda: deque(maxlen=HISTORY))
    _last: tuple[float, int, int] | None = None

    def add(self, when: float, processed: int, failed: int) -> None:
        if self._last is not None:
            then, p, f = self._last
            elapsed = max(when - then, 1e-6)
            self.processed.append(max(0, processed - p) / elapsed)
            self.failed.append(max(0, failed - f) / elapsed)
        self._last = (when, processed, failed)


def render(stats: Stats, rates: Rates, queues: list[tuple[str, int, float, bool]],
           processes: list[tuple[str, str, int, int, float, bool]], running: list[tuple[str, str, str, float]],
           where: str) -> RenderableType:
    """One frame of the dashboard (pure: everything it shows is passed in)."""
    now = time.time()
    rate_p = rates.processed[-1] if rates.processed else 0.0
    rate_f = rates.failed[-1] if rates.failed else 0.0
    header = Text.assemble(("Robin top", "bold"), f"  {where}  ", (time.strftime("%H:%M:%S"), "dim"),
                           "   Ctrl-C to quit")
    throughput = Table.grid(padding=(0, 2))
    throughput.add_column(justify="right")
    throughput.add_column()
    throughput.add_column(justify="right")
    throughput.add_row("processed/s", Text(sparkline(list(rates.processed)), style="green"), f"{rate_p:,.1f}")
    throughput.add_row("failed/s", Text(sparkline(list(rates.failed)), style="red"), f"{rate_f:,.1f}")
    totals = Table.grid(padding=(0, 3))
    for _ in range(7):
        totals.add_column(justify="right")
    totals.add_row("processed", "failed", "enqueued", "scheduled", "retries", "dead", "busy")
    totals.add_row(f"{stats.processed:,}", f"{stats.failed:,}", f"{stats.enqueued:,}", f"{stats.scheduled_size:,}",
                   f"{stats.retry_size:,}", f"{stats.dead_size:,}",
                   f"{stats.busy}/{sum(p[3] for p in processes) or 0}")
    queue_table = Table("queue", "size", "latency", "", title="Queues", title_justify="left", expand=True)
    for name, size, latency, paused in queues:
        queue_table.add_row(name, f"{size:,}", duration(latency) if size else "", "paused" if paused else "")
    process_table = Table("process", "tag", "busy", "beat", "", title="Processes", title_justify="left", expand=True)
    for identity, tag, busy, concurrency, beat, quiet in processes:
        process_table.add_row(identity, tag, f"{busy}/{concurrency}", ago(beat, now), "quiet" if quiet else "")
    busy_table = Table("job", "queue", "process", "running for", title="Running now", title_justify="left",
                       expand=True)
    for job, queue, identity, started in running[:10]:
        busy_table.add_row(job, queue, identity, duration(max(0.0, now - started)))
    if len(running) > 10:
        busy_table.caption = f"and {len(running) - 10} more"
    return Group(header, Panel(Group(throughput, Text(""), totals), title="Throughput"), queue_table,
                 busy_table, process_table)


def frame(rates: Rates) -> RenderableType:
    """Read everything once and render it."""
    stats = Stats()
    rates.add(stats.taken_at, stats.processed, stats.failed)
    queues = [(q.name, stats.queues.get(q.name, 0), q.latency, q.paused) for q in Queue.all()]
    processes = sorted((p.identity, p.tag, p.busy, p.concurrency, p.beat, p.quiet) for p in ProcessSet())
    running = [(w.record.job, w.queue, w.identity, w.run_at) for w in Workers()]
    client = config.redis_client()
    where = f"{client.target.masked} namespace {client.keys.namespace}"
    return render(stats, rates, queues, processes, running, where)


def register(app: typer.Typer) -> None:
    @app.command()
    def top(interval: float = typer.Option(1.0, "--interval", min=0.2, metavar="SECONDS", help="Refresh period."),
            once: bool = typer.Option(False, "--once", help="Print one frame and exit.")) -> None:
        """A live dashboard: throughput, queues, running jobs, processes."""
        rates = Rates()
        if once:
            frame(rates)
            time.sleep(min(interval, 1.0))
            console.print(frame(rates))
            return
        try:
            with Live(frame(rates), console=console, refresh_per_second=4, screen=False) as live:
                while True:
                    time.sleep(interval)
                    live.update(frame(rates))
        except KeyboardInterrupt:
            pass  # Ctrl-C is how one leaves top: no traceback, exit code 0
