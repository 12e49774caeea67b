"""The ``robin`` command.

Each command group lives in its own module; plug-ins add theirs through
``Plugin.cli(app)`` (see docs/plugins.md).  Errors print as one line saying what went
wrong and what to do; ``robin --debug ...`` shows the traceback too.
"""

from __future__ import annotations

import logging
import sys

import typer

from robin import plugins
from robin.cli import server, worker
from robin.cli.app import app, state
from robin.errors import RobinError

log = logging.getLogger("robin")

worker.register(app)
server.register(app)


def _add_plugin_commands() -> None:
    for loaded in plugins.load():
        if loaded.plugin.cli is None:
            continue
        try:
            loaded.plugin.cli(app)
        except Exception as exc:
            print(f"robin: plug-in {loaded.describe()} failed to add its commands: {exc}", file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``robin`` console script."""
    _add_plugin_commands()
    try:
        app(args=argv, standalone_mode=True)
    except RobinError as exc:
        if state.debug:
            raise
        print(f"robin: error: {exc}", file=sys.stderr)
        sys.exit(1)


__all__ = ["app", "main", "typer"]
