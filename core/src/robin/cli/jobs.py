"""``robin jobs | scheduled | retries | dead | retry | delete | kill | clear | enqueue``."""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

import typer

from robin.api import DeadSet, Queue, RetrySet, ScheduledSet, SortedEntry
from robin.api.sets import JobSet
from robin.cli.common import JSON_OPTION, LIMIT_OPTION, ago, confirm, console, print_json, progress, table
from robin.errors import ConfigurationError
from robin.job import registered

SET_NAMES = {"retries": RetrySet, "dead": DeadSet, "scheduled": ScheduledSet}


def _find(jid: str, sets: tuple[type[JobSet], ...] = (RetrySet, DeadSet, ScheduledSet)) -> SortedEntry | None:
    for kind in sets:
        entry = kind().find_job(jid)
        if entry is not None:
            return entry
    return None


def _show_set(title: str, kind: type[JobSet], limit: int, as_json: bool, when: str, extra: str) -> None:
    jobs = kind()
    entries = list(itertools.islice(jobs, limit))
    if as_json:
        print_json([{"score": e.score, **e.to_dict()} for e in entries])
        return
    now = time.time()
    rows = []
    for e in entries:
        detail = (f"{e.error_class}: {e.error_message}" if extra == "error" and e.error_class else
                  e.dead_reason or "" if extra == "reason" else e.queue)
        rows.append((ago(e.score, now), e.jid, e.job, e.display_args(50), detail[:80]))
    size = jobs.size
    table(f"{title} ({size:,})", [when, "jid", "job", "args", extra], rows,
          caption=f"showing {len(rows)} of {size:,}" if size > len(rows) else None)


# `robin jobs dead` reads a queue named "dead"; the user most likely meant the set.
SET_COMMANDS = {"dead": "dead", "retry": "retries", "retries": "retries", "scheduled": "scheduled"}


def list_jobs(queue: str = typer.Argument(..., help="Queue name."), limit: int = LIMIT_OPTION,
              oldest: bool = typer.Option(False, "--oldest", help="Oldest first (the next to run)."),
              as_json: bool = JSON_OPTION) -> None:
    """The jobs waiting in a queue, newest first."""
    q = Queue(queue)
    entries = list(itertools.islice(q.jobs(oldest_first=oldest), limit))
    if as_json:
        print_json([e.to_dict() for e in entries])
        return
    now = time.time()
    table(f"Queue {queue} ({q.size:,})", ["enqueued", "jid", "job", "args"],
          [(ago(e.enqueued_at, now), e.jid, e.job, e.display_args(70)) for e in entries],
          caption=f"showing {len(entries)} of {q.size:,}" if q.size > len(entries) else None)
    if not entries and queue in SET_COMMANDS:
        console.print(f"(no queue is named {queue!r}; the {queue} set is listed by `robin {SET_COMMANDS[queue]}`)")


def scheduled(limit: int = LIMIT_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Jobs waiting for their time, soonest first."""
    _show_set("Scheduled", ScheduledSet, limit, as_json, "due", "queue")

def retries(limit: int = LIMIT_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Failed jobs waiting for their next attempt, soonest first."""
    _show_set("Retries", RetrySet, limit, as_json, "next try", "error")

def dead(limit: int = LIMIT_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Jobs that died, newest first, with the reason."""
    _show_set("Dead", DeadSet, limit, as_json, "died", "reason")

def retry(jid: str = typer.Argument(None, help="The job's jid."),
          all_jobs: bool = typer.Option(False, "--all", help="Retry every job of a set."),
          source: str = typer.Option("retries", "--from", help="With --all: retries, dead or scheduled.")) -> None:
    """Put a job (or all of a set) on its queue now."""
    if all_jobs:
        if source not in SET_NAMES:
            raise ConfigurationError(f"--from {source}: use retries, dead or scheduled")
        jobs = SET_NAMES[source]()
        with progress(f"retrying {source}", jobs.size) as advance:
            moved = jobs.retry_all(advance)
        console.print(f"{moved:,} jobs from {source} are back on their queues")
        return
    if not jid:
        raise ConfigurationError("give a jid (see robin retries / robin dead), or --all")
    entry = _find(jid)
    if entry is None or not entry.retry():
        raise ConfigurationError(f"no job {jid} in the retry, dead or scheduled sets")
    console.print(f"{jid} ({entry.job}) is on queue {entry.queue or 'default'} again")

def kill(jid: str = typer.Argument(..., help="The job's jid.")) -> None:
    """Move a scheduled or retrying job to the dead set."""
    entry = _find(jid, (RetrySet, ScheduledSet))
    if entry is None or not entry.kill():
        raise ConfigurationError(f"no job {jid} in the retry or scheduled sets")
    console.print(f"{jid} ({entry.job}) is in the dead set")

def delete(jid: str = typer.Argument(..., help="The job's jid.")) -> None:
    """Delete a job from wherever it waits: a set or a queue."""
    entry = _find(jid)
    if entry is not None and entry.delete():
        console.print(f"deleted {jid} ({entry.job}) from the {entry.set_name} set")
        return
    for queue in Queue.all():
        if queue.delete(jid):
            console.print(f"deleted {jid} from queue {queue.name}")
            return
    raise ConfigurationError(f"no job {jid} waits in a queue or in the scheduled, retry or dead sets")

def clear(target: str = typer.Argument(..., help="retries, dead, scheduled, or a queue name."),
          queue: bool = typer.Option(False, "--queue", help="TARGET is a queue even if named like a set."),
          yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation.")) -> None:
    """Delete every job of a set or a queue (asks first)."""
    if target in SET_NAMES and not queue:
        jobs = SET_NAMES[target]()
        confirm(f"Delete all {jobs.size:,} jobs of the {target} set?", yes)
        console.print(f"deleted {jobs.clear():,} jobs from the {target} set")
        return
    q = Queue(target)
    confirm(f"Delete all {q.size:,} jobs waiting in queue {target}?", yes)
    console.print(f"deleted {q.clear():,} jobs from queue {target}")

def enqueue(
    job_name: str = typer.Argument(..., metavar="JOB_NAME", help="A registered job, e.g. myapp.jobs.resize."),
    args: list[str] = typer.Argument(None, metavar="[ARGS]...",
                                     help='Positional arguments, each one JSON: 42 \'"text"\' \'{"a": 1}\'.'),
    require: list[str] = typer.Option([], "-r", "--require", metavar="MODULE", help="Module defining the job."),
    kwargs: str = typer.Option("", "--kwargs", help='Keyword arguments as a JSON object: \'{"width": 1024}\'.'),
    queue: str = typer.Option("", "--queue", "-q", help="Send it to this queue instead of the job's own."),
    delay: float = typer.Option(0.0, "--in", min=0, metavar="SECONDS", help="Run it after this many seconds."),
) -> None:
    """Enqueue a registered job from the shell."""
    from robin.cli.worker import import_modules

    import_modules(require)
    job = registered(job_name)
    if job is None:
        raise ConfigurationError(f"no job named {job_name!r} is registered: pass -r MODULE for the module that "
                                 f"defines it" + (" (it was not in the modules given)" if require else ""))
    positional = [_json_argument(i, text) for i, text in enumerate(args or [])]
    keywords = _json_object(kwargs) if kwargs else {}
    target = job.options(queue=queue) if queue else job
    jid = target.enqueue_in(delay, *positional, **keywords) if delay else target.enqueue(*positional, **keywords)
    if jid is None:
        console.print("client middleware stopped this enqueue")
        raise typer.Exit(1)
    console.print(jid)


def register(app: typer.Typer) -> None:
    app.command("jobs")(list_jobs)
    app.command()(scheduled)
    app.command()(retries)
    app.command()(dead)
    app.command()(retry)
    app.command()(kill)
    app.command()(delete)
    app.command()(clear)
    app.command()(enqueue)


def _json_argument(index: int, text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        raise ConfigurationError(f"argument {index + 1} ({text!r}) is not JSON; quote strings for JSON inside your "
                                 f"shell quotes, e.g. '\"{text}\"'") from None


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise ConfigurationError(f"--kwargs is not JSON ({exc})") from None
    if not isinstance(value, dict):
        raise ConfigurationError("--kwargs must be a JSON object, e.g. '{\"width\": 1024}'")
    return value
