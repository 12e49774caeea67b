"""The page seam: a plug-in's tab, and Robin Pro's and Enterprise's tabs built on it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import redis

import robin
from robin import plugins, web
from robin.api import Queue
from robin.web.html import render
from tests.apps import batchjobs
from tests.enterprise.conftest import enterprise
from tests.web.client import Browser
from tests.web.conftest import NS, job_payload

__all__ = ["enterprise"]


@pytest.fixture
def stamp_page() -> Iterator[list[str]]:
    """A third-party plug-in that adds a tab with an action, through Plugin.web."""
    calls: list[str] = []

    def page(request: web.Request) -> str:
        return render('<p class="stamp">stamped $n times, rest=$rest</p>', n=str(len(calls)),
                      rest="/".join(request.rest))

    def stamp(request: web.Request) -> str:
        calls.append(request.form.get("what", ""))
        return "stamped " + request.form.get("what", "")

    def add_pages() -> None:
        web.register_page("/stamps", "Stamps", page, actions={"stamp": web.Action(stamp, confirm="Stamp it?")})

    plugins.register(robin.Plugin(name="Stamp web", robin_major=plugins.CORE_MAJOR, web=add_pages))
    yield calls
    web.unregister_page("/stamps")


def test_a_plugin_page_gets_a_tab_its_subpaths_and_protected_actions(r: redis.Redis, stamp_page: list[str]) -> None:
    browser = Browser(web.create_app())
    home = browser.get("/").text
    assert '<a href="/stamps">Stamps</a>' in home
    assert "rest=a/b" in browser.get("/stamps/a/b").text
    assert browser.post("/stamps", {"action": "stamp", "what": "x"}, csrf=False).status == 403
    assert "Stamp it?" in browser.post("/stamps", {"action": "stamp", "what": "x"}).text and not stamp_page
    done = browser.post("/stamps", {"action": "stamp", "what": "<x>", "confirmed": "1"}, follow=True)
    assert stamp_page == ["<x>"] and "stamped &lt;x&gt;" in done.text and "stamped 1 times" in done.text


def test_pages_cannot_take_the_apps_own_paths() -> None:
    for path in ("/static", "/stats.json", "batches", "/x/"):
        with pytest.raises(robin.ConfigurationError):
            web.register_page(path, "X", lambda request: "")


def test_pro_adds_batches_with_progress_and_failed_jobs(r: redis.Redis, enterprise: str) -> None:
    from robin_pro import Batch

    batch = Batch(description="Import <users>")
    with batch.jobs():
        for i in range(3):
            batchjobs.work.enqueue(f"row-{i}")
    failing = json.loads(fill_one(r, batch.bid))
    browser = Browser(web.create_app())
    listing = browser.get("/batches").text
    assert f'<a href="/batches/{batch.bid}">{batch.bid}</a>' in listing and "Import &lt;users&gt;" in listing
    assert '<progress value="0" max="3">' in listing
    detail = browser.get(f"/batches/{batch.bid}").text
    assert failing["jid"] in detail and "boom 7" in detail and 'href="/retries/' in detail
    assert browser.get("/batches/nosuchbatch").status == 404


def fill_one(r: redis.Redis, bid: str) -> str:
    """A job of the batch failing in the retry set, as the worker leaves it."""
    payload = job_payload(7, dead=False, bid=bid)
    r.zadd(NS + "retry", {payload: 2_000_000_000})
    return payload


def test_enterprise_adds_limiters_and_periodic_with_enqueue_now(r: redis.Redis, enterprise: str) -> None:
    from robin_enterprise import limiter
    from robin_enterprise.keys import EnterpriseKeys

    with limiter.concurrent("web-api", 3):
        browser = Browser(web.create_app())
        limiters = browser.get("/limiters").text
        assert "<td>web-api</td><td>concurrent, at most 3 at once</td><td>3</td><td>1</td>" in limiters
    keys = EnterpriseKeys(robin.config.redis_client().keys)
    definition: dict[str, Any] = {"id": "abc123", "schedule": "*/5 * * * *", "cron": "*/5 * * * *", "every": None,
                                  "tz": "UTC", "job": "tests.apps.jobs.record", "queue": "critical",
                                  "args": ["<tick>"], "kwargs": {}, "run_missed": False}
    r.hset(keys.periodic, "abc123", json.dumps(definition))
    page = browser.get("/periodic").text
    assert "<td>*/5 * * * *</td>" in page and "leader: none (no worker runs)" in page and "Enqueue now" in page
    done = browser.post("/periodic", {"action": "enqueue", "schedule": "abc123"}, follow=True)
    jid = re.search(r"Enqueued job ([0-9a-f]{24}) now", done.text)
    assert jid and [(e.jid, e.args) for e in Queue("critical")] == [(jid.group(1), ["<tick>"])]
    assert browser.post("/periodic", {"action": "enqueue", "schedule": "gone"}).status == 404


def test_addon_tabs_follow_core_tabs(r: redis.Redis) -> None:
    titles = re.findall(r'<nav class="tabs">(.*?)</nav>', Browser(web.create_app()).get("/").text)[0]
    names = re.findall(r">([A-Za-z]+)</a>", titles)
    assert names[:7] == ["Dashboard", "Busy", "Queues", "Scheduled", "Retries", "Dead", "Metrics"]
    assert {"Batches", "Limiters", "Periodic"} <= set(names[7:])

