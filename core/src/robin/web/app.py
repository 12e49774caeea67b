"""The dashboard as a WSGI application: access, CSRF, routing to pages, static assets.

Every request goes through :meth:`App.__call__`:

0. the ``Host`` must be one of ``allowed_hosts`` (when given: DNS rebinding), else 421;
1. ``password`` (HTTP basic) and the authorization hook decide: allowed, read-only or
   denied (``read_only=True`` caps every request at read-only);
2. ``/static/...`` and ``/stats.json`` are answered here; any other path goes to the
   registered :class:`~robin.web.registry.Page` that owns it;
3. GET and HEAD render; a POST must come from a request that is not read-only, not from
   another site (``Origin``, ``Sec-Fetch-Site``), carry a valid CSRF token, and name one
   of the page's actions.  An action with ``confirm``
   runs only once confirmed (the static JS asks; without JS a confirmation page does);
4. the response gets the security headers, among them a Content-Security-Policy that
   allows scripts and styles from the app only: no inline script can run, whatever a
   job's arguments contain.

Anything unexpected on the way becomes a 500 page (with those headers, without the
traceback, which goes to the log).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from importlib import resources
from typing import Any
from urllib.parse import quote, unquote

import redis

from robin import config, plugins
from robin.web import csrf, templates
from robin.web.auth import Authorize, decide, narrower, password_matches
from robin.web.hosts import AllowedHosts, cross_site, request_host
from robin.web.html import Markup, escape
from robin.web.http import Access, HTTPError, Request, Response, View, status_line
from robin.web.registry import Page, find, pages

log = logging.getLogger("robin.web")

StartResponse = Callable[..., Any]

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
SECURITY_HEADERS = [
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
]
NOTICE_COOKIE = "robin_notice"
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                ".png": "image/png", ".svg": "image/svg+xml"}
SERVER_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, ConnectionError, TimeoutError)


class App:
    """The Robin dashboard; make one with :func:`robin.web.create_app`."""

    def __init__(self, authorize: Authorize | None = None, *, password: str | None = None, read_only: bool = False,
                 secret: str | bytes | None = None, brand: str = "Robin",
                 allowed_hosts: Sequence[str] | None = None) -> None:
        self.authorize = authorize
        if isinstance(allowed_hosts, str):
            allowed_hosts = [allowed_hosts]
        self.allowed_hosts = AllowedHosts(allowed_hosts) if allowed_hosts is not None else None
        self.password = password or None
        self.read_only = read_only
        self.brand = brand
        self._secret = csrf.secret_from(secret)
        self._static = _load_static()
        self.assets = {name: hashlib.sha256(body).hexdigest()[:12] for name, body in self._static.items()}
        load_plugin_pages()

    # -- WSGI ----------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        try:
            response, set_cookies = self.respond(environ)
        except Exception:
            log.exception("the dashboard failed to answer %s %s", environ.get("REQUEST_METHOD"),
                          environ.get("PATH_INFO"))
            response, set_cookies = Response(
                "Robin's dashboard failed to answer this request; the traceback is in the log of the process "
                "serving it.\n", 500, "text/plain; charset=utf-8"), []
        headers = [("Content-Type", response.content_type), *SECURITY_HEADERS, *response.headers]
        if response.content_type.startswith(("text/html", "application/json")):
            headers.append(("Cache-Control", "no-store"))
        headers += [("Set-Cookie", cookie) for cookie in set_cookies]
        body = response.encoded()
        headers.append(("Content-Length", str(len(body))))
        start_response(status_line(response.status), headers)
        return [b""] if environ.get("REQUEST_METHOD") == "HEAD" else [body]

    def respond(self, environ: dict[str, Any]) -> tuple[Response, list[str]]:
        """The response to one request, and the cookies to set."""
        if self.allowed_hosts is not None and not self.allowed_hosts.allows(request_host(environ)):
            host = request_host(environ)
            return Response(f"Robin's dashboard does not answer for the host {host!r} (DNS rebinding protection). "
                            f"If you reach it by that name, allow it: robin web --allowed-host NAME, "
                            f"create_app(allowed_hosts=[...]) or ROBIN_WEB_ALLOWED_HOSTS.\n", 421,
                            "text/plain; charset=utf-8"), []
        if self.password is not None and not password_matches(self.password, environ):
            return Response("Robin's dashboard needs a password: missing or wrong password (any user name "
                            "works).\n", 401, "text/plain; charset=utf-8",
                            [("WWW-Authenticate", 'Basic realm="Robin", charset="UTF-8"')]), []
        access = decide(self.authorize, environ)
        if self.read_only:
            access = narrower(access, Access.READ_ONLY)
        if access is Access.DENIED:
            return Response("You may not see Robin's dashboard.\n", 403, "text/plain; charset=utf-8"), []
        request = Request(environ, access)
        cookies: list[str] = []
        browser_cookie = request.cookies.get(csrf.COOKIE, "")
        if len(browser_cookie) != 32:
            browser_cookie = csrf.new_cookie()
            cookies.append(self._cookie(request, csrf.COOKIE, browser_cookie))
        request.csrf_token = csrf.token_for(self._secret, browser_cookie)
        try:
            response = self.route(request, browser_cookie, cookies)
        except HTTPError as exc:
            response = self.page_response(request, f"{exc.status} · {_reason(exc.status)}",
                                          templates.error(exc.status, exc.message), status=exc.status)
        except SERVER_ERRORS as exc:
            log.warning("the dashboard cannot reach the server: %s", exc)
            response = self.page_response(request, "Server unreachable", templates.error(
                503, f"Robin cannot reach its Redis/Valkey server ({type(exc).__name__}: {exc}). Check that it "
                     f"runs and that ROBIN_REDIS_URL points at it; this page works again as soon as it answers."),
                status=503)
        except Exception:
            log.exception("the dashboard failed to answer %s %s", request.method, request.path)
            response = self.page_response(request, "Error", templates.error(
                500, "This page failed; the traceback is in the log of the process serving the dashboard."),
                status=500)
        return response, cookies

    # -- routing -------------------------------------------------------------------------
    def route(self, request: Request, browser_cookie: str, cookies: list[str]) -> Response:
        path = request.path
        if path.startswith("/static/"):
            return self.static(path[len("/static/"):])
        if path == "/stats.json":
            return self.stats_json()
        found = find(path)
        if found is None:
            raise HTTPError(404, f"There is no page at {path}.")
        request.page, request.rest = found
        if request.method in ("GET", "HEAD"):
            notice = unquote(request.cookies.get(NOTICE_COOKIE, ""))
            if notice:
                cookies.append(self._cookie(request, NOTICE_COOKIE, "", expire=True))
            return self.render(request, request.page, notice)
        if request.method == "POST":
            return self.post(request, request.page, browser_cookie, cookies)
        return Response("GET, HEAD or POST only.\n", 405, "text/plain; charset=utf-8", [("Allow", "GET, HEAD, POST")])

    def render(self, request: Request, page: Page, notice: str = "") -> Response:
        result = page.render(request)
        if isinstance(result, Response):
            return result
        title = page.title
        if isinstance(result, View):
            title, result = result.title or title, result.body
        # HTML only when the page says so (Markup, which robin.web.html's helpers return): a plain str is text
        return self.page_response(request, title, escape(result), notice=notice)

    def post(self, request: Request, page: Page, browser_cookie: str, cookies: list[str]) -> Response:
        if request.read_only:
            raise HTTPError(403, "This dashboard is read-only for you: nothing was changed.")
        elsewhere = cross_site(request.environ)
        if elsewhere is not None:
            raise HTTPError(403, f"This form did not come from this dashboard ({elsewhere}): nothing was changed. "
                                 f"Open the dashboard at its own address and use its buttons.")
        form = request.form
        if not csrf.valid(self._secret, browser_cookie, form.get(csrf.FIELD)):
            raise HTTPError(403, "This form has expired or did not come from this dashboard (its CSRF token does "
                                 "not match). Go back, reload the page and try again.")
        name = form.get("action", "")
        action = page.actions.get(name)
        if action is None:
            raise HTTPError(400, f"The page {page.title} has no action {name!r}.")
        question = action.question(request)
        if question and form.get("confirmed") != "1":
            fields = {k: request.values(k) for k in form}
            return self.page_response(request, "Are you sure?", templates.confirmation(request, question, fields))
        result = action.handler(request)
        if isinstance(result, Response):
            return result
        if result:
            cookies.append(self._cookie(request, NOTICE_COOKIE, quote(result[:500])))
        return Response.redirect(request.back_url(form.get("back", "")))

    def page_response(self, request: Request, title: str, body: str, *, notice: str = "",
                      status: int = 200) -> Response:
        html = templates.layout(request, pages(), title=title, body=body, notice=notice, brand=self.brand,
                                assets=self.assets, namespace=config.namespace())
        return Response(html, status)

    # -- what the app answers itself -----------------------------------------------------
    def static(self, name: str) -> Response:
        body = self._static.get(name)
        if body is None:
            raise HTTPError(404, f"There is no static file {name}.")
        suffix = name[name.rfind("."):]
        return Response(body, 200, STATIC_TYPES.get(suffix, "application/octet-stream"),
                        [("Cache-Control", "public, max-age=31536000, immutable")])

    @staticmethod
    def stats_json() -> Response:
        """What the dashboard's live graph polls: the totals now (the browser computes rates)."""
        from robin.api import Stats

        stats = Stats()
        return Response.json({**stats.to_dict(), "time": stats.taken_at})

    def _cookie(self, request: Request, name: str, value: str, *, expire: bool = False) -> str:
        parts = [f"{name}={value}", f"Path={request.root}", "HttpOnly", "SameSite=Strict"]
        if request.secure:
            parts.append("Secure")
        if expire:
            parts.append("Max-Age=0")
        return "; ".join(parts)

    @staticmethod
    def _back(request: Request, back: str) -> str:
        """Where a form sends the browser after its action: a path inside this app only."""
        return request.back_url(back)


def _reason(status: int) -> str:
    return status_line(status).split(" ", 1)[1]


def _load_static() -> dict[str, bytes]:
    folder = resources.files("robin.web").joinpath("static")
    return {item.name: item.read_bytes() for item in folder.iterdir() if item.is_file()}


_plugin_pages_lock = threading.Lock()
_plugin_pages_added: set[int] = set()


def load_plugin_pages() -> None:
    """Let every loaded plug-in add its pages (``Plugin.web``), once per plug-in and process."""
    for loaded in plugins.load():
        hook = loaded.plugin.web
        if hook is None:
            continue
        with _plugin_pages_lock:
            if id(loaded.plugin) in _plugin_pages_added:
                continue
            _plugin_pages_added.add(id(loaded.plugin))
        try:
            hook()
        except Exception:
            log.exception("plug-in %s failed to add its dashboard pages; the dashboard runs without them",
                          loaded.describe())


__all__ = ["CSP", "App", "Markup", "load_plugin_pages"]
