"""Dashboard: totals, the live processed/failed graph, the history, the server."""

from __future__ import annotations

import redis

from robin.api import Stats, server_info
from robin.humanize import duration
from robin.web import charts
from robin.web.html import Markup, definition_list, join, number, render, section
from robin.web.http import Request

CARDS = (  # (label, Stats field in /stats.json, page it links to)
    ("Processed", "processed", "/metrics"), ("Failed", "failed", "/metrics"), ("Busy", "busy", "/busy"),
    ("Enqueued", "enqueued", "/queues"), ("Retries", "retries", "/retries"),
    ("Scheduled", "scheduled", "/scheduled"), ("Dead", "dead", "/dead"), ("Processes", "processes", "/busy"),
)


def render_page(request: Request) -> str:
    stats = Stats()
    totals = stats.to_dict()
    days = 30 if request.arg("days") == "30" else 7
    poll = request.int_arg("poll", 2, low=1, high=60)
    cards = join(render('<a class="card" href="$u"><span class="value" data-stat="$key">$v</span>'
                        '<span class="label">$label</span></a>', u=request.url(path), key=key,
                        v=number(totals[key]), label=label) for label, key, path in CARDS)
    live = render(
        '<figure class="live"><svg id="live-graph" class="chart" viewBox="0 0 1000 200" role="img" '
        'aria-label="jobs processed and failed per second, live" data-src="$src" data-interval="$ms"></svg>'
        '<figcaption><span class="key processed">processed/s <b data-live="processed">…</b></span> '
        '<span class="key failed">failed/s <b data-live="failed">…</b></span> '
        '<span class="muted">every $poll s</span></figcaption></figure>',
        src=request.url("/stats.json"), ms=str(poll * 1000), poll=str(poll))
    choose = join(render('<a href="$u"$cur>$n days</a>', u=request.url("/", days=n if n != 7 else None), n=str(n),
                         cur=Markup(' aria-current="true"') if n == days else Markup(""))
                  for n in (7, 30))
    latency = f"default queue latency {duration(stats.default_queue_latency)}" if stats.queues else ""
    return join([
        render('<div class="cards">$c</div>', c=cards),
        section("Live", live, aside=latency),
        section(f"History, last {days} days (UTC)", charts.history(stats.history(days)),
                aside=render('<span class="choose">$c</span>', c=choose)),
        section("Server", _server()),
    ])


def _server() -> str:
    try:
        return definition_list(server_info().items())
    except redis.exceptions.ResponseError as exc:  # managed services may rename or forbid INFO
        return render('<p class="muted">The server does not answer INFO ($e).</p>', e=str(exc))
