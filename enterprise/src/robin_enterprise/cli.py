"""``robin limiters`` and ``robin periodic``: what Robin Enterprise is doing."""

from __future__ import annotations

import json
import time

import typer
from rich.console import Console
from rich.table import Table

from robin import config
from robin_enterprise import limiter
from robin_enterprise.keys import EnterpriseKeys
from robin_enterprise.periodic import overview

console = Console(highlight=False)


def limiters(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Every rate limiter used so far: kind, limit, in use now, times it was over its limit."""
    client = config.redis_client()
    rows = limiter.overview(client.redis, EnterpriseKeys(client.keys))
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


def periodic(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Periodic jobs: schedule, next run, the last job enqueued, and the leader."""
    client = config.redis_client()
    holder, rows = overview(client.redis, EnterpriseKeys(client.keys), time.time())
    if as_json:
        typer.echo(json.dumps({"leader": holder, "schedules": rows}, indent=2))
        return
    table = Table("schedule", "tz", "job", "queue", "next run", "last enqueued", title="Periodic jobs",
                  title_justify="left", caption=f"leader: {holder or 'none (no worker runs)'}")
    for row in rows:
        last = f"{row['last_jid']} at {_local(row['last_tick'])}" if row["last_jid"] else ""
        table.add_row(row["schedule"], row["tz"], row["job"], row["queue"], _local(row["next_run"]), last)
    console.print(table)


def _local(when: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(when)) if when else ""


def add_commands(app: typer.Typer) -> None:
    app.command("limiters")(limiters)
    app.command("periodic")(periodic)
