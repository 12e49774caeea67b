"""Dashboard fixtures: the app (called directly, fast), the app served on 127.0.0.1, job data."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from robin.web import App, create_app
from robin.web.serve import server
from tests.web.client import Browser

NS = "{robin}:"


def job_payload(i: int, *, job: str = "tests.apps.jobs.record", queue: str = "default", args: list[Any] | None = None,
                message: str | None = None, dead: bool = True, **extra: Any) -> str:
    """A job as the worker leaves it in the retry or dead set (see robin/worker/retry.py)."""
    payload = {"jid": f"{i:024x}", "job": job, "queue": queue, "args": args if args is not None else [f"arg-{i}"],
               "retry": 3, "created_at": 1_700_000_000.0, "enqueued_at": 1_700_000_000.0,
               "retry_count": 4 if dead else 1, "error_class": "ValueError",
               "error_message": message if message is not None else f"boom {i}",
               "error_backtrace": f'Traceback (most recent call last):\n  File "jobs.py", line 9, in record\n'
                                  f"ValueError: boom {i}\n",
               "failed_at": 1_700_000_000.0, **extra}
    if dead:
        payload["dead_reason"] = f"failed 4 times (last: ValueError: {payload['error_message']})"
    return json.dumps(payload, separators=(",", ":"))


def fill(r: redis.Redis, key: str, count: int, *, start: int = 0, **fields: Any) -> None:
    """``count`` jobs into a sorted set, with pipelined ZADDs of 5,000 (100,000 take about a second)."""
    now = time.time()
    pipe = r.pipeline(transaction=False)
    for chunk in range(start, start + count, 5000):
        end = min(chunk + 5000, start + count)
        pipe.zadd(NS + key, {job_payload(i, dead=key == "dead", **fields): now - i for i in range(chunk, end)})
    pipe.execute()


@pytest.fixture
def dashboard(r: redis.Redis) -> App:
    return create_app(secret="test secret")


@pytest.fixture
def browser(dashboard: App) -> Browser:
    return Browser(dashboard)


@pytest.fixture
def served(dashboard: App) -> Iterator[str]:
    """The dashboard on wsgiref's threading server, on a free port of 127.0.0.1; yields its URL."""
    running = server(dashboard, "127.0.0.1", 0)
    thread = threading.Thread(target=running.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{running.server_address[1]}"
    running.shutdown()
    running.server_close()
    thread.join(5)
