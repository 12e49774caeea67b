"""Serving the dashboard under a prefix of another WSGI application (Django's, say)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def mount(prefix: str, app: WSGIApp, fallback: WSGIApp) -> WSGIApp:
    """A WSGI application that sends requests under ``prefix`` to ``app`` and the rest to ``fallback``.

    ``mount("/robin", create_app(...), get_wsgi_application())`` in Django's ``wsgi.py``.
    The prefix moves from PATH_INFO to SCRIPT_NAME, which is how the dashboard knows
    where it lives (werkzeug's DispatcherMiddleware does the same for Flask).
    """
    prefix = "/" + prefix.strip("/")

    def dispatch(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO", ""))
        if path == prefix or path.startswith(prefix + "/"):
            inner = dict(environ)
            inner["SCRIPT_NAME"] = str(environ.get("SCRIPT_NAME", "")) + prefix
            inner["PATH_INFO"] = path[len(prefix):]
            return app(inner, start_response)
        return fallback(environ, start_response)

    return dispatch
