"""The Batches tab of the web dashboard: recent batches with their progress, and one batch's
detail with its failed jobs.  Added through core's page seam (``Plugin.web``)."""

from __future__ import annotations

import time

from robin import web
from robin.api import DeadSet, RetrySet, SortedEntry
from robin.web.html import Markup, definition_list, join, link, number, render, section, shorten, table, when
from robin_pro.batch import Batch, BatchNotFoundError, BatchStatus

LIMIT = 50
FAILED_SHOWN = 50


def add_pages() -> None:
    web.register_page("/batches", "Batches", render_page, order=110)


def render_page(request: web.Request) -> str | web.View:
    if request.rest:
        return detail(request, request.rest[0])
    now = time.time()
    rows = [(link(request.url(f"/batches/{s.bid}"), s.bid), s.description or "", progress(s),
             f"{number(s.done)} / {number(s.total)}", number(s.pending), number(s.failures), s.state,
             when(s.created_at, now)) for s in Batch.recent(LIMIT)]
    return section("Recent batches", table(["bid", "description", "progress", "done", "pending", "failing",
                                            "state", "created"], rows,
                                           empty="No batch data is kept (batches are kept 24 h after success)."))


def detail(request: web.Request, bid: str) -> web.View:
    try:
        status = Batch.status(bid)
    except BatchNotFoundError as exc:
        raise web.HTTPError(404, str(exc)) from exc
    now = time.time()
    facts = [("bid", status.bid), ("description", status.description or ""), ("state", status.state),
             ("progress", join([progress(status), f" {number(status.done)} of {number(status.total)} succeeded"])),
             ("pending", number(status.pending)), ("failing now", number(status.failures)),
             ("dead", number(status.deaths)), ("created", when(status.created_at, now)),
             ("parent", link(request.url(f"/batches/{status.parent}"), status.parent) if status.parent else ""),
             ("child batches", number(status.children)),
             ("callbacks", ", ".join(f"{event} ({n})" for event, n in status.callbacks.items() if n) or "none")]
    failed = failed_jobs(bid)
    shown = {e.jid for _, e in failed}
    rows: list[tuple[object, ...]] = []
    for where, e in failed:
        error = f"{e.error_class}: {e.error_message}" if e.error_class else (e.dead_reason or "")
        rows.append((where, link(request.url(f"/{where}/{e.score!r}/{e.jid}"), e.jid), e.job,
                     shorten(e.display_args(), 80), shorten(error, 140)))
    rows += [("running or queued", jid, "", "", "") for jid in status.failed_jids[:FAILED_SHOWN] if jid not in shown]
    return web.View(join([
        section("Batch", definition_list(facts)),
        section(f"Failed jobs ({number(status.failures)} failing, {number(status.deaths)} dead)",
                table(["where", "jid", "job", "args", "error"], rows, empty="No job of this batch has failed.")),
        Markup(render('<p>$back</p>', back=link(request.url("/batches"), "all batches"))),
    ]), f"Batch {bid}")


def failed_jobs(bid: str) -> list[tuple[str, SortedEntry]]:
    """The batch's jobs waiting in the retry set or dead, found by a bounded search of each set."""
    found: list[tuple[str, SortedEntry]] = []
    for where, kind in (("retries", RetrySet), ("dead", DeadSet)):
        page = kind().search(bid, count=FAILED_SHOWN)
        found += [(where, e) for e in page.entries if e.payload.get("bid") == bid]
    return found


def progress(status: BatchStatus) -> Markup:
    return render('<progress value="$v" max="$m">$p</progress>', v=str(status.done), m=str(max(status.total, 1)),
                  p=f"{100 * status.done // max(status.total, 1)} %")
