"""Review fixes: host checks (DNS rebinding), cross-site POSTs, lenient cookies, no 500s on odd data."""

from __future__ import annotations

import base64
import http.client
import json
import logging
import threading
import time
from typing import Any

import pytest
import redis

import robin
from robin import web
from robin.api import DeadSet, Queue
from robin.web import create_app
from robin.web.html import Markup, when
from robin.web.serve import server
from tests.apps import jobs
from tests.enterprise.conftest import enterprise
from tests.web.client import Browser
from tests.web.conftest import NS, fill, job_payload

__all__ = ["enterprise"]  # a fixture: the Pro and Enterprise licences


def raw_request(url: str, method: str, path: str, headers: dict[str, str], body: str = "") -> tuple[int, str]:
    """One request to the served dashboard with exactly these headers (Host included)."""
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    for name, value in headers.items():
        conn.putheader(name, value)
    if body:
        conn.putheader("Content-Type", "application/x-www-form-urlencoded")
        conn.putheader("Content-Length", str(len(body.encode())))
    conn.endheaders(body.encode() if body else None)
    reply = conn.getresponse()
    text = reply.read().decode()
    conn.close()
    return reply.status, text


@pytest.fixture
def guarded(r: redis.Redis) -> web.App:
    return create_app(secret="test secret", allowed_hosts=["localhost", "127.0.0.1", "[::1]", "robin.example:8443"])


def test_only_allowed_hosts_are_answered(guarded: web.App) -> None:
    running = server(guarded, "127.0.0.1", 0)
    thread = threading.Thread(target=running.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        url, port = f"http://127.0.0.1:{running.server_address[1]}", running.server_address[1]
        for host in (f"127.0.0.1:{port}", "localhost", f"LOCALHOST:{port}", "[::1]:9", "robin.example:8443"):
            assert raw_request(url, "GET", "/", {"Host": host})[0] == 200, host
        for host in ("evil.example", f"evil.example:{port}", "robin.example:80", "robin.example", "127.0.0.1.evil",
                     "localhost@evil", "[::1", "localhost:port"):
            status, text = raw_request(url, "GET", "/", {"Host": host})
            assert status == 421 and "--allowed-host" in text and text[-1] == "\n" and text.count("\n") == 1, host
    finally:
        running.shutdown()
        running.server_close()
        thread.join(5)


def test_any_host_without_allowed_hosts_for_mounting(served: str) -> None:
    assert raw_request(served, "GET", "/", {"Host": "intranet.example"})[0] == 200


def test_allowed_hosts_from_the_environment(r: redis.Redis, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROBIN_WEB_ALLOWED_HOSTS", " robin.example , localhost:7433")
    app = web.from_environment()
    assert Browser(app).get("/", HTTP_HOST="robin.example:1").status == 200
    assert Browser(app).get("/", HTTP_HOST="localhost:7433").status == 200
    assert Browser(app).get("/", HTTP_HOST="localhost:7434").status == 421
    monkeypatch.delenv("ROBIN_WEB_ALLOWED_HOSTS")
    assert Browser(web.from_environment()).get("/", HTTP_HOST="anything.example").status == 200


def test_a_cross_site_post_is_refused_even_with_a_valid_token(browser: Browser, r: redis.Redis) -> None:
    fill(r, "dead", 2)
    data = {"action": "delete_all", "confirmed": "1"}
    for headers in ({"HTTP_ORIGIN": "http://evil.example"}, {"HTTP_ORIGIN": "null"},
                    {"HTTP_ORIGIN": "http://localhost:1"}, {"HTTP_SEC_FETCH_SITE": "cross-site"}):
        reply = browser.post("/dead", data, HTTP_HOST="localhost:7433", **headers)
        assert reply.status == 403 and "did not come from this dashboard" in reply.text, headers
    assert DeadSet().size == 2
    same = browser.post("/dead", data, HTTP_HOST="localhost:7433", HTTP_ORIGIN="http://localhost:7433",
                        HTTP_SEC_FETCH_SITE="same-origin")
    assert same.status == 303 and DeadSet().size == 0


def test_a_same_origin_post_through_a_tls_proxy_passes(browser: Browser, r: redis.Redis) -> None:
    fill(r, "dead", 1)
    reply = browser.post("/dead", {"action": "delete_all", "confirmed": "1"}, HTTP_HOST="robin.example",
                         HTTP_ORIGIN="https://robin.example")
    assert reply.status == 303 and DeadSet().size == 0


def test_an_odd_cookie_of_the_host_app_hides_no_csrf_cookie(browser: Browser, r: redis.Redis) -> None:
    fill(r, "dead", 1)
    browser.get("/")
    jar = "; ".join(f"{k}={v}" for k, v in browser.jar.items())
    odd = f'theme={{"a":"b c"}}; junk; =x; {jar}; session="unterminated'
    reply = browser.request("POST", "/dead", {"csrf": browser.token, "action": "delete_all", "confirmed": "1"},
                            HTTP_COOKIE=odd)
    assert reply.status == 303 and DeadSet().size == 0
    assert not [c for c in reply.cookies if c.startswith("robin_csrf=")]  # the cookie was read: no new one


def test_a_job_is_found_among_more_than_a_thousand_of_one_score(browser: Browser, r: redis.Redis) -> None:
    r.zadd(NS + "dead", {job_payload(i): 1_700_000_000.5 for i in range(1300)})
    target = f"{1250:024x}"
    assert DeadSet().find_job(target, score=1_700_000_000.5) is not None
    assert browser.get(f"/dead/1700000000.5/{target}").status == 200
    reply = browser.post("/dead", {"action": "delete", "job": f"1700000000.5|{target}", "confirmed": "1"}, follow=True)
    assert "Deleted 1 job." in reply.text and DeadSet().size == 1299


@pytest.mark.parametrize("value", [1e20, -1e20, float("nan"), float("inf"), "soon", [1]])
def test_when_shows_a_bad_timestamp_as_it_is(value: Any) -> None:
    shown = when(value)
    assert isinstance(shown, Markup) and "<time" not in shown


def test_a_job_with_a_bad_timestamp_does_not_break_its_pages(browser: Browser, r: redis.Redis) -> None:
    r.zadd(NS + "dead", {job_payload(1, failed_at=1e20, enqueued_at="<b>soon</b>", created_at=-1e300): 5})
    listing = browser.get("/dead")
    assert listing.status == 200
    detail = browser.get(f"/dead/5.0/{1:024x}")
    assert detail.status == 200 and "1e+20" in detail.text and "&lt;b&gt;soon&lt;/b&gt;" in detail.text


@pytest.mark.parametrize("cursor", ["abc", "-1:-5", "1:-3", "99999999999999999999999999:0", "5:99999999999",
                                    "1:2:3", "٣:٣", "0x10"])
def test_a_junk_search_cursor_starts_over(browser: Browser, r: redis.Redis, cursor: str) -> None:
    fill(r, "dead", 3)
    reply = browser.get(f"/dead?q=arg&cursor={cursor}")
    assert reply.status == 200 and "arg-1" in reply.text


@pytest.mark.parametrize("header", ["Basic ***", "Basic é", "Basic " + base64.b64encode(b"\xff:\xfe").decode(),
                                    "Basic", "Bearer x"])
def test_junk_basic_auth_is_a_401(r: redis.Redis, header: str) -> None:
    reply = Browser(create_app(password="pw")).get("/", HTTP_AUTHORIZATION=header)
    assert reply.status == 401 and "missing or wrong password (any user name works)" in reply.text


def test_an_unexpected_failure_before_routing_is_a_500_page_without_traceback(
        r: redis.Redis, caplog: pytest.LogCaptureFixture) -> None:
    app = create_app()
    app.respond = lambda environ: 1 / 0  # type: ignore[method-assign]  # whatever fails in parsing or auth
    with caplog.at_level(logging.ERROR, "robin.web"):
        reply = Browser(app).get("/")
    assert reply.status == 500 and "Traceback" not in reply.text and "ZeroDivisionError" not in reply.text
    assert reply.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert "ZeroDivisionError" in caplog.text


def test_a_bad_name_in_the_queues_set_is_skipped(browser: Browser, r: redis.Redis) -> None:
    jobs.record.enqueue("x")
    r.sadd(NS + "queues", "bad name with spaces", "\xff" * 3, "")
    assert [q.name for q in Queue.all()] == ["default"]
    reply = browser.get("/queues")
    assert reply.status == 200 and 'href="/queues/default"' in reply.text


def test_the_back_field_is_quoted_into_location(browser: Browser, r: redis.Redis) -> None:
    fill(r, "dead", 1)
    reply = browser.post("/dead", {"action": "delete_all", "confirmed": "1", "back": "/dead?q=é ü"})
    assert reply.status == 303 and reply.location == "/dead?q=%C3%A9%20%C3%BC"
    reply = browser.post("/dead", {"action": "delete_all", "confirmed": "1", "back": "/\\evil.example"})
    assert reply.status == 303 and reply.location == "/dead"


def test_a_read_only_post_gets_the_read_only_message_not_the_csrf_one(r: redis.Redis) -> None:
    fill(r, "dead", 1)
    reply = Browser(create_app(read_only=True)).post("/dead", {"action": "delete_all", "confirmed": "1"})
    assert reply.status == 403 and "read-only for you" in reply.text and DeadSet().size == 1


def test_the_cancel_link_of_a_confirmation_refuses_backslashes(browser: Browser, r: redis.Redis) -> None:
    fill(r, "dead", 1)
    for back, expected in (("/\\evil.example", 'href="/dead"'), ("/dead?q=a b", 'href="/dead?q=a%20b"')):
        reply = browser.post("/dead", {"action": "delete_all", "back": back})
        assert reply.status == 200 and "Are you sure?" in reply.text
        assert f"{expected}>Cancel</a>" in reply.text, reply.text


def test_deleting_a_queue_job_reads_only_around_where_it_was(browser: Browser, r: redis.Redis,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    jids = jobs.record.enqueue_many([(f"q-{i}",) for i in range(12_000)])
    reads: list[tuple[int, int]] = []
    real = redis.Redis.lrange

    def counting(self: redis.Redis, name: str, start: int, end: int) -> Any:
        reads.append((start, end))
        return real(self, name, start, end)

    monkeypatch.setattr(redis.Redis, "lrange", counting)
    oldest = jids[0]  # at position 11,999, shown at position 3 a while ago: gone from there
    reply = browser.post("/queues", {"action": "delete", "queue": "default", "jid": oldest, "near": "3",
                                        "confirmed": "1"})
    assert reply.status == 404 and "no longer in queue default" in reply.text
    assert sum(end - start + 1 for start, end in reads) <= 5_000
    reads.clear()
    assert Queue("default").delete(jids[-10], near=9) and sum(end - start + 1 for start, end in reads) <= 500


def test_a_plain_str_from_a_page_is_escaped(browser: Browser) -> None:
    web.register_page("/plain", "Plain", lambda request: "<b>text</b>", tab=False)
    web.register_page("/marked", "Marked", lambda request: web.View(Markup("<b>html</b>")), tab=False)
    try:
        assert "&lt;b&gt;text&lt;/b&gt;" in browser.get("/plain").text
        assert "<b>html</b>" in browser.get("/marked").text
    finally:
        web.unregister_page("/plain")
        web.unregister_page("/marked")


def test_pro_batches_tab_does_not_write_on_get(r: redis.Redis, enterprise: str) -> None:
    from robin_pro.keys import ProKeys

    index = ProKeys(robin.config.redis_client().keys).batches
    r.zadd(index, {"expiredbatch": time.time()})  # in the index, its data gone
    reply = Browser(create_app()).get("/batches")
    assert reply.status == 200 and r.zscore(index, "expiredbatch") is not None


def test_periodic_tab_shows_a_bad_timezone_in_its_row(r: redis.Redis, enterprise: str) -> None:
    from robin_enterprise.keys import EnterpriseKeys

    keys = EnterpriseKeys(robin.config.redis_client().keys)
    good: dict[str, Any] = {"id": "good1", "schedule": "*/5 * * * *", "cron": "*/5 * * * *", "every": None,
                            "tz": "UTC", "job": "tests.apps.jobs.record", "queue": "default", "args": [],
                            "kwargs": {}, "run_missed": False}
    bad = {**good, "id": "bad1", "schedule": "0 9 * * *", "cron": "0 9 * * *", "tz": "Mars/Olympus_Mons"}
    r.hset(keys.periodic, mapping={"good1": json.dumps(good), "bad1": json.dumps(bad)})
    reply = Browser(create_app()).get("/periodic")
    assert reply.status == 200 and "<td>*/5 * * * *</td>" in reply.text and "Mars/Olympus_Mons" in reply.text
    assert '<span class="error">' in reply.text

