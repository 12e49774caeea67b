"""Metrics: per job name, executions, failures and p50/p95 time over the last hours."""

from __future__ import annotations

from robin.api import Metrics
from robin.humanize import duration
from robin.web.html import Markup, join, number, render, section, table
from robin.web.http import Request

HOURS = (1, 6, 24)


def render_page(request: Request) -> str:
    hours = request.int_arg("hours", 24, low=1, high=25)
    found = Metrics(hours).jobs()
    rows = [(m.job, number(m.executions), number(m.failures),
             f"{100 * m.failures / m.executions:.1f} %" if m.executions else "", duration(m.total_seconds),
             duration(m.average), duration(m.p50), duration(m.p95)) for m in found]
    choose = join(render('<a href="$u"$cur>$n h</a>', u=request.url(request.path, hours=n), n=str(n),
                         cur=Markup(' aria-current="true"') if n == hours else Markup("")) for n in HOURS)
    return section(f"Jobs, last {hours} h", table(
        ["job", "executions", "failures", "failure rate", "total time", "average", "p50", "p95"], rows,
        empty="No job has run in that time.", css="numbers"), aside=render('<span class="choose">$c</span>', c=choose))
