"""What every data command shares: the console, tables, JSON output, times, confirmation."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from robin.humanize import duration

console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)

JSON_OPTION = typer.Option(False, "--json", help="Print JSON (for scripts) instead of a table.")
LIMIT_OPTION = typer.Option(25, "--limit", "-n", min=1, help="Show at most this many jobs.")


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def table(title: str, columns: Iterable[str], rows: Iterable[Iterable[Any]], caption: str | None = None) -> None:
    grid = Table(title=title, caption=caption, title_justify="left", header_style="bold")
    for column in columns:
        justify = "right" if column in NUMERIC else "left"
        whole = WHOLE.get(column)  # ids are never cut: people copy them into the next command
        grid.add_column(column, justify=justify, no_wrap=True, min_width=whole,  # type: ignore[arg-type]
                        overflow="fold" if whole else "ellipsis")
    for row in rows:
        grid.add_row(*("" if cell is None else str(cell) for cell in row))
    console.print(grid)


WHOLE = {"jid": 24, "identity": 20, "process": 20}
NUMERIC = {"size", "latency", "jobs", "busy", "processed", "failed", "executions", "failures", "retries",
           "p50", "p95", "total", "avg", "concurrency", "pid", "rss", "count"}


def ago(when: float | None, now: float | None = None) -> str:
    """``12 s ago`` / ``in 3 min``, for times close to now."""
    if not when:
        return ""
    delta = (now or time.time()) - when
    text = duration(abs(delta))
    return f"{text} ago" if delta >= 0 else f"in {text}"


def stamp(when: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(when)) if when else ""


def confirm(question: str, yes: bool) -> None:
    """Ask unless ``--yes``; abort (exit 1) on no.  Without a terminal, ``--yes`` is required."""
    if yes:
        return
    if not sys.stdin.isatty():
        errors.print(f"robin: {question} Not confirmed: add --yes to do it without asking.")
        raise typer.Exit(1)
    if not typer.confirm(question, default=False):
        raise typer.Exit(1)


def progress(label: str, total: int) -> AbstractContextManager[Callable[[int], None]]:
    """A progress bar (on stderr) for long operations; yields ``advance(n)``."""
    import contextlib

    @contextlib.contextmanager
    def bar() -> Any:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                      console=errors, transient=False) as shown:
            task = shown.add_task(label, total=total)
            yield lambda n: shown.advance(task, n)

    return bar()
