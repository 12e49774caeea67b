"""``robin limiters`` and ``robin periodic``: what Robin Enterprise is doing."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import typer
from rich.console import Console
from rich.table import Table

from robin import config
from robin_enterprise import limiter
from robin_enterprise.cron import Cron
from robin_enterprise.keys import EnterpriseKeys

console = Console(highlight=False)


def limiters(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Every rate limiter used so far: kind, limit, in use now, times it was over its limit."""
    client = config.redis_client()
    keys = EnterpriseKeys(client.keys)
    rows = []
    for _, raw in sorted(client.redis.hgetall(keys.limiters).items()):
        definition = json.loads(raw)
        over = int(client.redis.get(keys.limiter(definition["name"], "over")) or 0)
        rows.append({**definition, "in_use": limiter.in_use(client.redis, keys, definition), "over_limit": over})
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table("limiter", "kind", "limit", "in use", "over limit", title="Rate limiters", title_justify="left")
    for row in rows:
        table.add_row(row["name"], limiter.describe(row), str(row["limit"]), f"{row['in_use']:g}",
                      f"{row['over_limit']:,}")
    if not rows:
        table.caption = "no limiter has been used yet"
    console.print(table)


def _next_run(definition: dict[str, object], now: float) -> float | None:
    if definition.get("every"):
        every = float(definition["every"])  # type: ignore[arg-type]
        return (now // every + 1) * every
    if definition.get("cron"):
        return Cron.parse(str(definition["cron"])).next_after(datetime.fromtimestamp(now, UTC),
                                                              str(definition.get("tz") or "UTC")).timestamp()
    return None


def periodic(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Periodic jobs: schedule, next run, the last job enqueued, and the leader."""
    client = config.redis_client()
    keys = EnterpriseKeys(client.keys)
    now = time.time()
    last_jobs = {k.decode(): v.decode() for k, v in client.redis.hgetall(keys.periodic_job).items()}
    rows = []
    for schedule_id, raw in sorted(client.redis.hgetall(keys.periodic).items()):
        definition = json.loads(raw)
        jid, _, tick = last_jobs.get(schedule_id.decode(), "").partition(" ")
        rows.append({**definition, "next_run": _next_run(definition, now), "last_jid": jid or None,
                     "last_tick": float(tick) if tick else None})
    holder = client.redis.get(keys.leader)
    if as_json:
        typer.echo(json.dumps({"leader": holder.decode() if holder else None, "schedules": rows}, indent=2))
        return
    table = Table("schedule", "tz", "job", "queue", "next run", "last enqueued", title="Periodic jobs",
                  title_justify="left", caption=f"leader: {holder.decode() if holder else 'none (no worker runs)'}")
    for row in rows:
        last = f"{row['last_jid']} at {_local(row['last_tick'])}" if row["last_jid"] else ""
        table.add_row(row["schedule"], row["tz"], row["job"], row["queue"], _local(row["next_run"]), last)
    console.print(table)


def _local(when: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(when)) if when else ""


def add_commands(app: typer.Typer) -> None:
    app.command("limiters")(limiters)
    app.command("periodic")(periodic)
