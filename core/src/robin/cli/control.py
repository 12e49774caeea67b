"""``robin quiet | stop IDENTITY``: reach a worker process through Redis."""

from __future__ import annotations

import typer

from robin.api import ProcessSet
from robin.cli.common import console
from robin.errors import ConfigurationError


def register(app: typer.Typer) -> None:
    def send(identity: str | None, every: bool, command: str) -> None:
        processes = ProcessSet()
        targets = [p.identity for p in processes] if every else [identity] if identity else []
        if not targets:
            raise ConfigurationError("give a process identity (see robin processes), or --all"
                                     if not every else "no worker process is running")
        for target in targets:
            sent = processes.quiet(target) if command == "quiet" else processes.stop(target)
            if not sent:
                raise ConfigurationError(f"no live process {target} (see robin processes)")
            console.print(f"asked {target} to {command}")

    @app.command()
    def quiet(identity: str = typer.Argument(None, help="hostname:pid:id, from robin processes."),
              every: bool = typer.Option(False, "--all", help="Every live process.")) -> None:
        """Ask a worker process to stop fetching jobs (it finishes what runs)."""
        send(identity, every, "quiet")

    @app.command()
    def stop(identity: str = typer.Argument(None, help="hostname:pid:id, from robin processes."),
             every: bool = typer.Option(False, "--all", help="Every live process.")) -> None:
        """Ask a worker process to stop gracefully."""
        send(identity, every, "stop")
