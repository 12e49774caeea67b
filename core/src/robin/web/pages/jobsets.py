"""Scheduled, Retries and Dead: the sorted sets of jobs, paginated and searchable, and a job's detail.

One :class:`SetPages` serves each set.  A job in a set is addressed by its score and jid
(``/dead/1717171717.25/9f3c...``): the score finds it in one ZRANGEBYSCORE, however large
the set, and the jid tells it from others of the same second.  Lists read one page
(ZREVRANGE with offsets), searches a bounded number of entries (ZSCAN with MATCH): no
page ever loads a whole set.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass

from robin.api import DeadSet, JobSet, RetrySet, ScheduledSet, SortedEntry
from robin.web.html import Markup, definition_list, join, link, number, render, section, shorten, table, when
from robin.web.http import HTTPError, Request, View
from robin.web.registry import Action
from robin.web.widgets import action_form, button, checkbox, form_start, pager, search_box, select_all

PER_PAGE = 25
MAX_SELECTED = 1000


@dataclass(frozen=True)
class SetPages:
    """The list, detail and actions of one set (``kind``) at ``path``."""

    path: str
    title: str
    kind: type[JobSet]
    when_label: str  # "due", "next try", "died"

    @property
    def dead(self) -> bool:
        return self.kind is DeadSet

    @property
    def run_label(self) -> str:
        return "Enqueue now" if self.kind is ScheduledSet else "Retry now"

    def render(self, request: Request) -> str | View:
        if len(request.rest) == 2:
            return self.detail(request, *request.rest)
        if request.rest:
            raise HTTPError(404, f"There is no page at {request.path}.")
        return self.listing(request)

    # -- the list ------------------------------------------------------------------------
    def listing(self, request: Request) -> str:
        jobs = self.kind()
        size = jobs.size
        text = request.arg("q").strip()
        page = request.int_arg("page", 1, low=1)
        if text:
            found = jobs.search(text, cursor=request.arg("cursor", "0") or "0", count=PER_PAGE)
            entries = sorted(found.entries, key=lambda e: e.score, reverse=jobs.newest_first)
            summary = (f"{len(entries)} matching on this page" + ("" if found.cursor is None else
                                                                   "; more may follow"))
            nav = pager(request, 1, has_next=False, cursor=found.cursor or "")
        else:
            entries = jobs.page((page - 1) * PER_PAGE, PER_PAGE)
            summary = f"{number(size)} jobs"
            nav = pager(request, page, has_next=page * PER_PAGE < size, last=max(1, math.ceil(size / PER_PAGE)))
        return join([search_box(request, placeholder="job name or argument text"),
                     section(f"{self.title} ({number(size)})", join([self._bulk(request, size),
                                                                     self._table(request, entries)]),
                             aside=summary),
                     nav])

    def _table(self, request: Request, entries: list[SortedEntry]) -> Markup:
        now = time.time()
        selectable = not request.read_only
        headers = [select_all("bulk") if selectable else "", self.when_label, "job", "args", "queue",
                   "reason" if self.dead else "error", "failures"]
        rows = []
        for e in entries:
            detail = request.url(f"{self.path}/{e.score!r}/{e.jid or 'unknown'}")
            error = (e.dead_reason or "") if self.dead else (f"{e.error_class}: {e.error_message}"
                                                             if e.error_class else "")
            rows.append((checkbox("job", key_of(e), form="bulk") if selectable else "", when(e.score, now),
                         link(detail, e.job or "(malformed job)"), shorten(e.display_args(), 100), e.queue,
                         shorten(error, 140), e.retry_count or ""))
        return table(headers, rows, empty="No job matches." if request.arg("q") else "Nothing here.", css="jobs")

    def _bulk(self, request: Request, size: int) -> Markup:
        if request.read_only:
            return Markup("")
        selected = [button("retry", self.run_label), button("delete", "Delete", danger=True,
                                                          confirm="Delete the selected jobs?")]
        every = [button("retry_all", f"{self.run_label.split()[0]} all {size:,}",
                        confirm=f"Put all {size:,} jobs on their queues now?"),
                 button("delete_all", f"Delete all {size:,}", danger=True,
                        confirm=f"Delete all {size:,} jobs of {self.title}? This cannot be undone.")]
        if not self.dead:
            selected.append(button("kill", "Kill", danger=True, confirm="Move the selected jobs to the dead set?"))
            every.append(button("kill_all", f"Kill all {size:,}", danger=True,
                                confirm=f"Move all {size:,} jobs to the dead set?"))
        return render('$start<span class="group">Selected: $selected</span> <span class="group">All: $every</span>'
                      '</form>', start=form_start(request, form_id="bulk", css="bulk"),
                      selected=join(selected, " "), every=join(every, " ") if size else "")

    # -- one job -------------------------------------------------------------------------
    def detail(self, request: Request, score_text: str, jid: str) -> View:
        entry = self.find(score_text, jid)
        if entry is None:
            raise HTTPError(404, f"Job {jid} is not in {self.title} (any more): it was retried, deleted or moved "
                                 f"meanwhile. Search {self.title} for it by name.")
        now = time.time()
        facts = [("jid", entry.jid), ("job", entry.job), ("queue", entry.queue),
                 (self.when_label, when(entry.score, now)), ("enqueued", when(entry.enqueued_at, now)),
                 ("created", when(entry.created_at, now)), ("failures", entry.retry_count or ""),
                 ("first failure", when(entry.failed_at, now))]
        if entry.dead_reason:
            facts.append(("dead because", entry.dead_reason))
        error = ""
        if entry.error_class or entry.error_message:
            error = render('<p class="error-message"><b>$c</b>: $m</p>', c=entry.error_class or "",
                           m=entry.error_message or "")
        parts = [
            self._actions(request, entry),
            section("Job", definition_list(facts)),
            section("Arguments", render('<pre class="args">$a</pre>', a=_pretty({"args": entry.args,
                                                                                 "kwargs": entry.kwargs}))),
        ]
        if error or entry.error_backtrace:
            parts.append(section("Error", join([error, render('<pre class="backtrace">$t</pre>',
                                                              t=entry.error_backtrace or "(no traceback)")])))
        payload = entry.payload if entry.valid else entry.raw.decode("utf-8", "replace")
        parts.append(render('<details><summary>Payload</summary><pre class="payload">$p</pre></details>',
                            p=_pretty(payload) if entry.valid else payload))
        return View(join(parts), f"{self.title[:-1] if self.title.endswith('s') else self.title} job "
                                 f"{entry.jid or '(malformed)'}")

    def _actions(self, request: Request, entry: SortedEntry) -> Markup:
        key = {"job": key_of(entry)}
        buttons = [action_form(request, "retry", self.run_label, fields=key, path=self.path, back=self.path),
                   action_form(request, "delete", "Delete", fields=key, path=self.path, back=self.path, danger=True,
                               confirm=f"Delete job {entry.jid}? This cannot be undone.")]
        if not self.dead:
            buttons.append(action_form(request, "kill", "Kill", fields=key, path=self.path, back=self.path,
                                       danger=True, confirm=f"Move job {entry.jid} to the dead set?"))
        buttons.append(link(request.url(self.path), f"back to {self.title}", css="back"))
        return render('<div class="actions">$b</div>', b=join(buttons, " "))

    def find(self, score_text: str, jid: str) -> SortedEntry | None:
        try:
            score = float(score_text)
        except ValueError:
            return None
        if not math.isfinite(score):
            return None
        return self.kind().find_job(jid, score=score)

    # -- actions ---------------------------------------------------------------------------
    def selected(self, request: Request) -> list[SortedEntry]:
        keys = request.values("job")[:MAX_SELECTED]
        if not keys:
            raise HTTPError(400, "No job was selected: tick the jobs first, or use the buttons for all jobs.")
        found = []
        for key in keys:
            score, _, jid = key.partition("|")
            entry = self.find(score, jid)
            if entry is not None:
                found.append(entry)
        return found

    def actions(self) -> dict[str, Action]:
        def report(verb: str, done: int, asked: int) -> str:
            gone = asked - done
            return (f"{verb} {done:,} job{'s' if done != 1 else ''}."
                    + (f" {gone:,} {'was' if gone == 1 else 'were'} no longer in {self.title}." if gone else ""))

        def retry(request: Request) -> str:
            keys = request.values("job")
            return report("Retried", self.kind().move(self.selected(request), to_dead=False), len(keys))

        def kill(request: Request) -> str:
            keys = request.values("job")
            return report("Killed", self.kind().move(self.selected(request), to_dead=True), len(keys))

        def delete(request: Request) -> str:
            keys = request.values("job")
            return report("Deleted", self.kind().remove(self.selected(request)), len(keys))

        found: dict[str, Action] = {
            "retry": Action(retry),
            "delete": Action(delete, confirm="Delete the selected jobs? This cannot be undone."),
            "retry_all": Action(lambda r: f"Put {self.kind().retry_all():,} jobs on their queues.",
                                confirm=f"Put every job of {self.title} on its queue now?"),
            "delete_all": Action(lambda r: f"Deleted {self.kind().clear():,} jobs.",
                                 confirm=f"Delete every job of {self.title}? This cannot be undone."),
        }
        if not self.dead:
            found["kill"] = Action(kill, confirm="Move the selected jobs to the dead set?")
            found["kill_all"] = Action(lambda r: f"Moved {self.kind().kill_all():,} jobs to the dead set.",
                                       confirm=f"Move every job of {self.title} to the dead set?")
        return found


def key_of(entry: SortedEntry) -> str:
    """How a form names a job of a set: ``<score>|<jid>``."""
    return f"{entry.score!r}|{entry.jid}"


def _pretty(value: object) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False)


SETS = (SetPages("/scheduled", "Scheduled", ScheduledSet, "due"),
        SetPages("/retries", "Retries", RetrySet, "next try"),
        SetPages("/dead", "Dead", DeadSet, "died"))
