"""The Limiters and Periodic tabs of the web dashboard, added through core's page seam
(``Plugin.web``): the same data as ``robin limiters`` and ``robin periodic``, and "enqueue
now" for a periodic job."""

from __future__ import annotations

import time

import redis

from robin import config, web
from robin.errors import ConfigurationError
from robin.web.html import join, number, render, section, table, when
from robin.web.widgets import action_form
from robin_enterprise import limiter, periodic
from robin_enterprise.keys import EnterpriseKeys


def add_pages() -> None:
    web.register_page("/limiters", "Limiters", limiters_page, order=120)
    web.register_page("/periodic", "Periodic", periodic_page, order=130,
                      actions={"enqueue": web.Action(enqueue_now)})


def _keys() -> tuple[redis.Redis, EnterpriseKeys]:
    client = config.redis_client()
    return client.redis, EnterpriseKeys(client.keys)


def limiters_page(request: web.Request) -> str:
    conn, keys = _keys()
    rows = [(row["name"], limiter.describe(row), number(row["limit"]), f"{row['in_use']:g}",
             number(row["over_limit"])) for row in limiter.overview(conn, keys)]
    return section("Rate limiters", table(["limiter", "kind", "limit", "in use now", "over limit"], rows,
                                          empty="No limiter has been used yet."))


def periodic_page(request: web.Request) -> str:
    conn, keys = _keys()
    now = time.time()
    leader, schedules = periodic.overview(conn, keys, now)
    rows = []
    for row in schedules:
        last = join([row["last_jid"], " (", when(row["last_tick"], now), ")"]) if row["last_jid"] else ""
        next_run = (render('<span class="error">$e</span>', e=row["error"]) if row.get("error")
                    else when(row["next_run"], now))
        rows.append((row.get("schedule", ""), row.get("tz", ""), row.get("job", ""), row.get("queue", ""), next_run,
                     last,
                     action_form(request, "enqueue", "Enqueue now", fields={"schedule": row["id"]})))
    return join([
        section("Periodic jobs", table(["schedule", "tz", "job", "queue", "next run", "last enqueued", ""], rows,
                                       empty="No periodic job is published: the leader publishes its schedules "
                                             "within a minute of starting."),
                aside=render("leader: $who", who=leader or "none (no worker runs)")),
    ])


def enqueue_now(request: web.Request) -> str:
    schedule = request.form.get("schedule", "")
    try:
        jid = periodic.enqueue_now(schedule)
    except ConfigurationError as exc:
        raise web.HTTPError(404, str(exc)) from exc
    if jid is None:
        return "Client middleware stopped the job (a unique job still running, say): nothing was enqueued."
    return f"Enqueued job {jid} now; the schedule is unchanged."
