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
        allowed_host: list[str] = typer.Option(
            [], "--allowed-host", metavar="NAME",
            help="Also answer requests for this host name (NAME or NAME:PORT; repeat for more), e.g. the name a "
                 "reverse proxy forwards. Default: localhost, 127.0.0.1, [::1] and --host."),
    ) -> None:
        """Serve the web dashboard (on 127.0.0.1:7433 by default; Ctrl-C stops)."""
        from robin import config
        from robin.web import create_app
        from robin.web.serve import server

        config.redis_client().redis.ping()  # a wrong server URL is one clear line now, not an error page later
        dashboard = create_app(password=password, read_only=read_only,
                               allowed_hosts=allowed_hosts(host, allowed_host))
        try:
            running = server(dashboard, host, port)
        except OSError as exc:
            raise ConfigurationError(_cannot_listen(host, port, exc)) from exc
        bound_host, bound_port = str(running.server_address[0]), int(running.server_address[1])
        shown = _shown_host(bound_host)
        mode = ", read-only" if read_only else ""
        guard = ", password required" if password else ""
        console.print(f"robin web: the dashboard is at http://{shown}:{bound_port}/ ({mode[2:] or 'read-write'}"
                      f"{guard}); Ctrl-C stops it", soft_wrap=True)
        if not password and not _loopback(host):
            if read_only:
                errors.print(f"robin web: warning: listening on {host} without a password: anyone who can reach "
                             f"this port can read the arguments of every job. Set ROBIN_WEB_PASSWORD (or "
                             f"--password).", soft_wrap=True)
            else:
                errors.print(f"robin web: warning: listening on {host} without a password: anyone who can reach "
                             f"this port can retry and delete jobs. Set ROBIN_WEB_PASSWORD (or --password), or "
                             f"add --read-only.", soft_wrap=True)
        if _any_address(host) and not allowed_host:
            errors.print("robin web: note: only requests for localhost, 127.0.0.1 and [::1] are answered; add "
                         "--allowed-host NAME for each name or address others reach this machine by.",
                         soft_wrap=True)
        try:
            running.serve_forever(poll_interval=0.2)
        except KeyboardInterrupt:
            pass
        finally:
            running.server_close()


def allowed_hosts(host: str, extra: list[str]) -> list[str]:
    """The hosts ``robin web`` answers for: loopback names (any port), ``--host`` when it names one
    address or name, and every ``--allowed-host``."""
    from robin.web.hosts import LOCAL_HOSTS

    hosts = list(LOCAL_HOSTS)
    if not _any_address(host):
        hosts.append(f"[{host.strip('[]')}]" if ":" in host else host)
    return hosts + [h for h in extra if h.strip()]


def _any_address(host: str) -> bool:
    return host.strip("[]") in ("", "0.0.0.0", "::")


def _shown_host(bound: str) -> str:
    """A host to put in a URL a browser can open: not 0.0.0.0 or ::, brackets around IPv6."""
    if bound in ("", "0.0.0.0"):
        return "127.0.0.1"
    if bound == "::":
        return "[::1]"
    return f"[{bound}]" if ":" in bound else bound


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
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
