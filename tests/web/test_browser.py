"""The dashboard in a real browser: headless Chromium, driven over the DevTools Protocol (cdp.py).

Skipped, saying why, where the ``chromium`` package is not installed (``.ci/run`` installs it).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from robin.api import DeadSet, Queue
from tests.web.cdp import BINARY, Chromium, Tab
from tests.web.conftest import fill

pytestmark = pytest.mark.skipif(BINARY is None, reason="chromium is not installed (apt-get install chromium)")

PAGES = {"/": "Dashboard", "/busy": "Busy", "/queues": "Queues", "/scheduled": "Scheduled", "/retries": "Retries",
         "/dead": "Dead", "/metrics": "Metrics", "/batches": "Batches", "/limiters": "Limiters",
         "/periodic": "Periodic"}
EVIL = ["<script>window.pwned = 'args'</script>", "<img src=x onerror=\"window.pwned='img'\">",
        {"html": "<svg onload=\"document.title='pwned'\"></svg>"}]


@pytest.fixture(scope="module")
def chrome() -> Iterator[Chromium]:
    browser = Chromium()
    yield browser
    browser.close()


@pytest.fixture
def tab(chrome: Chromium) -> Iterator[Tab]:
    page = chrome.tab()
    yield page
    page.close()


def test_every_page_loads_with_its_tab_and_no_script_error(tab: Tab, served: str, r: redis.Redis) -> None:
    fill(r, "dead", 5)
    for path, title in PAGES.items():
        tab.open(served + path)
        assert tab.evaluate("document.querySelector('h1').textContent") == title
        assert tab.evaluate("document.querySelector('nav a[aria-current]').textContent") == title
        assert tab.evaluate("getComputedStyle(document.querySelector('header.top')).display") == "flex"  # CSS loaded


def test_retry_a_dead_job_by_clicking(tab: Tab, served: str, r: redis.Redis) -> None:
    fill(r, "dead", 3)
    tab.open(served + "/dead")
    tab.click_and_wait("table.jobs a[href*='/dead/']")
    assert tab.evaluate("document.querySelector('h1').textContent").startswith("Dead job ")
    assert "ValueError" in tab.text()
    tab.click_and_wait("button[value=retry]")
    assert "Retried 1 job." in tab.text() and tab.evaluate("location.pathname") == "/dead"
    assert DeadSet().size == 2 and Queue("default").size == 1


def test_delete_asks_for_confirmation_first(tab: Tab, served: str, r: redis.Redis) -> None:
    fill(r, "dead", 3)
    tab.open(served + "/dead")
    tab.evaluate("document.querySelector('[data-select-all]').click()")
    assert tab.evaluate("document.querySelectorAll('input[name=job]:checked').length") == 3
    tab.accept_dialogs = False
    tab.evaluate("document.querySelector('button[value=delete]').click()")
    assert tab.dialogs == ["Delete the selected jobs?"] and DeadSet().size == 3
    tab.accept_dialogs = True
    tab.click_and_wait("button[value=delete]")
    assert tab.dialogs[-1] == "Delete the selected jobs?" and "Deleted 3 jobs." in tab.text()
    assert DeadSet().size == 0


def test_the_live_graph_moves_when_jobs_run(tab: Tab, served: str, r: redis.Redis, workers) -> None:
    tab.open(served + "/?poll=1")
    tab.wait_for("document.getElementById('live-graph').getAttribute('data-samples') >= 1")
    assert tab.evaluate("document.querySelector('[data-stat=processed]').textContent") == "0"
    from tests.apps import jobs

    for i in range(20):
        jobs.record.enqueue(f"live-{i}")
    workers().ready()
    tab.wait_for("document.querySelector('[data-stat=processed]').textContent === '20'", timeout=20)
    tab.wait_for("parseFloat(document.querySelector('[data-live=processed]').textContent) > 0", timeout=10)
    points = tab.evaluate("document.querySelector('polyline.processed').getAttribute('points')")
    assert len({p.split(",")[1] for p in points.split()}) > 1  # not a flat line


def test_job_markup_never_runs_in_the_browser(tab: Tab, served: str, r: redis.Redis) -> None:
    fill(r, "dead", 2, job="evil.<script>window.pwned='job'</script>", args=EVIL,
         message="<script>window.pwned='error'</script><b>bold</b>")
    fill(r, "retry", 2, args=EVIL, message="<img src=x onerror=\"window.pwned='retry'\">")
    tab.evaluate("window.pwned = undefined")
    for path in ("/dead", "/retries", "/dead?q=script"):
        tab.open(served + path)
        assert tab.evaluate("window.pwned === undefined && !document.title.includes('pwned')"), path
        assert "<script>window.pwned = 'args'</script>" in tab.text()
    tab.open(served + "/dead")
    tab.click_and_wait("table.jobs a[href*='/dead/']")
    assert tab.evaluate("window.pwned === undefined && document.querySelectorAll('main script, main img').length "
                        "=== 0 && ![...document.querySelectorAll('main b')].some(b => b.textContent === 'bold')")
    assert "<script>window.pwned='error'</script><b>bold</b>" in tab.text()
