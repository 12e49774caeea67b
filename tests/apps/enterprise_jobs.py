"""Jobs for the Robin Enterprise tests: limited jobs, unique jobs, periodic ticks."""

from __future__ import annotations

import json
import time
from typing import Any

import robin
from robin_enterprise import leader, limiter, periodic
from tests.apps.jobs import conn, note

leader.configure(lease=2.0, renew_every=0.5, try_every=0.2)  # take-over within ~2.2 s, for the tests

ONE_AT_A_TIME = limiter.concurrent("test-one", 1, wait_timeout=0.2, lock_timeout=10)
NEVER = limiter.concurrent("test-never", 1, wait_timeout=0.05, lock_timeout=60, reschedule=0)


@robin.job
def limited(tag: str, hold: float) -> None:
    with ONE_AT_A_TIME:
        note(tag=tag, event="start")
        time.sleep(hold)
        note(tag=tag, event="end")


@robin.job(retry=1, backoff=lambda attempt, exc: 0.1)
def blocked(tag: str) -> None:
    with NEVER:
        note(tag=tag)


@robin.job(unique_for=60)
def charge(customer: int) -> None:
    note(tag=f"charge-{customer}")


HELD = limiter.concurrent("test-held", 1, wait_timeout=0.1, lock_timeout=30)


@robin.job
def behind_held(tag: str) -> None:
    """Waits for HELD (a test holds it to make this job reschedule), then notes when it ran."""
    with HELD:
        note(tag=tag, ran_at=time.time())


@robin.job
def tick() -> None:
    note(tag="tick")


class RecordTicks(robin.ServerMiddleware):
    """Notes the tick of every periodic job that runs (as a third party's middleware would)."""

    def call(self, ctx: robin.ExecutionContext, call_next: Any) -> Any:
        tick_info = ctx.payload.get("periodic")
        if tick_info:
            conn().rpush("test:ticks", json.dumps({**tick_info, "jid": ctx.jid}))
        return call_next()


robin.server_middleware.add(RecordTicks)
EVERY_SECOND = periodic.every(1.0, tick)
