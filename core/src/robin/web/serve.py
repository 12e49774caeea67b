"""``robin web``: the dashboard on wsgiref's server, one thread per request.

Good for one operator on a laptop or through an SSH tunnel; for more, run the app under
a production WSGI server (docs/web.md: gunicorn ``robin.web:app``).
"""

from __future__ import annotations

import socket
import socketserver
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from robin.web.mount import WSGIApp


class ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True  # a slow browser never keeps Ctrl-C from stopping the server
    allow_reuse_address = True


class ThreadingServer6(ThreadingServer):
    address_family = socket.AF_INET6


class QuietHandler(WSGIRequestHandler):
    """No line per request: the live graph polls every few seconds."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class names it so
        pass


def server(app: WSGIApp, host: str = "127.0.0.1", port: int = 7433) -> ThreadingServer:
    """A server bound to ``host:port`` (port 0: any free port; an IPv6 address such as ``::1``
    or ``::`` too); call ``serve_forever()``."""
    host = host.strip("[]")
    kind = ThreadingServer6 if ":" in host else ThreadingServer
    made = make_server(host, port, app, server_class=kind, handler_class=QuietHandler)
    assert isinstance(made, ThreadingServer)
    return made
