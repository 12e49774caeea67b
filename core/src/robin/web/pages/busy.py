"""Busy: the live worker processes (quiet, stop) and the jobs running now."""

from __future__ import annotations

import time

from robin.api import ProcessSet, Workers
from robin.web.html import Markup, join, link, number, section, shorten, table, when
from robin.web.http import HTTPError, Request
from robin.web.registry import Action
from robin.web.widgets import action_form


def render_page(request: Request) -> str:
    now = time.time()
    processes = sorted(ProcessSet(), key=lambda p: p.identity)
    rows = []
    for p in processes:
        buttons = join([
            Markup("") if p.quiet else action_form(request, "quiet", "Quiet", fields={"identity": p.identity}),
            action_form(request, "stop", "Stop", fields={"identity": p.identity}, danger=True,
                        confirm=f"Stop process {p.identity}? Its running jobs get its shutdown timeout to "
                                f"finish; the rest go back to their queues."),
        ])
        rows.append((p.identity, p.tag, ", ".join(p.queues), f"{p.busy} / {p.concurrency}",
                     f"{p.rss_kb / 1024:.0f} MB", when(p.started_at, now), when(p.beat, now),
                     "quiet" if p.quiet else "running", buttons))
    running = list(Workers())
    jobs = [(w.identity, w.thread, w.queue, w.record.job, shorten(w.record.display_args(), 100),
             w.record.jid, when(w.run_at, now)) for w in running]
    all_buttons = join([action_form(request, "quiet_all", "Quiet all"),
                        action_form(request, "stop_all", "Stop all", danger=True,
                                    confirm="Stop every worker process? Nothing runs until you start them again.")])
    return join([
        section(f"Processes ({number(len(processes))})", table(
            ["identity", "tag", "queues", "busy", "rss", "started", "heartbeat", "state", ""], rows,
            empty="No worker process is running. Start one with: robin worker -r your.jobs"),
            aside=all_buttons if processes else ""),
        section(f"Running now ({number(len(running))})",
                table(["process", "thread", "queue", "job", "args", "jid", "started"], jobs,
                      empty="No job is running.")),
        Markup(f'<p class="muted">A quiet or stop request reaches an idle process at once and a busy one within '
               f'5 s. {link(request.url("/queues"), "Queues")} shows what waits.</p>'),
    ])


def _signal(request: Request, command: str) -> str:
    identity = request.form.get("identity", "")
    processes = ProcessSet()
    sent = processes.quiet(identity) if command == "quiet" else processes.stop(identity)
    if not sent:
        raise HTTPError(404, f"There is no live process {identity}: it stopped meanwhile, or its lease expired.")
    return f"Asked {identity} to {command}."


def _signal_all(command: str) -> str:
    processes = ProcessSet()
    targets = [p.identity for p in processes]
    sent = sum(processes.quiet(t) if command == "quiet" else processes.stop(t) for t in targets)
    return f"Asked {sent} process{'es' if sent != 1 else ''} to {command}."


ACTIONS = {
    "quiet": Action(lambda r: _signal(r, "quiet")),
    "stop": Action(lambda r: _signal(r, "stop"), confirm="Stop this process?"),
    "quiet_all": Action(lambda r: _signal_all("quiet")),
    "stop_all": Action(lambda r: _signal_all("stop"), confirm="Stop every worker process?"),
}
