"""``robin worker``: run jobs."""

from __future__ import annotations

import dataclasses
import enum
import importlib
import logging
import os
import sys
import traceback
from pathlib import Path

import typer

from robin import config, plugins
from robin import log as robin_log
from robin.cli.app import state
from robin.errors import ConfigurationError
from robin.job import DEFAULT_QUEUE, registry
from robin.keys import check_name
from robin.limits import DAY
from robin.server import resolve
from robin.worker.settings import WorkerSettings

log = logging.getLogger("robin")


class LogLevel(enum.StrEnum):
    debug = "debug"
    info = "info"
    warning = "warning"
    error = "error"


class LogFormat(enum.StrEnum):
    text = "text"
    json = "json"


def parse_queue(text: str) -> tuple[str, int]:
    """``"critical,3"`` -> ``("critical", 3)``; ``"default"`` -> ``("default", 1)``."""
    name, comma, weight = text.partition(",")
    try:
        check_name("queue", name.strip())
    except ConfigurationError as exc:
        raise ConfigurationError(f"-q {text}: {exc}") from None
    if not comma:
        return name.strip(), 1
    try:
        value = int(weight)
    except ValueError:
        value = 0
    if value < 1:
        raise ConfigurationError(f"-q {text}: the weight after the comma must be a whole number >= 1")
    return name.strip(), value


def module_name_of(path: Path) -> tuple[str, Path]:
    """The dotted module name of a ``.py`` file, and the folder to import it from.

    ``myapp/jobs.py`` inside a package (``myapp/__init__.py`` exists) is ``myapp.jobs``,
    imported from the folder above ``myapp`` - the name a client importing
    ``myapp.jobs`` gives its jobs, so worker and client agree on job names.
    """
    parts = [] if path.name == "__init__.py" else [path.stem]
    folder = path.parent
    while (folder / "__init__.py").exists():
        parts.insert(0, folder.name)
        folder = folder.parent
    return ".".join(parts), folder


def import_modules(specs: list[str]) -> None:
    """Import what ``-r`` names: module names (``myapp.jobs``) or ``.py`` files and folders."""
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    for spec in specs:
        module = spec
        if spec.endswith(".py") or os.sep in spec:
            path = Path(spec).resolve()
            if not path.exists():
                raise ConfigurationError(f"-r {spec}: no such file")
            if path.is_dir():
                path = path / "__init__.py"
            module, folder = module_name_of(path)
            if str(folder) not in sys.path:
                sys.path.insert(0, str(folder))
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name and (module == exc.name or module.startswith(exc.name + ".")):
                raise ConfigurationError(f"-r {spec}: no module named {exc.name!r} (searched {cwd} and "
                                         f"sys.path); give a module name like myapp.jobs or a .py file") from exc
            raise ConfigurationError(f"-r {spec}: importing it failed: {type(exc).__name__}: {exc} "
                                     f"(robin --debug worker ... shows the traceback)") from exc
        except Exception as exc:
            if state.debug:
                raise
            where = _where(exc)
            if isinstance(exc, ConfigurationError):
                raise ConfigurationError(f"-r {spec}{where}: {exc}") from exc
            raise ConfigurationError(f"-r {spec}: importing it failed{where}: {type(exc).__name__}: {exc} "
                                     f"(robin --debug worker ... shows the traceback)") from exc


def _where(exc: BaseException) -> str:
    """`` (at file:line)`` of the innermost frame outside Robin's own code, if any."""
    robin_dir = str(Path(__file__).resolve().parents[1])
    found = ""
    for frame, line in traceback.walk_tb(exc.__traceback__):
        filename = frame.f_code.co_filename
        if not filename.startswith(robin_dir) and not filename.startswith("<frozen"):
            found = f" (at {filename}:{line})"
    return found


def default_queues() -> list[tuple[str, int]]:
    """Without -q: every queue a registered job uses, plus "default", equal weights.

    Queues that appear later (a job sent elsewhere with ``.options(queue=...)``) are
    picked up while the worker runs.
    """
    names = {DEFAULT_QUEUE} | {job.job_options.queue for job in registry().values()}
    return [(name, 1) for name in sorted(names)]


def register(app: typer.Typer) -> None:
    @app.command()
    def worker(
        require: list[str] = typer.Option([], "-r", "--require", metavar="MODULE",
                                          help="Module (or .py file) defining jobs; repeatable."),
        queue: list[str] = typer.Option([], "-q", "--queue", metavar="NAME[,WEIGHT]",
                                        help="Queue to work on, with an optional weight; repeatable. "
                                             "Default: every queue of the registered jobs."),
        strict: bool = typer.Option(False, "--strict", help="Strict priority: queues in the order given."),
        concurrency: int = typer.Option(10, "-c", "--concurrency", min=1, max=1000, metavar="N",
                                        help="Jobs at once per process."),
        processes: int | None = typer.Option(None, "-p", "--processes", min=1, metavar="N",
                                             help="Run this many worker processes under a supervisor "
                                                  "that restarts any that dies."),
        timeout: float = typer.Option(25.0, "--timeout", min=0, metavar="SECONDS",
                                      help="Seconds running jobs get to finish on TERM."),
        poll_interval: float = typer.Option(5.0, "--poll-interval", min=0.05, metavar="SECONDS",
                                            help="Average seconds between checks for due scheduled jobs."),
        prefetch: int | None = typer.Option(None, "--prefetch", min=0, max=1000, metavar="N",
                                            help="Jobs fetched ahead of free threads (default: sized to the "
                                                 "jobs' pace, -c to 500; only while jobs are short)."),
        tag: str = typer.Option("", "--tag", metavar="LABEL", help="A label shown with this process."),
        log_level: LogLevel = typer.Option(LogLevel.info, "--log-level", case_sensitive=False,
                                           help="Log level; warning hides the line logged per finished job."),
        log_format: LogFormat = typer.Option(LogFormat.text, "--log-format", case_sensitive=False,
                                             help="Log format; json gives one object per line."),
        max_recoveries: int = typer.Option(3, "--max-recoveries", min=1, metavar="N",
                                           help="A job recovered from dead processes this often is a poison pill."),
        dead_max_jobs: int = typer.Option(10_000, "--dead-max-jobs", min=1, metavar="N",
                                          help="The dead set keeps this many jobs."),
        dead_max_days: float = typer.Option(180.0, "--dead-max-days", min=0.001, metavar="DAYS",
                                            help="The dead set keeps jobs this many days."),
        heartbeat_interval: float = typer.Option(5.0, "--heartbeat-interval", min=0.05, hidden=True),
        lease_ttl: float = typer.Option(20.0, "--lease-ttl", min=0.1, hidden=True),
        recovery_interval: float = typer.Option(5.0, "--recovery-interval", min=0.05, hidden=True),
    ) -> None:
        """Run jobs from the queues.  TERM/Ctrl-C stops gracefully, TSTP quiets, TTIN dumps threads."""
        robin_log.configure(log_level.value, log_format.value)
        if lease_ttl <= heartbeat_interval:
            raise ConfigurationError("--lease-ttl must be longer than --heartbeat-interval")
        queues = [parse_queue(q) for q in queue]
        config.set_role("worker")  # before the application's modules are imported
        import_modules(require)
        if not registry():
            if require:
                raise ConfigurationError(f"{', '.join(require)} defines no @robin.job functions: give -r the "
                                         f"module that defines your jobs")
            raise ConfigurationError("no jobs are registered: pass -r MODULE naming the module that defines "
                                     "your @robin.job functions, e.g. robin worker -r myapp.jobs")
        plugins.check()
        settings = WorkerSettings(
            queues=queues or default_queues(), follow_new_queues=not queues,
            strict=strict, concurrency=concurrency, prefetch=prefetch, shutdown_timeout=timeout,
            poll_interval=poll_interval, heartbeat_interval=heartbeat_interval, lease_ttl=lease_ttl,
            recovery_interval=recovery_interval, max_recoveries=max_recoveries,
            dead_max_jobs=dead_max_jobs, dead_max_age=dead_max_days * DAY, tag=tag)
        target = resolve(config.redis_url())
        namespace = config.namespace()

        from robin.worker.launcher import Launcher

        if processes is None:
            raise typer.Exit(Launcher(settings, target, namespace).run())

        from robin.worker.supervisor import Supervisor

        def child(index: int) -> int:
            return Launcher(dataclasses.replace(settings, identity=""), target, namespace).run()

        raise typer.Exit(Supervisor(processes, child).run())
