"""What makes the dashboard safe to expose: CSRF, no state change on GET, escaping, CSP, access."""

from __future__ import annotations

import re
from typing import Any

import pytest
import redis

from robin.api import DeadSet
from robin.web import Access, create_app
from tests.web.client import Browser
from tests.web.conftest import fill

MARKUP = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_every_response_carries_the_content_security_policy_and_no_sniff(browser: Browser) -> None:
    for path in ("/", "/dead", "/stats.json", "/static/robin.css", "/missing"):
        headers = browser.get(path).headers
        assert headers["Content-Security-Policy"].startswith("default-src 'self'; script-src 'self'; ")
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"


def test_pages_have_no_inline_script_or_style(browser: Browser, r: redis.Redis) -> None:
    fill(r, "dead", 3)
    for path in ("/", "/busy", "/queues", "/dead", "/metrics"):
        html = browser.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)", html) and " style=" not in html
        assert not re.search(r"\son[a-z]+=", html)


def test_job_text_is_escaped_in_lists_and_details(browser: Browser, r: redis.Redis) -> None:
    fill(r, "dead", 1, job="evil.<b>job</b>", args=[MARKUP, {"k": MARKUP}], message=MARKUP)
    fill(r, "retry", 1, args=[MARKUP], message=MARKUP)
    pages = [browser.get(p).text for p in ("/dead", "/retries", "/dead?q=script")]
    link = re.search(r'<a href="(/dead/[^"]+)">', pages[0])
    assert link
    pages.append(browser.get(link.group(1)).text)
    for html in pages:
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>job" not in html
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html or "&lt;script&gt;alert" in html


def test_a_post_without_the_right_csrf_token_is_refused_and_changes_nothing(browser: Browser, r: redis.Redis) -> None:
    fill(r, "dead", 2)
    for token in ("", "0" * 64, None):
        data: dict[str, Any] = {"action": "delete_all", "confirmed": "1"}
        if token is not None:
            data["csrf"] = token
        reply = browser.post("/dead", data, csrf=False)
        assert reply.status == 403 and "CSRF token" in reply.text
    other = Browser(browser.app)  # another browser's valid token does not fit this browser's cookie
    other.get("/")
    browser.get("/")
    reply = browser.request("POST", "/dead", {"csrf": other.token, "action": "delete_all", "confirmed": "1"})
    assert reply.status == 403 and DeadSet().size == 2


def test_a_get_never_changes_anything(browser: Browser, r: redis.Redis) -> None:
    fill(r, "dead", 2)
    browser.get("/")
    assert browser.get(f"/dead?action=delete_all&confirmed=1&csrf={browser.token}").status == 200
    assert browser.request("PUT", "/dead").status == 405 and DeadSet().size == 2


def test_a_destructive_action_without_confirmation_asks_first(browser: Browser, r: redis.Redis) -> None:
    fill(r, "dead", 2)
    browser.get("/dead?page=1")
    asked = browser.post("/dead", {"action": "delete_all", "back": "/dead?page=1"})
    assert asked.status == 200 and "Delete every job of Dead?" in asked.text and DeadSet().size == 2
    assert 'name="confirmed" value="1"' in asked.text and 'href="/dead?page=1">Cancel' in asked.text
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', asked.text))
    done = browser.request("POST", "/dead", fields)
    assert done.status == 303 and DeadSet().size == 0


def test_a_form_cannot_send_the_browser_off_site(browser: Browser) -> None:
    for back in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        reply = browser.post("/busy", {"action": "quiet_all", "back": back})
        assert reply.status == 303 and reply.location == "/busy"


@pytest.mark.parametrize(("answer", "page", "post"), [
    (Access.ALLOWED, 200, 303), (True, 200, 303), ("allowed", 200, 303),
    (Access.READ_ONLY, 200, 403), ("read-only", 200, 403),
    (Access.DENIED, 403, 403), (False, 403, 403), (None, 403, 403), ("sure", 403, 403),
])
def test_the_authorization_hook_decides_each_request(r: redis.Redis, answer: Any, page: int, post: int) -> None:
    seen: list[str] = []

    def authorize(environ: dict[str, Any]) -> Any:
        seen.append(environ["PATH_INFO"])
        return answer

    browser = Browser(create_app(authorize))
    assert browser.get("/busy").status == page
    assert browser.post("/busy", {"action": "quiet_all"}).status == post
    assert "/busy" in seen


def test_a_read_only_request_sees_no_buttons(r: redis.Redis) -> None:
    fill(r, "dead", 2)
    browser = Browser(create_app(read_only=True))
    html = browser.get("/dead").text
    assert "read-only" in html and "<button" not in html.replace('<button type="submit">Filter</button>', "")
    assert 'type="checkbox"' not in html


def test_a_failing_hook_denies(r: redis.Redis) -> None:
    def broken(environ: dict[str, Any]) -> Access:
        raise RuntimeError("session store down")

    assert Browser(create_app(broken)).get("/").status == 403


def test_a_password_asks_for_http_basic_auth(r: redis.Redis) -> None:
    app = create_app(password="s3cret")
    reply = Browser(app).get("/")
    assert reply.status == 401 and reply.headers["WWW-Authenticate"].startswith('Basic realm="Robin"')
    assert Browser(app, password="wrong").get("/").status == 401
    assert Browser(app, password="s3cret").get("/").status == 200


def test_the_csrf_cookie_is_http_only_and_strict(browser: Browser) -> None:
    [cookie] = browser.get("/").cookies
    assert cookie.startswith("robin_csrf=") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Path=/" in cookie and "Secure" not in cookie
    secure = Browser(browser.app).get("/", **{"wsgi.url_scheme": "https"})
    assert "Secure" in secure.cookies[0]


def test_a_server_that_is_down_is_a_clear_503(r: redis.Redis, server) -> None:
    browser = Browser(create_app())
    server.stop()
    try:
        reply = browser.get("/dead")
        assert reply.status == 503 and "cannot reach its Redis/Valkey server" in reply.text
    finally:
        server.start()
