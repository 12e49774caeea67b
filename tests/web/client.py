"""Calling the dashboard's WSGI app directly, as a browser would: cookies, CSRF tokens, redirects."""

from __future__ import annotations

import base64
import io
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit
from wsgiref.util import setup_testing_defaults

from robin.web import App

TOKEN = re.compile(r'name="robin-csrf" content="([0-9a-f]+)"')


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    cookies: list[str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")


@dataclass
class Browser:
    """A WSGI client that keeps cookies and finds the CSRF token in the pages it got."""

    app: App
    script_name: str = ""
    password: str | None = None
    jar: dict[str, str] = field(default_factory=dict)
    token: str = ""

    def request(self, method: str, path: str, data: dict[str, Any] | list[tuple[str, str]] | None = None,
                **environ: Any) -> Reply:
        path, _, query = path.partition("?")
        env: dict[str, Any] = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query,
                               "SCRIPT_NAME": self.script_name}
        body = urlencode(data, doseq=True).encode() if data is not None else b""
        env["wsgi.input"] = io.BytesIO(body)
        env["CONTENT_LENGTH"] = str(len(body))
        env["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
        if self.jar:
            env["HTTP_COOKIE"] = "; ".join(f"{k}={v}" for k, v in self.jar.items())
        if self.password is not None:
            env["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(f"admin:{self.password}".encode()).decode()
        env.update(environ)
        setup_testing_defaults(env)
        captured: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]]) -> None:
            captured["status"] = int(status.split(maxsplit=1)[0])
            captured["headers"] = headers

        chunks = self.app(env, start_response)
        headers = captured["headers"]
        cookies = [v for k, v in headers if k == "Set-Cookie"]
        for cookie in cookies:
            name, _, rest = cookie.partition("=")
            value = rest.split(";")[0]
            if "Max-Age=0" in cookie:
                self.jar.pop(name, None)
            else:
                self.jar[name] = value
        reply = Reply(captured["status"], {k: v for k, v in headers if k != "Set-Cookie"}, cookies, b"".join(chunks))
        found = TOKEN.search(reply.text) if "text/html" in reply.headers.get("Content-Type", "") else None
        if found:
            self.token = found.group(1)
        return reply

    def get(self, path: str, **environ: Any) -> Reply:
        return self.request("GET", path, **environ)

    def post(self, path: str, data: dict[str, Any] | None = None, *, follow: bool = False, csrf: bool = True,
             **environ: Any) -> Reply:
        if csrf and not self.token:
            self.get("/")
        fields = {"csrf": self.token, **(data or {})} if csrf else dict(data or {})
        reply = self.request("POST", path, fields, **environ)
        if follow and reply.status == 303:
            target = urlsplit(reply.location)
            location = target.path[len(self.script_name):] + ("?" + target.query if target.query else "")
            return self.get(location)
        return reply
