"""Robin's web dashboard: a WSGI application, with no web-framework dependency.

::

    from robin.web import create_app, Access

    dashboard = create_app()                                   # everything allowed
    dashboard = create_app(password="s3cret")                  # HTTP basic auth
    dashboard = create_app(authorize=lambda environ: Access.READ_ONLY)

Mount it in Django, Flask or FastAPI, or serve it: ``robin web`` on 127.0.0.1:7433, or
``gunicorn robin.web:app`` (configured from ``ROBIN_WEB_*`` variables).  See docs/web.md.

Pages are registered with :func:`register_page` (core's pages too); plug-ins add theirs
in ``Plugin.web``.  HTML is built with :mod:`robin.web.html`, which escapes everything
that is not already markup.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Sequence
from typing import Any

from robin.web import pages as _core
from robin.web.app import CSP, App, StartResponse
from robin.web.auth import Authorize
from robin.web.html import Markup
from robin.web.http import Access, HTTPError, Request, Response, View
from robin.web.mount import mount
from robin.web.registry import Action, Page, register_page, unregister_page

_core.register()


def create_app(authorize: Authorize | None = None, *, password: str | None = None, read_only: bool = False,
               secret: str | bytes | None = None, allowed_hosts: Sequence[str] | None = None) -> App:
    """The dashboard as a WSGI application.

    ``authorize(environ)`` returns :class:`Access` (``ALLOWED``, ``READ_ONLY``,
    ``DENIED``) for each request; without it every request is allowed, so guard the
    app some other way (``password``, your framework's login, a private network).
    ``password`` asks for HTTP basic auth (any user name).  ``read_only`` makes every
    request read-only.  ``secret`` signs the CSRF tokens (default: ``ROBIN_WEB_SECRET``,
    else random per process; processes serving one dashboard behind a load balancer
    need the same one).  ``allowed_hosts`` lists the host names (``name`` for any port,
    ``name:port``, ``[::1]``; ``*`` for any) the dashboard answers for: any other ``Host``
    gets a 421, which stops DNS rebinding.  ``None`` (the default) answers any host: for
    mounting in a framework that checks the host itself (Django's ``ALLOWED_HOSTS``).
    """
    return App(authorize, password=password, read_only=read_only, secret=secret, allowed_hosts=allowed_hosts)


def from_environment() -> App:
    """The dashboard configured from the environment: ``ROBIN_WEB_PASSWORD`` (basic auth),
    ``ROBIN_WEB_READ_ONLY=1``, ``ROBIN_WEB_SECRET`` and ``ROBIN_WEB_ALLOWED_HOSTS`` (comma-separated
    host names, see :func:`create_app`; unset: any host)."""
    read_only = os.environ.get("ROBIN_WEB_READ_ONLY", "").strip().lower() in ("1", "true", "yes", "on")
    hosts_text = os.environ.get("ROBIN_WEB_ALLOWED_HOSTS", "").strip()
    hosts = [h.strip() for h in hosts_text.split(",") if h.strip()] if hosts_text else None
    return create_app(password=os.environ.get("ROBIN_WEB_PASSWORD") or None, read_only=read_only,
                      allowed_hosts=hosts)


class EnvironmentApp:
    """``robin.web.app``: :func:`from_environment`, made at the first request (importing is free)."""

    def __init__(self) -> None:
        self._app: App | None = None
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if self._app is None:
            with self._lock:
                if self._app is None:
                    self._app = from_environment()
        return self._app(environ, start_response)


app = EnvironmentApp()
"""For WSGI servers: ``gunicorn 'robin.web:app'``.  Set ``ROBIN_WEB_PASSWORD`` (or put it
behind your own authentication) before exposing it to anyone."""

__all__ = [
    "CSP",
    "Access",
    "Action",
    "App",
    "Authorize",
    "HTTPError",
    "Markup",
    "Page",
    "Request",
    "Response",
    "View",
    "app",
    "create_app",
    "from_environment",
    "mount",
    "register_page",
    "unregister_page",
]
