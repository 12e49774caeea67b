"""Mounting the dashboard under a prefix, as Django, Flask and FastAPI do (docs/web.md).

What every framework's mount does is the WSGI contract: the prefix goes into
SCRIPT_NAME, the rest of the path into PATH_INFO.  ``robin.web.mount`` (the Django
example's dispatcher) does exactly that, as werkzeug's DispatcherMiddleware (Flask) and
FastAPI's WSGIMiddleware do, so these tests prove the dashboard keeps every link, form,
redirect and cookie under the prefix.  The framework tests run only where the framework
happens to be installed; none is a dependency.
"""

from __future__ import annotations

import asyncio
import re
import threading
import urllib.request
from collections.abc import Callable, Iterable
from typing import Any

import pytest
import redis

from robin.api import DeadSet
from robin.web import create_app, mount
from robin.web.serve import server
from tests.web.client import Browser
from tests.web.conftest import fill


def site(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"the application itself"]


def links(html: str) -> list[str]:
    return re.findall(r'(?:href|action|src|data-src)="(/[^"]*)"', html)


def test_every_link_form_and_asset_stays_under_the_mount_prefix(r: redis.Redis) -> None:
    fill(r, "dead", 30)
    browser = Browser(mount("/ops/robin", create_app(), site))
    for path in ("/ops/robin", "/ops/robin/", "/ops/robin/dead", "/ops/robin/queues", "/ops/robin/dead?page=2"):
        reply = browser.get(path)
        assert reply.status == 200, path
        found = links(reply.text)
        assert found and all(link.startswith("/ops/robin/") for link in found), (path, found)
        assert "Path=/ops/robin/" in "".join(reply.cookies) or browser.jar
    detail = next(link for link in links(browser.get("/ops/robin/dead").text) if link.count("/") == 5)
    assert browser.get(detail).status == 200
    assert browser.get("/ops/robin/static/robin.js").headers["Content-Type"].startswith("text/javascript")
    assert browser.get("/elsewhere").body == b"the application itself"


def test_actions_redirect_back_under_the_prefix(r: redis.Redis) -> None:
    fill(r, "dead", 3)
    browser = Browser(mount("/ops/robin", create_app(), site))
    html = browser.get("/ops/robin/dead?page=1").text
    key = re.findall(r'name="job" value="([^"]+)"', html)[0]
    reply = browser.post("/ops/robin/dead", {"action": "delete", "job": [key], "confirmed": "1",
                                             "back": "/dead?page=1"})
    assert reply.status == 303 and reply.location == "/ops/robin/dead?page=1" and DeadSet().size == 2


def test_a_mounted_dashboard_answers_over_http(r: redis.Redis) -> None:
    running = server(mount("/admin/jobs", create_app(), site), "127.0.0.1", 0)
    thread = threading.Thread(target=running.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{running.server_address[1]}"
        with urllib.request.urlopen(base + "/admin/jobs/queues") as reply:
            html = reply.read().decode()
        assert '<a href="/admin/jobs/queues" aria-current="page">' in html
        with urllib.request.urlopen(base + "/") as reply:
            assert reply.read() == b"the application itself"
    finally:
        running.shutdown()
        running.server_close()


def test_flask_mounting_as_documented(r: redis.Redis) -> None:
    flask = pytest.importorskip("flask", reason="Flask is not installed (not a dependency: docs/web.md's example)")
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    application = flask.Flask(__name__)
    application.wsgi_app = DispatcherMiddleware(application.wsgi_app,  # type: ignore[method-assign]
                                                {"/robin": create_app()})
    html = application.test_client().get("/robin/queues").get_data(as_text=True)
    assert '<a href="/robin/queues" aria-current="page">' in html


def test_fastapi_mounting_as_documented(r: redis.Redis) -> None:
    fastapi = pytest.importorskip("fastapi", reason="FastAPI is not installed (not a dependency: docs/web.md)")
    pytest.importorskip("a2wsgi", reason="a2wsgi is not installed (docs/web.md's FastAPI example uses it)")
    from a2wsgi import WSGIMiddleware

    application = fastapi.FastAPI()
    application.mount("/robin", WSGIMiddleware(create_app()))
    status, html = asyncio.run(asgi_get(application, "/robin/queues"))
    assert status == 200 and '<a href="/robin/queues" aria-current="page">' in html


async def asgi_get(application: Any, path: str) -> tuple[int, str]:
    """One GET through an ASGI app, as an ASGI server would send it (no HTTP client needed)."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": path, "raw_path": path.encode(), "root_path": "", "query_string": b"",
             "headers": [(b"host", b"localhost")], "client": ("127.0.0.1", 1), "server": ("localhost", 80)}
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await application(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    return status, b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body").decode()


def test_django_mounting_as_documented(r: redis.Redis) -> None:
    """docs/web.md's Django wsgi.py: the dashboard under /robin beside a Django project."""
    pytest.importorskip("django", reason="Django is not installed (not a dependency: docs/web.md's example)")
    import django
    from django.conf import settings
    from django.http import HttpResponse
    from django.urls import path

    if not settings.configured:
        settings.configure(DEBUG=False, ALLOWED_HOSTS=["*"], ROOT_URLCONF=__name__, SECRET_KEY="test",
                           MIDDLEWARE=[], INSTALLED_APPS=[])
        django.setup()
    globals()["urlpatterns"] = [path("", lambda request: HttpResponse(b"the django site"))]
    from django.core.wsgi import get_wsgi_application

    application = mount("/robin", create_app(), get_wsgi_application())
    running = server(application, "127.0.0.1", 0)
    thread = threading.Thread(target=running.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{running.server_address[1]}"
        with urllib.request.urlopen(base + "/robin/queues") as reply:
            assert '<a href="/robin/queues" aria-current="page">' in reply.read().decode()
        with urllib.request.urlopen(base + "/") as reply:
            assert reply.read() == b"the django site"
    finally:
        running.shutdown()
        running.server_close()
