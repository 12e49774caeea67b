"""The page-registration seam: every tab of the dashboard is a :class:`Page`, core's too.

::

    from robin import web
    from robin.web.html import render, table

    def batches(request: web.Request) -> str:
        return table(["bid", "progress"], rows)         # HTML; escape job data (see robin.web.html)

    def cancel(request: web.Request) -> str:
        ...                                             # change something
        return "cancelled batch " + request.form["bid"]  # shown as a notice on the next page

    web.register_page("/batches", "Batches", batches,
                      actions={"cancel": web.Action(cancel, confirm="Cancel this batch?")})

A page owns its path and everything below it (``/batches/<bid>`` comes to the same render
with ``request.rest == ("<bid>",)``).  Its ``render`` answers GETs: HTML to put in the
layout, a :class:`View` (HTML with a title), or a :class:`Response`.  HTML means
:class:`~robin.web.html.Markup` (what ``render``, ``table``, ``section``, ``join`` return):
a plain ``str`` is text, and is escaped.  Its actions
answer POSTs whose form field ``action`` names them; the app checks the CSRF token and
the access before calling one, so a GET never changes anything.  An action returns a
notice (``str``) or ``None`` (the browser is sent back where it came from), or a
:class:`Response`.

Plug-ins register their pages in ``Plugin.web`` (called once per process, when a
dashboard is made) or in ``setup()``.  Registering a path again replaces the page.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from robin.errors import ConfigurationError
from robin.web.http import Request, Response, View

Render = Callable[[Request], "str | View | Response"]
Handler = Callable[[Request], "str | Response | None"]


@dataclass(frozen=True)
class Action:
    """A POST handler of a page.  With ``confirm`` (a question, or a callable making one from
    the request), the user is asked first: a browser dialog, or a confirmation page
    without JavaScript."""

    handler: Handler
    confirm: str | Callable[[Request], str] | None = None

    def question(self, request: Request) -> str | None:
        return self.confirm(request) if callable(self.confirm) else self.confirm


@dataclass(frozen=True)
class Page:
    """A tab of the dashboard (or, with ``tab=False``, a page reached by links only)."""

    path: str
    title: str
    render: Render
    actions: Mapping[str, Action] = field(default_factory=lambda: MappingProxyType({}))
    tab: bool = True
    order: int = 100

    def match(self, path: str) -> tuple[str, ...] | None:
        """The segments of ``path`` after this page's path, or None if it is not this page's."""
        if self.path == "/":
            return () if path == "/" else None
        if path == self.path or path.startswith(self.path + "/"):
            return tuple(s for s in path[len(self.path):].split("/") if s)
        return None


_lock = threading.Lock()
_pages: dict[str, Page] = {}


def register_page(path: str, title: str, render: Render, *,
                  actions: Mapping[str, Action | Handler] | None = None, tab: bool = True,
                  order: int = 100) -> Page:
    """Add a page to every dashboard of this process; return it.

    ``path`` is where it lives inside the app (``/batches``); ``title`` names its tab;
    ``order`` places the tab (core's use 10-70; plug-ins' default 100 comes after them).
    """
    if not path.startswith("/") or (path != "/" and path.endswith("/")) or "//" in path:
        raise ConfigurationError(f"a dashboard page's path must start with '/' and not end with one: {path!r}")
    if path in ("/static", "/stats.json") or path.startswith("/static/"):
        raise ConfigurationError(f"the dashboard keeps {path!r} for itself; choose another path")
    wrapped = {name: a if isinstance(a, Action) else Action(a) for name, a in (actions or {}).items()}
    page = Page(path, title, render, MappingProxyType(wrapped), tab, order)
    with _lock:
        _pages[path] = page
    return page


def unregister_page(path: str) -> None:
    with _lock:
        _pages.pop(path, None)


def pages() -> list[Page]:
    """Every registered page, in tab order."""
    with _lock:
        found = list(_pages.values())
    return sorted(found, key=lambda p: (p.order, p.title))


def find(path: str) -> tuple[Page, tuple[str, ...]] | None:
    """The page that owns ``path`` (the longest matching path wins), with the rest of the path."""
    best: tuple[Page, tuple[str, ...]] | None = None
    for page in pages():
        rest = page.match(path)
        if rest is not None and (best is None or len(page.path) > len(best[0].path)):
            best = (page, rest)
    return best
