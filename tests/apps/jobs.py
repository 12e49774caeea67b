"""Jobs the worker processes of the tests run.  Each one notes what it did in Redis."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from typing import Any

import redis

import robin
import robin.embedded

RESULTS = "test:results"
_conn: redis.Redis | None = None


def conn() -> redis.Redis:
    global _conn
    if _conn is None:
        url = os.environ.get("ROBIN_REDIS_URL") or robin.embedded.url()
        _conn = redis.Redis.from_url(url)
    return _conn


def note(**fields: Any) -> None:
    fields.setdefault("pid", os.getpid())
    conn().rpush(RESULTS, json.dumps(fields))


@robin.job
def record(tag: str, **extra: Any) -> None:
    note(tag=tag, kind="sync", **extra)


@robin.job
async def arecord(tag: str) -> None:
    await asyncio.sleep(0.01)
    note(tag=tag, kind="async")


@robin.job(retry=3, backoff=lambda attempt, exc: 0.1)
def flaky(tag: str, failures: int) -> None:
    attempt = conn().incr(f"test:attempts:{tag}")
    if attempt <= failures:
        raise RuntimeError(f"failure {attempt} of {tag}")
    note(tag=tag, attempts=attempt)


@robin.job(retry=2, backoff=lambda attempt, exc: 0.1)
def always_fails(tag: str) -> None:
    note(tag=tag)
    raise ValueError(f"always fails: {tag}")


@robin.job(retry=2, backoff=lambda attempt, exc: 0.1)
async def async_always_fails(tag: str) -> None:
    note(tag=tag)
    raise ValueError(f"async fails: {tag}")


@robin.job
def sleepy(tag: str, seconds: float) -> None:
    note(tag=tag, event="start")
    time.sleep(seconds)
    note(tag=tag, event="end")


@robin.job(retry=0)
def kill_my_worker(tag: str) -> None:
    """Kills the process running it, like a segfault or the OOM killer would."""
    note(tag=tag, event="start")
    os.kill(os.getpid(), signal.SIGKILL)


@robin.job(queue="critical")
def critical(tag: str) -> None:
    note(tag=tag, queue="critical")


@robin.job(queue="low")
def low(tag: str) -> None:
    note(tag=tag, queue="low")


@robin.job
def enqueue_more(tag: str, n: int) -> None:
    """A job that enqueues jobs (uses the worker's own client configuration)."""
    for i in range(n):
        record.enqueue(f"{tag}-{i}")


@robin.job
def mark(path: str, tag: str) -> None:
    """Appends a line to a file: counts executions without using the server under test."""
    with open(path, "a") as out:
        out.write(tag + "\n")


@robin.job
async def async_sleepy(tag: str, seconds: float) -> None:
    note(tag=tag, event="start")
    try:
        await asyncio.sleep(seconds)
        note(tag=tag, event="end")
    finally:
        note(tag=tag, event="cleanup")
