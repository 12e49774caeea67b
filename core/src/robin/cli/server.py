"""``robin server``: the embedded default server (status, start, stop)."""

from __future__ import annotations

import contextlib
import os

import typer

from robin import embedded
from robin.errors import RobinError
from robin.server import CONNECTION_ERRORS, Target, check_server, connect, resolve


def _answer() -> str:
    """Whether the server the environment names answers, and what it is."""
    try:
        target = resolve()
        conn = connect(target, socket_timeout=3.0)
        with contextlib.closing(conn):
            return f"answers: {check_server(conn, target)}"
    except RobinError as exc:
        return f"unusable: {exc}"
    except CONNECTION_ERRORS as exc:
        return f"does not answer ({type(exc).__name__}: {exc})"


def _executable(pid: int) -> str | None:
    """The program the server was started as (its argv[0]: /proc/PID/exe would resolve
    symlinks, and Debian's redis-server is a link to redis-check-rdb)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            # Redis rewrites its title to "path addr", one string: its first word is the path.
            program = cmdline.read().split(b"\0")[0].decode(errors="replace").split(" ")[0]
        return program or os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return None


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="The embedded server Robin starts when no server URL is set.",
                        no_args_is_help=True)
    app.add_typer(group, name="server")

    @group.command()
    def status() -> None:
        """Say which server Robin uses, whether it answers, and the embedded server's state."""
        for var in ("ROBIN_REDIS_URL", "REDIS_URL"):
            if os.environ.get(var):
                target = Target(os.environ[var], var)
                typer.echo(f"Robin uses {target.masked} (from {var}); the embedded server is not used.")
                typer.echo(f"  that server: {_answer()}")
                break
        else:
            typer.echo("Robin uses its embedded server (no ROBIN_REDIS_URL or REDIS_URL is set).")
        running = embedded.ping()
        pid = embedded.pid() if running else None
        typer.echo(f"embedded server: {'running' if running else 'not running'}" + (f", pid {pid}" if pid else ""))
        typer.echo(f"  socket:   {embedded.socket_path()}")
        typer.echo(f"  data dir: {embedded.server_dir()}")
        executable = _executable(pid) if pid else None
        if executable:
            typer.echo(f"  binary:   {executable} (the running server)")
            return
        try:
            binary, origin = embedded.find_binary()
            typer.echo(f"  binary:   {binary} (from {origin}; used at the next start)")
        except RobinError as exc:
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
