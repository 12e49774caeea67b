"""Lua scripts, one per atomic step, and their typed wrappers.

Each ``.lua`` file starts with a header describing its KEYS and ARGV.  Scripts are run
with EVALSHA; when the server does not know a script (it restarted, or SCRIPT FLUSH),
it is loaded and the call repeated, which is safe because a NOSCRIPT reply means
nothing ran.  Scripts whose body calls a ``robin_*`` helper get ``lib.lua`` prepended.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from importlib import resources
from typing import Any

import redis
from redis.exceptions import NoScriptError

from robin.keys import Keys

Arg = str | bytes | int | float
SettleOp = tuple[str, bytes, str | bytes, str]
"""``(kind, payload in flight, new payload, arg)``: see settle.lua."""


def _source(name: str) -> str:
    return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")


class Script:
    """One Lua script: its source, its SHA1, and a way to run it."""

    def __init__(self, name: str, body: str | None = None) -> None:
        body = _source(name) if body is None else body
        self.name = name
        self.source = _source("lib.lua") + "\n" + body if "robin_" in body else body
        self.sha = hashlib.sha1(self.source.encode("utf-8")).hexdigest()

    @classmethod
    def from_source(cls, name: str, body: str) -> Script:
        """A plug-in's script.  Its body may call core's Lua helpers, which are then prepended:

        ``robin_push(prefix, queue, payload, front)`` - put a job on a queue exactly as core
        does (registers the queue, wakes an idle worker); ``robin_bury(prefix, payload, now,
        max_size, max_age)`` - add to the dead set; ``robin_zadd(key, score, member)``;
        ``robin_queue_of(payload)``.  ``prefix`` is ``Keys.prefix`` (``"{ns}:"``): keys built
        from it share the namespace's hash slot.  Each returns false if it could not write.
        """
        return cls(name, body)

    def args(self, keys: Sequence[str], args: Sequence[Arg]) -> tuple[Any, ...]:
        return ("EVALSHA", self.sha, len(keys), *keys, *args)

    def __call__(self, conn: redis.Redis, keys: Sequence[str], args: Sequence[Arg]) -> Any:
        command = self.args(keys, args)
        try:
            return conn.execute_command(*command)
        except NoScriptError:
            conn.execute_command("SCRIPT", "LOAD", self.source)
            return conn.execute_command(*command)


def pipelined(conn: redis.Redis, calls: Sequence[tuple[Script, Sequence[str], Sequence[Arg]]]) -> list[Any]:
    """Run several scripts in one round trip (no MULTI); return their results in order.

    A call that got NOSCRIPT did not run, so it is loaded and run again on its own; any
    other error is raised after every call has been looked at.
    """
    pipe = conn.pipeline(transaction=False)
    for script, keys, args in calls:
        pipe.execute_command(*script.args(keys, args))
    results: list[Any] = pipe.execute(raise_on_error=False)
    error: BaseException | None = None
    for i, result in enumerate(results):
        if isinstance(result, NoScriptError):
            script, keys, args = calls[i]
            results[i] = script(conn, keys, args)
        elif isinstance(result, BaseException) and error is None:
            error = result
    if error is not None:
        raise error
    return results


PUSH = Script("push.lua")
FETCH = Script("fetch.lua")
SETTLE = Script("settle.lua")
PROMOTE = Script("promote.lua")
RECOVER = Script("recover.lua")
UNREGISTER = Script("unregister.lua")
HEARTBEAT = Script("heartbeat.lua")
MOVE = Script("move.lua")
METRICS = Script("metrics.lua")
ALL = (PUSH, FETCH, SETTLE, PROMOTE, RECOVER, UNREGISTER, HEARTBEAT, MOVE, METRICS)

MAX_FETCH = 1000
"""The most jobs one fetch takes (fetch.lua relies on callers keeping to it)."""


def load_all(conn: redis.Redis) -> None:
    """Load every script into the server (one round trip); later calls never see NOSCRIPT."""
    pipe = conn.pipeline(transaction=False)
    for script in ALL:
        pipe.execute_command("SCRIPT", "LOAD", script.source)
    pipe.execute()


# -- typed wrappers --------------------------------------------------------------------
def push_args(keys: Keys, queue: str, payloads: Sequence[str]) -> tuple[list[str], list[Arg]]:
    return [keys.queue(queue), keys.queues, keys.ready(queue)], [queue, *payloads]


def fetch_args(keys: Keys, identity: str, queue_keys: Sequence[str], ready_keys: Sequence[str], want: int
               ) -> tuple[list[str], list[Arg]]:
    return ([keys.process(identity), keys.inflight(identity), *queue_keys, *ready_keys],
            [max(0, min(want, MAX_FETCH))])


def settle_args(keys: Keys, identity: str, ops: Sequence[SettleOp], *, now: float, day: str,
                dead_max: int, dead_age: float, stats_ttl: int) -> tuple[list[str], list[Arg]]:
    acks: list[Arg] = [op[1] for op in ops if op[0] == "a"]
    flat: list[Arg] = [keys.prefix, now, dead_max, dead_age, stats_ttl, len(acks), *acks]
    if len(acks) < len(ops):
        for op in ops:
            if op[0] != "a":
                flat.extend(op)
    return [keys.inflight(identity), keys.retry, keys.schedule, keys.processed, keys.failed,
            keys.processed_on(day), keys.failed_on(day)], flat


def promote(conn: redis.Redis, keys: Keys, zset: str, now: float, limit: int) -> int:
    return int(PROMOTE(conn, [zset], [keys.prefix, now, limit]))


def recover(conn: redis.Redis, keys: Keys, identity: str, moves: Sequence[tuple[bytes, str, str]], *,
            now: float, dead_max: int, dead_age: float) -> int:
    flat: list[Arg] = [keys.prefix, now, dead_max, dead_age]
    for move in moves:
        flat.extend(move)
    return int(RECOVER(conn, [keys.process(identity), keys.inflight(identity)], flat))


def unregister(conn: redis.Redis, keys: Keys, identity: str, only_if_dead: bool) -> int:
    return int(UNREGISTER(
        conn,
        [keys.processes, keys.process(identity), keys.work(identity), keys.inflight(identity),
         keys.started(identity), keys.signals(identity), keys.wake(identity)],
        [identity, "1" if only_if_dead else "0"],
    ))


def heartbeat(conn: redis.Redis, keys: Keys, identity: str, *, lease: int, info: str, busy: int, quiet: bool,
              rss: int, work: Sequence[tuple[str, str]]) -> tuple[bool, list[str]]:
    """Renew the lease; return (whether it still existed, remote commands received)."""
    flat: list[Arg] = [identity, lease, info, busy, int(quiet), rss]
    for thread, state in work:
        flat.extend((thread, state))
    existed, commands = HEARTBEAT(
        conn, [keys.process(identity), keys.processes, keys.work(identity), keys.signals(identity)], flat)
    return bool(existed), [c.decode() if isinstance(c, bytes) else str(c) for c in commands]


def move(conn: redis.Redis, keys: Keys, zset: str, moves: Sequence[tuple[bytes | str, str, str]], *,
         now: float, dead_max: int, dead_age: float) -> int:
    """Move ``(member, new payload, queue or '' for dead)`` entries out of ``zset``; return how many."""
    flat: list[Arg] = [keys.prefix, now, dead_max, dead_age]
    for move_ in moves:
        flat.extend(move_)
    return int(MOVE(conn, [zset], flat))
