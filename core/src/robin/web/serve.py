"""``robin web``: the dashboard on wsgiref's server, one thread per request.

Good for one operator on a laptop or through an SSH tunnel; for more, run the app under
a production WSGI server (docs/web.md: gunicorn ``robin.web:app``).
"""

from __future__ import annotations

import socketserver
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from robin.web.mount import WSGIApp


class ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True  # a slow browser never keeps Ctrl-C from stopping the server
    allow_reuse_address = True


class QuietHandler(WSGIRequestHandler):
    """No line per request: the live graph polls every few seconds."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class names it so
        pass


def server(app: WSGIApp, host: str = "127.0.0.1", port: int = 7433) -> ThreadingServer:
    """A server bound to ``host:port`` (port 0: any free port); call ``serve_forever()``."""
    made = make_server(host, port, app, server_class=ThreadingServer, handler_class=QuietHandler)
    assert isinstance(made, ThreadingServer)
    return made
