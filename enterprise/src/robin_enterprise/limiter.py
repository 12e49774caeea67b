"""Rate limiters that hold fleet-wide: every thread and process on the same server.

::

    from robin_enterprise import limiter

    ERP = limiter.concurrent("erp", 5, wait_timeout=5, lock_timeout=30)   # at most 5 holders
    STRIPE = limiter.bucket("stripe", 30, "second")      # 30 per calendar second/minute/hour/day
    SEARCH = limiter.window("search", 10, 1.5)           # 10 per sliding 1.5 s window
    PARTNER = limiter.leaky("partner", 60, "minute")     # bursts up to 60, drains 60 per minute

    with ERP:                # also `async with ERP:`, and `with ERP.acquire():`
        ...

Each decision is one atomic Lua script on the server's clock, so the limit is exact
whatever the number of callers.  A caller that cannot get through within
``wait_timeout`` gets :class:`OverLimit`; inside a job, Robin Enterprise's middleware
then reschedules the job (see middleware.py).  A concurrent limiter's lock lapses after
``lock_timeout``, so a holder that crashed never blocks the others for good (and a
holder that runs longer than that may see others join it: choose it above the longest
work).
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import os
import random
import re
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from importlib import resources
from types import TracebackType
from typing import Any, cast

import redis

from robin import config
from robin.context import ExecutionContext
from robin.errors import ConfigurationError
from robin.scripts import Script
from robin_enterprise.errors import OverLimit
from robin_enterprise.keys import EnterpriseKeys
from robin_enterprise.licensing import require_for_declaration

log = logging.getLogger("robin")

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
INTERVALS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
RESCHEDULE_CAP = 20

Backoff = Callable[["Limiter", ExecutionContext | None, OverLimit], float]


def _script(name: str) -> Script:
    body = resources.files("robin_enterprise").joinpath("scripts", name).read_text(encoding="utf-8")
    return Script.from_source(f"robin_enterprise/{name}", body)


SCRIPTS = {kind: _script(f"{kind}.lua") for kind in ("concurrent", "bucket", "window", "leaky")}

# The leases taken with `with limiter:` in this context, so `__exit__` releases the
# right one although one limiter object is shared by every thread and task.
_held: contextvars.ContextVar[tuple[Lease, ...]] = contextvars.ContextVar("robin_limiter_leases", default=())


def _connection() -> tuple[redis.Redis, EnterpriseKeys]:
    client = config.redis_client()
    return client.redis, EnterpriseKeys(client.keys)


@dataclass
class Lease:
    """A grant from a limiter; release it (or leave the ``with`` block) when done."""

    limiter: Limiter
    token: str
    released: bool = False
    window: int | None = None  # bucket limiters: the calendar window the grant counted in
    granted_at: float | None = None  # window and leaky limiters: the server's time of the grant (unix s)

    def release(self) -> None:
        if not self.released:
            self.released = True
            self.limiter._release(self)

    def __enter__(self) -> Lease:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


@dataclass
class Limiter:
    """A limiter; made by :func:`concurrent`, :func:`bucket`, :func:`window`, :func:`leaky`."""

    name: str
    kind: str
    limit: int
    wait_timeout: float = 5.0
    reschedule: int = RESCHEDULE_CAP
    backoff: Backoff | None = None
    lock_timeout: float = 0.0  # concurrent only
    interval: float = 0.0  # seconds: bucket window, sliding window, leaky drain period
    _published: bool = field(default=False, repr=False)

    # -- taking and giving back ---------------------------------------------------------
    def acquire(self) -> Lease:
        """Wait (up to ``wait_timeout``) for a grant; raise :class:`OverLimit` if none comes."""
        attempts = self._attempts()
        try:
            while True:
                time.sleep(next(attempts))
        except StopIteration as granted:
            return cast(Lease, granted.value)

    async def acquire_async(self) -> Lease:
        """:meth:`acquire` for async code: waiting does not block the event loop."""
        attempts = self._attempts()
        try:
            while True:
                await asyncio.sleep(next(attempts))
        except StopIteration as granted:
            return cast(Lease, granted.value)

    def _attempts(self) -> Generator[float, None, Lease]:
        """Ask for a grant until one comes (returned) or ``wait_timeout`` passes (raised);
        yields the pauses between asks, for the caller to sleep in its own way."""
        started = time.monotonic()
        pause = 0.005
        while True:
            lease, wait_ms = self._try()
            if lease is not None:
                return lease
            waited = time.monotonic() - started
            if waited >= self.wait_timeout:
                raise self._over(waited)
            yield self._pause(wait_ms, pause, self.wait_timeout - waited)
            pause = min(pause * 2, 0.1)

    def __enter__(self) -> Lease:
        lease = self.acquire()
        _held.set((*_held.get(), lease))
        return lease

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._pop_lease().release()

    async def __aenter__(self) -> Lease:
        lease = await self.acquire_async()
        _held.set((*_held.get(), lease))
        return lease

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        self._pop_lease().release()

    def _pop_lease(self) -> Lease:
        held = _held.get()
        for i in range(len(held) - 1, -1, -1):
            if held[i].limiter is self:
                _held.set(held[:i] + held[i + 1:])
                return held[i]
        raise RuntimeError(f"limiter {self.name!r}: __exit__ without a matching __enter__")

    # -- one decision --------------------------------------------------------------------
    def _try(self) -> tuple[Lease | None, float]:
        """One atomic decision on the server: (a lease, 0) or (None, ms to wait)."""
        conn, keys = _connection()
        if not self._published:
            self._publish(conn, keys)
        token = os.urandom(8).hex()
        key = keys.limiter(self.name)
        script = SCRIPTS[self.kind]
        if self.kind == "concurrent":
            result = script(conn, [key], [self.limit, int(self.lock_timeout * 1000), token])
        elif self.kind == "bucket":
            result = script(conn, [key], [self.limit, int(self.interval)])
        elif self.kind == "window":
            result = script(conn, [key], [self.limit, int(self.interval * 1000), token])
        else:
            result = script(conn, [key], [self.limit, int(self.interval * 1000)])
        granted, wait_ms = int(result[0]), float(result[1])
        if not granted:
            return None, wait_ms
        if self.kind == "bucket":
            return Lease(self, token, window=int(result[2])), 0.0
        if self.kind in ("window", "leaky"):
            return Lease(self, token, granted_at=int(result[2]) / 1e6), 0.0
        return Lease(self, token), 0.0

    def _release(self, lease: Lease) -> None:
        if self.kind != "concurrent":  # the others are spent once granted
            return
        try:
            conn, keys = _connection()
            conn.zrem(keys.limiter(self.name), lease.token)
        except Exception as exc:
            # The work inside the block is done: failing it now would run it again.  The
            # slot is reclaimed when its lock_timeout lapses.
            log.warning("limiter %r: could not give the slot back (%s: %s); it is reclaimed after lock_timeout "
                        "(%gs)", self.name, type(exc).__name__, exc, self.lock_timeout)

    def _over(self, waited: float) -> OverLimit:
        conn, keys = _connection()
        conn.incr(keys.limiter(self.name, "over"))
        return OverLimit(self, waited)

    def _pause(self, wait_ms: float, pause: float, left: float) -> float:
        """How long to sleep before trying again: the server's hint when it has one (a window
        opens, a bucket drains); for a concurrent limiter a short, growing pause (slots are
        usually given back long before a lock would lapse)."""
        hint = pause if self.kind == "concurrent" or wait_ms <= 0 else wait_ms / 1000.0
        return max(0.001, min(hint, left) * random.uniform(0.9, 1.1))

    def _publish(self, conn: redis.Redis, keys: EnterpriseKeys) -> None:
        """Record the definition, so ``robin limiters`` can show it from any process."""
        conn.hset(keys.limiters, self.name, json.dumps(self.definition()))
        self._published = True

    # -- for people ----------------------------------------------------------------------
    def definition(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "limit": self.limit, "interval": self.interval,
                "wait_timeout": self.wait_timeout, "lock_timeout": self.lock_timeout,
                "reschedule": self.reschedule}

    def describe(self) -> str:
        return describe(self.definition())

    def in_use(self) -> float:
        """Holders (concurrent), grants in the current window or level (others), now."""
        conn, keys = _connection()
        return in_use(conn, keys, self.definition())


class Unlimited(Limiter):
    """Grants everything at once, touching nothing: for tests and local development."""

    def _try(self) -> tuple[Lease | None, float]:
        return Lease(self, "unlimited"), 0.0

    def _release(self, lease: Lease) -> None:
        pass

    def in_use(self) -> float:
        return 0.0


def describe(definition: dict[str, Any]) -> str:
    kind, limit, interval = definition["kind"], definition["limit"], definition.get("interval", 0)
    if kind == "concurrent":
        return f"concurrent, at most {limit} at once"
    if kind == "bucket":
        unit = next((n for n, s in INTERVALS.items() if s == interval), f"{interval:g} s")
        return f"bucket, {limit} per {unit}"
    if kind == "window":
        return f"window, {limit} per {interval:g} s sliding"
    if kind == "leaky":
        return f"leaky, bursts of {limit}, draining {limit} per {interval:g} s"
    return str(kind)


def in_use(conn: redis.Redis, keys: EnterpriseKeys, definition: dict[str, Any]) -> float:
    kind, key = definition["kind"], keys.limiter(definition["name"])
    now_ms = time.time() * 1000
    if kind == "concurrent":
        return float(conn.zcount(key, now_ms, "+inf"))
    if kind == "window":
        return float(conn.zcount(key, now_ms - definition["interval"] * 1000, "+inf"))
    if kind == "bucket":
        window = int(time.time() // definition["interval"])
        return float(conn.get(f"{key}:{window}") or 0)
    if kind == "leaky":
        state = conn.hgetall(key)
        level, at = float(state.get(b"level", 0)), float(state.get(b"at", now_ms))
        rate = float(definition["limit"]) / (float(definition["interval"]) * 1000)
        return max(0.0, level - (now_ms - at) * rate)
    return 0.0


def overview(conn: redis.Redis, keys: EnterpriseKeys) -> list[dict[str, Any]]:
    """Every limiter used so far (what ``robin limiters`` and the dashboard show): its definition,
    ``in_use`` now and ``over_limit`` (times a caller gave up waiting), by name."""
    rows = []
    for _, raw in sorted(conn.hgetall(keys.limiters).items()):
        definition = json.loads(raw)
        over = int(conn.get(keys.limiter(definition["name"], "over")) or 0)
        rows.append({**definition, "in_use": in_use(conn, keys, definition), "over_limit": over})
    return rows


# -- the public constructors ---------------------------------------------------------------
def _check(name: str, limit: int, wait_timeout: float, reschedule: int) -> None:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConfigurationError(f"invalid limiter name {name!r}: use 1-100 letters, digits, '_' or '-'")
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ConfigurationError(f"limiter {name!r}: limit must be a whole number >= 1, not {limit!r}")
    if wait_timeout < 0:
        raise ConfigurationError(f"limiter {name!r}: wait_timeout must be >= 0")
    if reschedule < 0:
        raise ConfigurationError(f"limiter {name!r}: reschedule must be >= 0")
    require_for_declaration("limiters", f"rate limiter {name!r}")


def _interval(name: str, interval: str | float) -> float:
    if isinstance(interval, str):
        if interval not in INTERVALS:
            raise ConfigurationError(f"limiter {name!r}: interval {interval!r} must be one of "
                                     f"{', '.join(INTERVALS)} (or a number of seconds)")
        return float(INTERVALS[interval])
    if isinstance(interval, bool) or not isinstance(interval, (int, float)) or interval <= 0:
        raise ConfigurationError(f"limiter {name!r}: interval must be a positive number of seconds")
    return float(interval)


def concurrent(name: str, limit: int, *, wait_timeout: float = 5.0, lock_timeout: float = 30.0,
               reschedule: int = RESCHEDULE_CAP, backoff: Backoff | None = None) -> Limiter:
    """At most ``limit`` holders at once, fleet-wide; a crashed holder's lock lapses after ``lock_timeout``."""
    _check(name, limit, wait_timeout, reschedule)
    if lock_timeout <= 0:
        raise ConfigurationError(f"limiter {name!r}: lock_timeout must be > 0")
    return Limiter(name, "concurrent", limit, wait_timeout, reschedule, backoff, lock_timeout=float(lock_timeout))


def bucket(name: str, limit: int, interval: str = "second", *, wait_timeout: float = 5.0,
           reschedule: int = RESCHEDULE_CAP, backoff: Backoff | None = None) -> Limiter:
    """At most ``limit`` per calendar second, minute, hour or day (UTC)."""
    _check(name, limit, wait_timeout, reschedule)
    if interval not in INTERVALS:
        raise ConfigurationError(f"limiter {name!r}: a bucket's interval is one of {', '.join(INTERVALS)}")
    return Limiter(name, "bucket", limit, wait_timeout, reschedule, backoff, interval=_interval(name, interval))


def window(name: str, limit: int, seconds: float, *, wait_timeout: float = 5.0,
           reschedule: int = RESCHEDULE_CAP, backoff: Backoff | None = None) -> Limiter:
    """At most ``limit`` in any sliding window of ``seconds``."""
    _check(name, limit, wait_timeout, reschedule)
    return Limiter(name, "window", limit, wait_timeout, reschedule, backoff, interval=_interval(name, seconds))


def leaky(name: str, limit: int, interval: str | float = "second", *, wait_timeout: float = 5.0,
          reschedule: int = RESCHEDULE_CAP, backoff: Backoff | None = None) -> Limiter:
    """Bursts up to ``limit`` at once, then ``limit`` per ``interval`` as the bucket drains."""
    _check(name, limit, wait_timeout, reschedule)
    return Limiter(name, "leaky", limit, wait_timeout, reschedule, backoff, interval=_interval(name, interval))


def unlimited(name: str = "unlimited") -> Limiter:
    """A limiter that never limits (and needs no server): swap it in for tests."""
    return Unlimited(name, "unlimited", 1, wait_timeout=0.0)
