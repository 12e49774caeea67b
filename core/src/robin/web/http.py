"""Requests and responses of the dashboard: a thin layer over the WSGI environ.

The app may be mounted under a prefix (``SCRIPT_NAME``, set by whatever mounts it:
Django, Flask, a WSGI dispatcher, gunicorn behind a proxy).  Every link a page makes goes
through :meth:`Request.url`, which puts that prefix in front, so the dashboard works at
``/`` and at ``/admin/robin/`` alike.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, urlencode

if TYPE_CHECKING:
    from robin.web.registry import Page

MAX_FORM = 1_000_000  # bytes: a form of 10,000 selected jobs fits easily


class Access(enum.Enum):
    """What an authorization hook answers for a request."""

    ALLOWED = "allowed"
    READ_ONLY = "read-only"
    DENIED = "denied"


class HTTPError(Exception):
    """Raised by a page to answer with an error page: ``HTTPError(404, "no such job ...")``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Request:
    """One request, as pages see it.

    ``path`` is the path inside the app (after ``SCRIPT_NAME``); ``rest`` the path
    segments after the page's own path (``/dead/123.5/abc`` on the page ``/dead`` ->
    ``("123.5", "abc")``); ``query`` and ``form`` map a name to its first value
    (``values(name)`` gives all); ``access`` is what the authorization hook said.
    """

    def __init__(self, environ: dict[str, Any], access: Access = Access.ALLOWED, csrf_token: str = "") -> None:
        self.environ = environ
        self.method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        self.script_name = str(environ.get("SCRIPT_NAME", "")).rstrip("/")
        self.path = _wsgi_text(str(environ.get("PATH_INFO", ""))) or "/"
        self.query_string = str(environ.get("QUERY_STRING", ""))
        self._query = parse_qs(self.query_string, keep_blank_values=True)
        self._form: dict[str, list[str]] | None = None
        self.access = access
        self.csrf_token = csrf_token
        self.page: Page | None = None
        self.rest: tuple[str, ...] = ()

    # -- what was asked ------------------------------------------------------------------
    @property
    def query(self) -> dict[str, str]:
        return {k: v[0] for k, v in self._query.items()}

    @property
    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in self._read_form().items()}

    def values(self, name: str) -> list[str]:
        """Every value of a form field (checkboxes), else of a query parameter."""
        return self._read_form().get(name) or self._query.get(name, [])

    def arg(self, name: str, default: str = "") -> str:
        """A query parameter's first value."""
        return self._query.get(name, [default])[0]

    def int_arg(self, name: str, default: int, *, low: int = 0, high: int = 10**9) -> int:
        """A whole-number query parameter, clamped to ``low..high`` (junk gives ``default``)."""
        try:
            value = int(self.arg(name, str(default)))
        except ValueError:
            return default
        return max(low, min(high, value))

    def _read_form(self) -> dict[str, list[str]]:
        if self._form is None:
            self._form = {}
            if self.method == "POST":
                try:
                    length = int(self.environ.get("CONTENT_LENGTH") or 0)
                except ValueError:
                    length = 0
                if length > MAX_FORM:
                    raise HTTPError(413, f"the form is larger than {MAX_FORM:,} bytes")
                body = self.environ["wsgi.input"].read(length) if length > 0 else b""
                self._form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        return self._form

    @property
    def cookies(self) -> dict[str, str]:
        """The request's cookies, parsed leniently: one odd cookie of a host app hides no other."""
        return parse_cookies(str(self.environ.get("HTTP_COOKIE", "")))

    def back_url(self, back: str) -> str:
        """Where a form sends the browser after its action (or Cancel does): ``back`` if it is a
        path inside this app, percent-quoted; else the page's own URL."""
        safe = (back.startswith("/") and not back.startswith("//") and "\\" not in back and back.isprintable())
        if not safe:
            return self.url(self.page.path if self.page is not None else "/")
        return self.script_name + quote(back, safe="/?&=%:@!$'()*+,;-._~")

    @property
    def read_only(self) -> bool:
        """True when this request may only look: pages leave their buttons out."""
        return self.access is not Access.ALLOWED

    @property
    def secure(self) -> bool:
        return self.environ.get("wsgi.url_scheme") == "https"

    # -- links ---------------------------------------------------------------------------
    def url(self, path: str = "/", /, **query: Any) -> str:
        """A link to ``path`` inside the app, with the mount prefix and ``query`` (None values left out)."""
        if not path.startswith("/"):
            path = "/" + path
        target = self.script_name + quote(path, safe="/:@!$&'()*+,;=-._~")
        pairs = [(k, str(v)) for k, v in query.items() if v is not None and v != ""]
        return target + ("?" + urlencode(pairs) if pairs else "")

    @property
    def here(self) -> str:
        """This request's path and query inside the app: where a form brings you back to."""
        return self.path + ("?" + self.query_string if self.query_string else "")

    @property
    def root(self) -> str:
        """The app's own URL path (the mount prefix and a slash)."""
        return self.script_name + "/"


@dataclass
class Response:
    """What a page may return instead of HTML to put in the layout."""

    body: bytes | str = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def json(cls, data: Any, status: int = 200) -> Response:
        return cls(json.dumps(data, separators=(",", ":")), status, "application/json")

    @classmethod
    def redirect(cls, location: str) -> Response:
        """A 303 See Other to ``location`` (from :meth:`Request.url`): after a POST, the browser GETs it."""
        return cls(b"", 303, "text/plain; charset=utf-8", [("Location", location)])

    def encoded(self) -> bytes:
        return self.body.encode("utf-8") if isinstance(self.body, str) else self.body


@dataclass(frozen=True)
class View:
    """HTML for the page's layout, with a title of its own (a job's detail page, say)."""

    body: str
    title: str | None = None


STATUS_TEXT: Mapping[int, str] = {200: "OK", 303: "See Other", 304: "Not Modified", 400: "Bad Request",
                                  401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
                                  405: "Method Not Allowed", 413: "Content Too Large", 421: "Misdirected Request",
                                  500: "Internal Server Error", 503: "Service Unavailable"}


def status_line(status: int) -> str:
    return f"{status} {STATUS_TEXT.get(status, 'Unknown')}"


def parse_cookies(header: str) -> dict[str, str]:
    """``a=1; b="2"`` -> ``{"a": "1", "b": "2"}``: split on ';', then on the first '='; junk is
    skipped, the first of two cookies of one name wins (the most specific path, as browsers send)."""
    found: dict[str, str] = {}
    for part in header.split(";"):
        name, eq, value = part.partition("=")
        name, value = name.strip(), value.strip()
        if not eq or not name:
            continue
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        found.setdefault(name, value)
    return found


def _wsgi_text(value: str) -> str:
    """PEP 3333 gives PATH_INFO as latin-1 decoded bytes; the browser sent UTF-8."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value
