"""``robin web``: serve the dashboard for local use (see docs/web.md for production)."""

from __future__ import annotations

import errno
import ipaddress
import socket

import typer

from robin.cli.common import console, errors
from robin.errors import ConfigurationError


def register(app: typer.Typer) -> None:
    @app.command()
    def web(
        host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (0.0.0.0: every interface)."),
        port: int = typer.Option(7433, "--port", min=0, max=65535, help="Port to listen on (0: any free port)."),
        password: str = typer.Option(None, "--password", envvar="ROBIN_WEB_PASSWORD", show_envvar=True,
                                     help="Ask for this password (HTTP basic auth, any user name)."),
        read_only: bool = typer.Option(False, "--read-only", help="Show everything, change nothing."),
    ) -> None:
        """Serve the web dashboard (on 127.0.0.1:7433 by default; Ctrl-C stops)."""
        from robin import config
        from robin.web import create_app
        from robin.web.serve import server

        config.redis_client().redis.ping()  # a wrong server URL is one clear line now, not an error page later
        dashboard = create_app(password=password, read_only=read_only)
        try:
            running = server(dashboard, host, port)
        except OSError as exc:
            raise ConfigurationError(_cannot_listen(host, port, exc)) from exc
        bound_host, bound_port = str(running.server_address[0]), int(running.server_address[1])
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        mode = ", read-only" if read_only else ""
        guard = ", password required" if password else ""
        console.print(f"robin web: the dashboard is at http://{shown}:{bound_port}/ ({mode[2:] or 'read-write'}"
                      f"{guard}); Ctrl-C stops it", soft_wrap=True)
        if not password and not _loopback(host):
            errors.print(f"robin web: warning: listening on {host} without --password: anyone who can reach this "
                         f"port can retry and delete jobs. Add --password (or ROBIN_WEB_PASSWORD) or --read-only.",
                         soft_wrap=True)
        try:
            running.serve_forever(poll_interval=0.2)
        except KeyboardInterrupt:
            pass
        finally:
            running.server_close()


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _cannot_listen(host: str, port: int, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return (f"cannot serve the dashboard on {host}:{port}: the port is in use (another robin web?); "
                f"choose another with --port")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"cannot serve the dashboard on {host}:{port}: permission denied; use a port above 1023"
    if isinstance(exc, socket.gaierror) or exc.errno == errno.EADDRNOTAVAIL:
        return f"cannot serve the dashboard on {host}:{port}: this machine has no address {host}; check --host"
    return f"cannot serve the dashboard on {host}:{port}: {exc.strerror or exc}"
