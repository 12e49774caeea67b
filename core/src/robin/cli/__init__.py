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
from robin.cli import control, data, doctor, jobs, server, top, worker
from robin.cli.app import app, state
from robin.errors import RobinError
from robin.server import CONNECTION_ERRORS

log = logging.getLogger("robin")

for module in (worker, data, jobs, control, top, doctor, server):
    module.register(app)


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
    except CONNECTION_ERRORS as exc:
        if state.debug:
            raise
        print(f"robin: error: {_unreachable(exc)}", file=sys.stderr)
        sys.exit(1)


def _unreachable(exc: BaseException) -> str:
    from robin import config
    from robin.server import resolve, unreachable

    try:
        target = resolve(config.redis_url())
    except RobinError as problem:
        return str(problem)
    return str(unreachable(target, exc, "read from the server"))


__all__ = ["app", "main", "typer"]
