"""Queues: every queue's size, latency and pause state; a queue's jobs, a page at a time."""

from __future__ import annotations

import math
import time

from robin import queue_control
from robin.api import Queue
from robin.errors import ConfigurationError
from robin.humanize import duration as say_duration
from robin.web.html import Markup, join, link, number, section, shorten, table, when
from robin.web.http import HTTPError, Request, View
from robin.web.registry import Action
from robin.web.widgets import action_form, pager

PER_PAGE = 25


def render_page(request: Request) -> str | View:
    if request.rest:
        return queue_view(request, _queue(request.rest[0]))
    pausing = queue_control.queue_control() is not None
    rows = []
    for queue in Queue.all():
        size, paused = queue.size, queue.paused
        buttons = [action_form(request, "clear", "Clear", fields={"queue": queue.name}, danger=True,
                               confirm=f"Delete all {size:,} jobs waiting in queue {queue.name}?")]
        if pausing:
            buttons.insert(0, action_form(request, "unpause" if paused else "pause",
                                          "Resume" if paused else "Pause", fields={"queue": queue.name}))
        rows.append((link(request.url(f"/queues/{queue.name}"), queue.name), number(size),
                     say_duration(queue.latency) if size else "", "paused" if paused else "", join(buttons)))
    return section("Queues", table(["queue", "size", "latency", "state", ""], rows,
                                   empty="No queue has received a job yet."))


def queue_view(request: Request, queue: Queue) -> View:
    size = queue.size
    page = request.int_arg("page", 1, low=1)
    offset = (page - 1) * PER_PAGE
    now = time.time()
    rows = [(when(e.enqueued_at, now), e.jid, e.job, shorten(e.display_args(), 160),
             action_form(request, "delete", "Delete", fields={"queue": queue.name, "jid": e.jid,
                                                             "near": str(offset + i)}, danger=True,
                         confirm=f"Delete job {e.jid} ({e.job}) from queue {queue.name}?"))
            for i, e in enumerate(queue.page(offset, PER_PAGE))]
    last = max(1, math.ceil(size / PER_PAGE))
    state = "paused · " if queue.paused else ""
    aside = join([Markup(f"{state}{number(size)} jobs, newest first · latency "
                         f"{say_duration(queue.latency) if size else '0 s'} "),
                  action_form(request, "clear", "Clear", fields={"queue": queue.name}, danger=True,
                              confirm=f"Delete all {size:,} jobs waiting in queue {queue.name}?",
                              back="/queues")])
    body = join([section("Waiting", table(["enqueued", "jid", "job", "args", ""], rows,
                                          empty="This queue is empty."), aside=aside),
                 pager(request, page, has_next=offset + PER_PAGE < size, last=last)])
    return View(body, f"Queue {queue.name}")


def _queue(name: str) -> Queue:
    try:
        return Queue(name)
    except ConfigurationError as exc:
        raise HTTPError(404, str(exc)) from exc


def _delete(request: Request) -> str:
    queue, jid = _queue(request.form.get("queue", "")), request.form.get("jid", "")
    near = request.form.get("near", "")
    position = int(near) if near.isascii() and near.isdigit() and len(near) < 12 else 0
    if not queue.delete(jid, position):  # a bounded window around where it was shown: never the whole queue
        raise HTTPError(404, f"Job {jid} is no longer in queue {queue.name}: a worker took it, or it was deleted.")
    return f"Deleted job {jid} from queue {queue.name}."


def _clear(request: Request) -> str:
    queue = _queue(request.form.get("queue", ""))
    return f"Deleted {queue.clear():,} jobs from queue {queue.name}."


def _pause(request: Request, pause: bool) -> str:
    queue = _queue(request.form.get("queue", ""))
    if pause:
        queue.pause()
        return f"Paused queue {queue.name}: workers stop fetching it within a second."
    queue.unpause()
    return f"Queue {queue.name} runs again."


ACTIONS = {
    "delete": Action(_delete, confirm=lambda r: f"Delete job {r.form.get('jid', '')}?"),
    "clear": Action(_clear, confirm=lambda r: f"Delete every job waiting in queue {r.form.get('queue', '')}?"),
    "pause": Action(lambda r: _pause(r, True)),
    "unpause": Action(lambda r: _pause(r, False)),
}
