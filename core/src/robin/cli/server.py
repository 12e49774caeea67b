"""``robin server``: the embedded default server (status, start, stop)."""

from __future__ import annotations

import os

import typer

from robin import embedded
from robin.server import mask_url


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="The embedded server Robin starts when no server URL is set.",
                        no_args_is_help=True)
    app.add_typer(group, name="server")

    @group.command()
    def status() -> None:
        """Say which server Robin uses and whether the embedded one is running."""
        for var in ("ROBIN_REDIS_URL", "REDIS_URL"):
            if os.environ.get(var):
                typer.echo(f"Robin uses {mask_url(os.environ[var])} (from {var}); the embedded server is not used.")
                break
        else:
            typer.echo("Robin uses its embedded server (no ROBIN_REDIS_URL or REDIS_URL is set).")
        running = embedded.ping()
        typer.echo(f"embedded server: {'running' if running else 'not running'}"
                   + (f", pid {embedded.pid()}" if running and embedded.pid() else ""))
        typer.echo(f"  socket:   {embedded.socket_path()}")
        typer.echo(f"  data dir: {embedded.server_dir()}")
        try:
            binary, origin = embedded.find_binary()
            typer.echo(f"  binary:   {binary} ({origin})")
        except Exception as exc:
            typer.echo(f"  binary:   none found: {exc}")

    @group.command()
    def start() -> None:
        """Start the embedded server (Robin also does this by itself when needed)."""
        typer.echo(f"embedded server running at {embedded.ensure_running()}")

    @group.command()
    def stop() -> None:
        """Stop the embedded server; its data stays on disk for the next start."""
        if embedded.stop():
            typer.echo("embedded server stopped")
        else:
            typer.echo("embedded server was not running")
