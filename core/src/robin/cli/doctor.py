"""``robin version`` and ``robin doctor``: what is installed, and whether it is well set up."""

from __future__ import annotations

import platform
import time
from importlib import metadata

import typer

from robin import config, plugins
from robin._version import __version__
from robin.cli.common import JSON_OPTION, console, print_json


def _distribution_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def register(app: typer.Typer) -> None:
    @app.command()
    def version(as_json: bool = JSON_OPTION) -> None:
        """Versions of Robin, its plug-ins, Python and the Redis client."""
        loaded = [{"distribution": p.distribution, "version": p.version, "name": p.plugin.name}
                  for p in plugins.loaded()]
        info = {"robin": __version__, "python": platform.python_version(), "redis-py": _distribution_version("redis"),
                "hiredis": _distribution_version("hiredis"), "plugins": loaded, "refused": plugins.problems()}
        if as_json:
            print_json(info)
            return
        console.print(f"robin {__version__}")
        for p in loaded:
            console.print(f"  plug-in {p['distribution']} {p['version']} ({p['name']})")
        for problem in plugins.problems():
            console.print(f"  [red]refused:[/red] {problem}")
        console.print(f"python {info['python']}, redis-py {info['redis-py']}"
                      + (f", hiredis {info['hiredis']}" if info["hiredis"] else ""))

    @app.command()
    def doctor(as_json: bool = JSON_OPTION) -> None:
        """Check the installation, the server and the fleet; exit non-zero if something is wrong."""
        checks = run_checks()
        if as_json:
            print_json([{"check": c, "status": s, "detail": d} for c, s, d in checks])
        else:
            marks = {"ok": "[green]ok[/green]  ", "warn": "[yellow]warn[/yellow]", "fail": "[red]fail[/red]"}
            for check, status, detail in checks:
                console.print(f"{marks[status]} {check}: {detail}")
        if any(status == "fail" for _, status, _ in checks):
            raise typer.Exit(1)


Check = tuple[str, str, str]


def run_checks() -> list[Check]:
    checks: list[Check] = [("robin", "ok", f"{__version__} on Python {platform.python_version()}")]
    loaded = plugins.load()
    checks += [("plug-in", "ok", p.describe()) for p in loaded]
    checks += [("plug-in", "fail", problem) for problem in plugins.problems()]
    try:
        client = config.redis_client()
    except Exception as exc:
        return [*checks, ("server", "fail", str(exc))]
    checks.append(("server", "ok", f"{client.target.masked} (from {client.target.source}), namespace "
                                   f"{client.keys.namespace}"))
    try:
        checks += _server_checks(client)
    except Exception as exc:
        checks.append(("connection", "fail", f"{type(exc).__name__}: {exc}; {client.target.how_to_fix()}"))
    return checks


def _server_checks(client: object) -> list[Check]:
    from robin.api import ProcessSet, Queue
    from robin.client import Client
    from robin.server import check_server

    assert isinstance(client, Client)
    redis = client.redis
    checks: list[Check] = []
    started = time.perf_counter()
    redis.ping()
    checks.append(("connection", "ok", f"PING in {(time.perf_counter() - started) * 1000:.1f} ms"))
    checks.append(("server version", "ok", check_server(redis, client.target)))
    try:
        policy = redis.config_get("maxmemory-policy").get("maxmemory-policy", "")
        aof = redis.config_get("appendonly").get("appendonly", "")
        save = redis.config_get("save").get("save", "")
    except Exception:
        checks.append(("server config", "warn", "CONFIG GET is not allowed here: cannot check eviction and "
                                                "persistence; make sure maxmemory-policy is noeviction"))
    else:
        checks.append(("eviction", "ok" if policy == "noeviction" else "fail",
                       f"maxmemory-policy {policy}" + ("" if policy == "noeviction" else
                                                       ": queued jobs may be evicted; set noeviction")))
        persistent = aof == "yes" or bool(save)
        checks.append(("persistence", "ok" if persistent else "warn",
                       f"appendonly {aof}, save {save!r}" + ("" if persistent else
                                                             ": a server restart loses every job")))
    seconds, micros = redis.time()
    skew = time.time() - (float(seconds) + float(micros) / 1e6)
    checks.append(("clock", "ok" if abs(skew) < 2 else "warn",
                   f"this host is {abs(skew):.3f} s {'ahead of' if skew > 0 else 'behind'} the server"))
    processes = list(ProcessSet(client))
    served = {q for p in processes for q in p.queues}
    checks.append(("workers", "ok" if processes else "warn",
                   f"{len(processes)} live processes" if processes else "no worker process is running"))
    for queue in Queue.all(client):
        size = queue.size
        if size and queue.name not in served:
            checks.append(("queue " + queue.name, "warn", f"{size:,} jobs wait and no live process works on it"))
    return checks
