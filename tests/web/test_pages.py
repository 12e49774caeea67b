"""Every page of the dashboard, and what its buttons do, against a real server (WSGI called directly)."""

from __future__ import annotations

import re
import time

import pytest
import redis

from robin.api import DeadSet, Queue, RetrySet, ScheduledSet
from robin.metrics import BUCKETS_MS, hour_of
from tests.apps import jobs
from tests.conftest import wait_until
from tests.web.client import Browser
from tests.web.conftest import NS, fill

CORE_PAGES = ["/", "/busy", "/queues", "/scheduled", "/retries", "/dead", "/metrics"]


def keys_on(html: str) -> list[str]:
    return re.findall(r'name="job" value="([^"]+)"', html)


@pytest.mark.parametrize("path", CORE_PAGES)
def test_every_core_page_answers_in_the_layout_with_its_tab_current(browser: Browser, path: str) -> None:
    reply = browser.get(path)
    assert reply.status == 200 and reply.headers["Content-Type"] == "text/html; charset=utf-8"
    current = re.search(r'<a href="([^"]+)" aria-current="page">', reply.text)
    assert current and current.group(1) == path
    assert '<script src="/static/robin.js?v=' in reply.text


def test_dashboard_shows_totals_history_and_the_server(browser: Browser, r: redis.Redis) -> None:
    r.set(NS + "stat:processed", 1234)
    r.set(NS + "stat:failed", 56)
    r.set(NS + "stat:processed:" + time.strftime("%Y-%m-%d", time.gmtime()), 1234)
    page = browser.get("/").text
    assert 'data-stat="processed">1,234<' in page and 'data-stat="failed">56<' in page
    assert page.count('<rect class="processed"') == 7 and "1,234 processed" in page
    assert browser.get("/?days=30").text.count('<rect class="processed"') == 30
    assert "used_memory_human" in page and 'id="live-graph"' in page


def test_stats_json_gives_the_totals_the_live_graph_polls(browser: Browser, r: redis.Redis) -> None:
    r.set(NS + "stat:processed", 7)
    fill(r, "dead", 3)
    reply = browser.get("/stats.json")
    assert reply.headers["Content-Type"] == "application/json" and reply.headers["Cache-Control"] == "no-store"
    import json

    data = json.loads(reply.body)
    assert data["processed"] == 7 and data["dead"] == 3 and data["time"] == pytest.approx(time.time(), abs=5)


def test_a_queue_shows_its_jobs_a_page_at_a_time(browser: Browser, r: redis.Redis) -> None:
    for i in range(30):
        jobs.record.enqueue(f"job-{i}")
    listing = browser.get("/queues").text
    assert '<a href="/queues/default">default</a>' in listing and "<td>30</td>" in listing
    first = browser.get("/queues/default").text
    assert "job-29" in first and "job-5" in first and "job-4" not in first and "page 1 of 2" in first
    second = browser.get("/queues/default?page=2").text
    assert "job-4" in second and "job-0" in second and "job-5" not in second


def test_deleting_one_queued_job_and_clearing_a_queue(browser: Browser) -> None:
    keep, gone = jobs.record.enqueue("keep"), jobs.record.enqueue("gone")
    browser.get("/queues/default")
    page = browser.post("/queues/default", {"action": "delete", "queue": "default", "jid": gone, "near": "0",
                                            "confirmed": "1", "back": "/queues/default"}, follow=True)
    assert f"Deleted job {gone}" in page.text
    assert [e.jid for e in Queue("default")] == [keep]
    done = browser.post("/queues", {"action": "clear", "queue": "default", "confirmed": "1"}, follow=True)
    assert "Deleted 1 jobs from queue default" in done.text and Queue("default").size == 0


def test_a_dead_job_detail_shows_its_error_and_traceback(browser: Browser, r: redis.Redis) -> None:
    fill(r, "dead", 3)
    listing = browser.get("/dead").text
    link = re.search(r'<a href="(/dead/[^"]+/0{23}1)">', listing)
    assert link, listing
    detail = browser.get(link.group(1)).text
    assert "<b>ValueError</b>: boom 1" in detail and "line 9, in record" in detail
    assert "failed 4 times" in detail and "&quot;arg-1&quot;" in detail


def test_retry_now_delete_and_kill_selected_jobs(browser: Browser, r: redis.Redis) -> None:
    fill(r, "retry", 4)
    first, second, third, _ = keys_on(browser.get("/retries").text)
    page = browser.post("/retries", {"action": "retry", "job": [first]}, follow=True)
    assert "Retried 1 job." in page.text and Queue("default").size == 1
    page = browser.post("/retries", {"action": "kill", "job": [second, third], "confirmed": "1"}, follow=True)
    assert "Killed 2 jobs." in page.text and DeadSet().size == 2 and RetrySet().size == 1
    dead = keys_on(browser.get("/dead").text)
    page = browser.post("/dead", {"action": "delete", "job": dead[:1], "confirmed": "1"}, follow=True)
    assert "Deleted 1 job." in page.text and DeadSet().size == 1
    again = browser.post("/dead", {"action": "delete", "job": dead[:1], "confirmed": "1"}, follow=True)
    assert "Deleted 0 jobs. 1 was no longer in Dead." in again.text


def test_retry_all_kill_all_and_delete_all(browser: Browser, r: redis.Redis) -> None:
    fill(r, "schedule", 5)
    browser.get("/scheduled")
    assert "Moved 5 jobs to the dead set" in browser.post(
        "/scheduled", {"action": "kill_all", "confirmed": "1"}, follow=True).text
    assert "Put 5 jobs on their queues" in browser.post("/dead", {"action": "retry_all", "confirmed": "1"},
                                                        follow=True).text
    assert Queue("default").size == 5 and DeadSet().size == 0
    fill(r, "dead", 3)
    assert "Deleted 3 jobs" in browser.post("/dead", {"action": "delete_all", "confirmed": "1"}, follow=True).text


def test_the_filter_finds_jobs_by_name_or_argument_text_in_any_case(browser: Browser, r: redis.Redis) -> None:
    fill(r, "dead", 10)
    fill(r, "dead", 2, start=10, job="billing.Invoice.send", args=["Müller & Söhne"])
    by_name = browser.get("/dead?q=invoice").text
    assert by_name.count('name="job"') == 2 and "billing.Invoice.send" in by_name
    by_arg = browser.get("/dead?q=müller").text
    assert by_arg.count('name="job"') == 2
    assert browser.get("/dead?q=arg-7").text.count('name="job"') == 1
    assert "No job matches." in browser.get("/dead?q=nothing-like-this").text


def test_filtered_results_page_by_cursor(browser: Browser, r: redis.Redis) -> None:
    fill(r, "dead", 200)
    seen: set[str] = set()
    path = "/dead?q=arg"
    for _ in range(20):
        page = browser.get(path).text
        seen.update(keys_on(page))
        following = re.search(r'<a href="([^"]+)" rel="next">', page)
        if not following:
            break
        path = following.group(1).replace("&amp;", "&")
    assert len(seen) == 200


def test_a_job_that_is_gone_answers_404_saying_why(browser: Browser) -> None:
    reply = browser.get("/dead/1700000000.5/abcdef")
    assert reply.status == 404 and "retried, deleted or moved meanwhile" in reply.text
    assert browser.get("/dead/not-a-number/abcdef").status == 404
    assert browser.get("/nowhere").status == 404


def test_scheduled_jobs_can_be_enqueued_now(browser: Browser) -> None:
    jid = jobs.record.enqueue_in(3600, "later")
    [key] = keys_on(browser.get("/scheduled").text)
    assert key.endswith("|" + str(jid))
    browser.post("/scheduled", {"action": "retry", "job": [key]})
    assert ScheduledSet().size == 0 and [e.jid for e in Queue("default")] == [jid]


def test_metrics_show_executions_failures_and_percentiles(browser: Browser, r: redis.Redis) -> None:
    fields = {"tests.apps.jobs.record|n": 10, "tests.apps.jobs.record|f": 2, "tests.apps.jobs.record|ms": 500,
              f"tests.apps.jobs.record|b{BUCKETS_MS.index(50)}": 10}
    r.hset(NS + "metrics:" + hour_of(time.time()), mapping=fields)
    page = browser.get("/metrics").text
    assert "<td>tests.apps.jobs.record</td><td>10</td><td>2</td><td>20.0 %</td>" in page
    assert "<td>35 ms</td><td>48 ms</td>" in page  # p50, p95: interpolated in the 20-50 ms bucket


@pytest.mark.slow
def test_busy_lists_processes_and_running_jobs_and_quiets_one(browser: Browser, workers, r: redis.Redis) -> None:
    worker = workers("-c", "2").ready()
    jobs.sleepy.enqueue("nap", 5)
    def running() -> str:
        text = browser.get("/busy").text
        return text if "tests.apps.jobs.sleepy" in text else ""

    page = wait_until(running, message="the running job never showed on Busy")
    found = re.search(r'name="identity" value="([^"]+)"', page)
    assert found
    identity = found.group(1)
    assert "running" in page and "&quot;nap&quot;, 5" in page
    done = browser.post("/busy", {"action": "quiet", "identity": identity}, follow=True)
    assert f"Asked {identity} to quiet." in done.text
    wait_until(lambda: ">quiet<" in browser.get("/busy").text, message="the process never showed as quiet")
    gone = browser.post("/busy", {"action": "quiet", "identity": "nobody:1:x"})
    assert gone.status == 404 and "no live process nobody:1:x" in gone.text
    worker.kill()
