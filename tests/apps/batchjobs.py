"""Jobs for the Robin Pro tests: batch members that fail on demand, callbacks, nesting."""

from __future__ import annotations

import json
import time
from typing import Any

import robin
from robin_pro import Batch
from tests.apps.jobs import conn, note


@robin.job(retry=3, backoff=lambda attempt, exc: 0.2)
def work(tag: str, fail_times: int = 0, sleep: float = 0.0) -> None:
    attempt = conn().incr(f"test:attempts:{tag}")
    if sleep:
        time.sleep(sleep)
    if attempt <= fail_times:
        raise RuntimeError(f"{tag} fails on attempt {attempt}")
    note(tag=tag, attempt=attempt)


@robin.job(retry=0)
def doomed(tag: str) -> None:
    raise ValueError(f"{tag} dies")


def _callback(event: str, status: dict[str, Any], label: str) -> None:
    conn().rpush("test:callbacks", json.dumps({"event": event, "label": label, "status": status}))


@robin.job
def on_complete(status: dict[str, Any], label: str) -> None:
    _callback("complete", status, label)


@robin.job
def on_success(status: dict[str, Any], label: str) -> None:
    _callback("success", status, label)


@robin.job
def on_death(status: dict[str, Any], label: str) -> None:
    _callback("death", status, label)


@robin.job
def parent_step(label: str, children: int) -> None:
    """A job of a batch that opens a child batch (which the parent's success then waits for)."""
    child = Batch(description=f"child of {label}")
    child.on("success", on_success, f"{label}-child")
    with child.jobs():
        for i in range(children):
            work.enqueue(f"{label}-child-{i}", 0, 0.05)
    note(tag=f"{label}-parent-step", child=child.bid)


@robin.job
def grow(bid: str, label: str, n: int) -> None:
    """A job of a batch that adds jobs to its own batch."""
    with Batch(bid).jobs():
        for i in range(n):
            work.enqueue(f"{label}-grown-{i}")


@robin.job(retry=3, backoff=lambda attempt, exc: 0.2)
def parent_killed_mid_block(label: str) -> None:
    """Opens a child batch and dies inside its block on the first attempt (SIGKILL)."""
    import os
    import signal

    attempt = conn().incr(f"test:attempts:{label}")
    child = Batch(description=f"child of {label} (attempt {attempt})")
    child.on("success", on_success, f"{label}-child")
    with child.jobs():
        work.enqueue(f"{label}-child-job-{attempt}")
        if attempt == 1:
            os.kill(os.getpid(), signal.SIGKILL)
    note(tag=f"{label}-done", child=child.bid)


@robin.job(retry=1, backoff=lambda attempt, exc: 1.5)
def fails_then_works(tag: str) -> None:
    if conn().incr(f"test:attempts:{tag}") == 1:
        raise RuntimeError("first attempt fails")
    note(tag=tag)
