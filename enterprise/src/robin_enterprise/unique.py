"""Unique jobs: a duplicate enqueued within the window is dropped.

::

    @robin.job(unique_for=600)            # seconds or a timedelta
    def charge(customer_id): ...

    charge.enqueue(7)    # -> jid
    charge.enqueue(7)    # -> None: a duplicate; the holder's jid is logged

A job's identity is SHA-256 of its name, arguments and queue - or of its name and a
``unique_key`` (a string, or a callable given the job's arguments).  Enqueueing takes a
lock (SET NX, so of two clients racing, exactly one wins) that lives ``unique_for``
seconds from the time the job is due (its scheduled time, for enqueue_in/enqueue_at).

The lock is released when the job succeeds (``unique_until="success"``, the default) or
when it starts (``unique_until="start"``), when it dies, or when ``unique_for`` runs out.
A job waiting for a retry keeps it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import robin
from robin import config, needs
from robin.scripts import Script
from robin_enterprise._version import DISTRIBUTION
from robin_enterprise.keys import EnterpriseKeys
from robin_licensing import require

log = logging.getLogger("robin")

UNTIL = ("success", "start")


def _unlock_script() -> Script:
    from importlib import resources

    body = resources.files("robin_enterprise").joinpath("scripts", "unlock.lua").read_text(encoding="utf-8")
    return Script.from_source("robin_enterprise/unlock.lua", body)


UNLOCK = _unlock_script()


def seconds(value: Any) -> float:
    """Validate ``unique_for``: seconds or a timedelta, more than zero."""
    amount = value.total_seconds() if isinstance(value, timedelta) else value
    if isinstance(amount, bool) or not isinstance(amount, (int, float)) or amount <= 0:
        raise ValueError("use a positive number of seconds or a timedelta")
    return float(amount)


def until(value: Any) -> str:
    if value not in UNTIL:
        raise ValueError('use "success" (the lock is held until the job succeeds) or "start"')
    return str(value)


def key_option(value: Any) -> str | Callable[..., Any]:
    if isinstance(value, str) and value:
        return value
    if callable(value):
        return value  # type: ignore[no-any-return]
    raise ValueError("use a non-empty string, or a callable given the job's arguments")


def digest_of(ctx: robin.EnqueueContext) -> str:
    """The job's identity (see the module docstring)."""
    payload = ctx.payload
    custom = ctx.options.get("unique_key")
    if callable(custom):
        custom = custom(*payload["args"], **(payload.get("kwargs") or {}))
    if custom is not None:
        material = json.dumps([payload["job"], str(custom)], separators=(",", ":"))
    else:
        material = json.dumps([payload["job"], payload["args"], payload.get("kwargs") or {}, payload["queue"]],
                              separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def release(digest: str, jid: str) -> None:
    client = config.redis_client()
    UNLOCK(client.redis, [EnterpriseKeys(client.keys).unique(digest)], [jid])


class UniqueClient(robin.ClientMiddleware):
    """Takes the lock of a unique job, or drops the enqueue of a duplicate (returns None)."""

    def call(self, ctx: robin.EnqueueContext, call_next: Callable[[], str | None]) -> str | None:
        unique_for = ctx.payload.get("unique_for")
        if not unique_for:
            return call_next()
        require("unique")  # enqueuing a unique job is new work
        now = time.time()
        due = ctx.at if ctx.at is not None and ctx.at > now else now
        ttl_ms = max(1, int(((due - now) + float(unique_for)) * 1000))
        digest = digest_of(ctx)
        client = config.redis_client()
        key = EnterpriseKeys(client.keys).unique(digest)
        jid = ctx.jid
        if not client.redis.set(key, jid, nx=True, px=ttl_ms):
            holder = client.redis.get(key)
            log.info("duplicate of unique job %s dropped: %s holds it (unique_for=%gs)", ctx.job_name,
                     holder.decode() if holder else "another job", float(unique_for))
            return None
        ctx.payload["unique_digest"] = digest
        needs.mark(ctx.payload, "unique", DISTRIBUTION, required=False)  # without it the lock just expires
        # Whenever the job turns out not to be enqueued, free its identity at once: a
        # failed push, a later middleware that stops it, a bulk push or batch that fails.
        ctx.on_abandon(lambda _: release_quietly(digest, jid))
        try:
            result = call_next()
        except BaseException:
            release_quietly(digest, jid)
            raise
        if result is None:
            release_quietly(digest, jid)
        return result


def release_quietly(digest: str, jid: str) -> None:
    """Release, or log why not: the lock then lapses on its own at the end of ``unique_for``.

    A job that succeeded must not run again because its lock could not be released.
    """
    try:
        release(digest, jid)
    except Exception as exc:
        log.warning("could not release the unique lock of job %s (%s: %s); it lapses on its own at the end of "
                    "unique_for", jid, type(exc).__name__, exc)


class UniqueServer(robin.ServerMiddleware):
    """Releases the lock when the job starts or succeeds (a failing job keeps it for its retry).

    Outermost in the chain (see plugin.py), so that it also sees a job that an inner
    middleware finishes without running it (Pro's ExpiryServer dropping an expired job).
    """

    def call(self, ctx: robin.ExecutionContext, call_next: Callable[[], Any]) -> Any:
        digest = ctx.payload.get("unique_digest")
        if not isinstance(digest, str):
            return call_next()
        if ctx.payload.get("unique_until") == "start":
            release_quietly(digest, ctx.jid)
            return call_next()
        result = call_next()
        release_quietly(digest, ctx.jid)
        return result


def on_death(payload: dict[str, Any], exc: BaseException) -> None:
    digest = payload.get("unique_digest")
    if isinstance(digest, str) and isinstance(payload.get("jid"), str):
        release(digest, payload["jid"])
