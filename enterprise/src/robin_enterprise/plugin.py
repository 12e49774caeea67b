"""Robin Enterprise as a Robin plug-in: what it adds, and only through core's public seams."""

from __future__ import annotations

from typing import Any

import robin
from robin_enterprise._version import __version__


def setup() -> None:
    from robin_enterprise import middleware, periodic, unique

    robin.declare_option(robin.OptionSpec("unique_for", provider="robin-enterprise", validate=unique.seconds,
                                          description="drop duplicates of this job for this long"))
    robin.declare_option(robin.OptionSpec("unique_until", provider="robin-enterprise", validate=unique.until,
                                          description='"success" (default) or "start": when the lock goes'))
    robin.declare_option(robin.OptionSpec("unique_key", provider="robin-enterprise", validate=unique.key_option,
                                          in_payload=False, description="the job's identity: a string or callable"))
    robin.client_middleware.add(unique.UniqueClient)
    # Robin Pro is set up first (see `after` below), so with Pro's middleware the chain is
    # UniqueServer -> BatchServer -> ExpiryServer -> OverLimitServer -> the job:
    # - UniqueServer outermost releases the lock even when ExpiryServer drops the job;
    # - OverLimitServer innermost turns OverLimit into a reschedule before BatchServer
    #   sees it, so a job waiting for its limiter never counts as a batch failure.
    robin.server_middleware.prepend(unique.UniqueServer)
    robin.server_middleware.add(middleware.OverLimitServer)
    robin.on_death(unique.on_death)
    robin.define_event("leader")
    robin.on("startup", periodic.start)
    robin.on("shutdown", periodic.stop)


def status() -> str:
    from robin.api import ProcessSet
    from robin_licensing import status_line

    try:
        processes: int | None = ProcessSet().size
    except Exception:
        processes = None
    return status_line("enterprise", __version__, processes)


def add_commands(app: Any) -> None:
    from robin_enterprise.cli import add_commands as add

    add(app)


def add_pages() -> None:
    from robin_enterprise.web import add_pages as add

    add()


plugin = robin.Plugin(name="Robin Enterprise", robin_major=int(__version__.split(".")[0]), setup=setup,
                      cli=add_commands, status=status, after=("robin-pro",), web=add_pages)
