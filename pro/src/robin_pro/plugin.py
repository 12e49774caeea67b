"""Robin Pro as a Robin plug-in: what it adds, and only through core's public seams."""

from __future__ import annotations

from typing import Any

import robin
from robin import queue_control
from robin_pro._version import __version__


def setup() -> None:
    from robin_pro import middleware, pause

    robin.declare_option(robin.OptionSpec("expires_in", provider="robin-pro",
                                          validate=middleware.expires_in_seconds,
                                          description="drop the job if it has not started this long after "
                                                      "it was enqueued (or due)"))
    robin.client_middleware.add(middleware.ExpiryClient)
    robin.client_middleware.add(middleware.BatchClient)
    # BatchServer outside ExpiryServer: an expired job that is dropped counts as a success.
    robin.server_middleware.add(middleware.BatchServer)
    robin.server_middleware.add(middleware.ExpiryServer)
    robin.on_death(middleware.on_death)
    queue_control.set_queue_control(pause.ProQueueControl())
    queue_control.add_fetch_filter(pause.paused_filter)


def status() -> str:
    from robin.api import ProcessSet
    from robin_licensing import status_line

    try:
        processes: int | None = ProcessSet().size
    except Exception:
        processes = None
    return status_line("pro", __version__, processes)


def add_commands(app: Any) -> None:
    from robin_pro.cli import add_commands as add

    add(app)


def add_pages() -> None:
    from robin_pro.web import add_pages as add

    add()


plugin = robin.Plugin(name="Robin Pro", robin_major=int(__version__.split(".")[0]), setup=setup,
                      cli=add_commands, status=status, web=add_pages)
