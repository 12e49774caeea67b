"""``robin batches``, ``robin batch BID [--watch]``, ``robin queue pause|unpause NAME``."""

from __future__ import annotations

import json
import time

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from robin.api import Queue
from robin_pro.batch import Batch, BatchStatus

console = Console(highlight=False)


def _state(status: BatchStatus) -> str:
    return status.state


def batches(limit: int = typer.Option(25, "--limit", "-n", min=1),
            as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Recent batches with their progress."""
    found = Batch.recent(limit)
    if as_json:
        typer.echo(json.dumps([s.to_dict() for s in found], indent=2))
        return
    table = Table("bid", "description", "done", "pending", "failures", "state", "created", title="Batches",
                  title_justify="left")
    for s in found:
        done = s.total - s.pending
        table.add_row(s.bid, s.description or "", f"{done:,}/{s.total:,}", f"{s.pending:,}", f"{s.failures:,}",
                      _state(s), time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(s.created_at)))
    if not found:
        table.caption = "no batch data is kept"
    console.print(table)


def batch(bid: str = typer.Argument(..., help="The batch id."),
          watch: bool = typer.Option(False, "--watch", help="Show a progress bar until the batch is done."),
          as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """A batch's status (or a progress bar with --watch)."""
    status = Batch.status(bid)
    if watch:
        _watch(status)
        return
    if as_json:
        typer.echo(json.dumps(status.to_dict(), indent=2))
        return
    table = Table(show_header=False, title=f"Batch {bid}", title_justify="left")
    for name, value in (("description", status.description or ""), ("state", _state(status)),
                        ("total", f"{status.total:,}"), ("pending", f"{status.pending:,}"),
                        ("failures", f"{status.failures:,}"), ("dead", f"{status.deaths:,}"),
                        ("parent", status.parent or ""), ("children", status.children),
                        ("failed jobs", ", ".join(status.failed_jids[:10]))):
        table.add_row(name, str(value))
    console.print(table)


def _watch(status: BatchStatus) -> None:
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console) as progress:
        task = progress.add_task(status.description or status.bid, total=status.total)
        try:
            while True:
                progress.update(task, total=status.total, completed=status.total - status.pending,
                                description=f"{status.description or status.bid} ({_state(status)}"
                                            + (f", {status.failures} failing" if status.failures else "") + ")")
                if status.succeeded or (status.complete and status.deaths and status.pending <= status.deaths):
                    break
                time.sleep(0.5)
                status = Batch.status(status.bid)
        except KeyboardInterrupt:
            pass
    console.print(f"batch {status.bid}: {_state(status)}")


def add_commands(app: typer.Typer) -> None:
    app.command("batches")(batches)
    app.command("batch")(batch)
    queue = typer.Typer(help="Pause and resume queues (Robin Pro).", no_args_is_help=True)

    @queue.command("pause")
    def pause(name: str = typer.Argument(..., help="Queue name.")) -> None:
        """Stop every worker from fetching this queue; it keeps accepting jobs."""
        Queue(name).pause()
        console.print(f"queue {name} is paused: workers stop fetching it within a second")

    @queue.command("unpause")
    def unpause(name: str = typer.Argument(..., help="Queue name.")) -> None:
        """Let workers fetch this queue again."""
        Queue(name).unpause()
        console.print(f"queue {name} is running again")

    app.add_typer(queue, name="queue")
