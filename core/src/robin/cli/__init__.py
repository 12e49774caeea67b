"""The ``robin`` command.

Each command group lives in its own module; plug-ins add theirs through
``Plugin.cli(app)`` (see docs/plugins.md).  Errors print as one line saying what went
wrong and what to do; ``robin --debug ...`` shows the traceback too.
"""

from __future__ import annotations

import logging
import socket
import sys

import redis
import typer

from robin import plugins
from robin.cli import control, data, doctor, jobs, server, top, web, worker
from robin.cli.app import app, state
from robin.errors import RobinError

log = logging.getLogger("robin")

# Errors that mean the server could not be reached (other OSErrors are about files).
SERVER_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, ConnectionError, TimeoutError,
                 socket.gaierror)

for module in (worker, data, jobs, control, top, doctor, server, web):
    module.register(app)


def _add_plugin_commands() -> None:
    for loaded in plugins.load():
        if loaded.plugin.cli is None:
            continue
        try:
            loaded.plugin.cli(app)
        except Exception as exc:
            print(f"robin: plug-in {loaded.describe()} failed to add its commands: {exc}", file=sys.stderr)


# Commands that installed plug-ins add, and the package each comes with.  Used only to
# answer `robin license ...` with "install robin-licensing" instead of "No such command";
# core behaves the same whether or not these packages exist.
KNOWN_PLUGIN_COMMANDS = {
    "license": ("robin-licensing", "part of Robin Pro and Enterprise"),
    "batches": ("robin-pro", "Robin Pro"),
    "batch": ("robin-pro", "Robin Pro"),
    "queue": ("robin-pro", "Robin Pro: pausing queues"),
    "limiters": ("robin-enterprise", "Robin Enterprise"),
    "periodic": ("robin-enterprise", "Robin Enterprise"),
}


def _command_names() -> set[str]:
    names = {c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands}
    return names | {g.name or "" for g in app.registered_groups}


def _missing_plugin(args: list[str]) -> str | None:
    command = next((a for a in args if not a.startswith("-")), None)
    if command is None or command not in KNOWN_PLUGIN_COMMANDS or command in _command_names():
        return None
    package, what = KNOWN_PLUGIN_COMMANDS[command]
    refused = [p for p in plugins.problems() if p.startswith(f"plug-in {package} ")]
    if refused:
        return f"`robin {command}` comes with {package} ({what}), which is installed but not loaded: {refused[0]}"
    if plugins.disabled():
        return (f"`robin {command}` comes with {package} ({what}), which is not loaded: plug-ins are turned off "
                f"(ROBIN_DISABLE_PLUGINS is set)")
    wanted = "robin-pro (or robin-enterprise), which bring it," if package == "robin-licensing" else package
    return (f"`robin {command}` comes with {package} ({what}), which is not installed. Robin Pro and "
            f"Robin Enterprise are sold per organization: a subscription gives you a license key and a "
            f"private package index; install {wanted} from that index "
            f"(pip install --index-url YOUR-INDEX-URL {wanted.split()[0]}), then run `robin license activate -`; "
            f"see docs/install.md in Robin's repository")


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``robin`` console script."""
    _add_plugin_commands()
    missing = _missing_plugin(sys.argv[1:] if argv is None else argv)
    if missing is not None:
        print(f"robin: error: {missing}", file=sys.stderr)
        sys.exit(1)
    try:
        app(args=argv, standalone_mode=True)
    except RobinError as exc:
        if state.debug:
            raise
        print(f"robin: error: {exc}", file=sys.stderr)
        sys.exit(1)
    except SERVER_ERRORS as exc:
        if state.debug:
            raise
        print(f"robin: error: {_unreachable(exc)}", file=sys.stderr)
        sys.exit(1)
    except OSError as exc:  # a file or a permission, not the server: say which
        if state.debug:
            raise
        print(f"robin: error: {exc}", file=sys.stderr)
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
