"""Execute one job: decode it, run it through server middleware, decide its settlement.

The processor never talks to Redis on the normal path: it returns a settle operation
(see settle.lua) that the manager sends, batched with others, in one round trip.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import time
from collections.abc import Callable
from typing import Any

from robin import events
from robin.context import ExecutionContext
from robin.errors import PayloadError, Reschedule
from robin.execution import invoke
from robin.job import registered
from robin.log import current_job
from robin.metrics import MetricsBuffer
from robin.payload import decode, encode, quarantine
from robin.scripts import SettleOp
from robin.worker import retry

log = logging.getLogger("robin")

CANCELLED = (asyncio.CancelledError, concurrent.futures.CancelledError)

class Processor:
    def __init__(self, identity: str, run_async: Callable[[Any], Any],
                 mark_started: Callable[[str], None], stopping: Callable[[], bool] = lambda: False,
                 metrics: MetricsBuffer | None = None) -> None:
        self.identity = identity
        self.run_async = run_async
        self.mark_started = mark_started
        self.stopping = stopping
        self.metrics = metrics or MetricsBuffer()

    def process(self, raw: bytes) -> SettleOp:
        try:
            payload = decode(raw)
        except PayloadError as exc:
            return self._malformed(raw, exc)
        job = registered(payload["job"])
        ctx = ExecutionContext(payload, raw, job, self.identity)
        token = current_job.set((payload["jid"], payload["job"], payload["queue"]))
        started = time.monotonic()
        try:
            if payload.get("recovered"):
                # Recovered before: note that it started, so that if this process dies
                # now it is this job that counts towards the poison-pill limit.
                self.mark_started(payload["jid"])
            invoke(ctx, self.run_async)
            elapsed = time.monotonic() - started
            self.metrics.record(payload["job"], elapsed, False)
            if log.isEnabledFor(logging.INFO):
                log.info("done in %.3f s", elapsed)
            return ("a", raw, "", "")
        except Reschedule as signal:
            return self._reschedule(ctx, signal)
        except BaseException as exc:  # SystemExit, CancelledError...: a failure like any other
            if isinstance(exc, CANCELLED) and self.stopping():
                # Cancelled by a hard stop, after the job was handed back to its queue: not a failure.
                log.info("cancelled by the shutdown after %.3f s; it runs again from its queue",
                         time.monotonic() - started)
                return ("a", raw, "", "")  # a no-op: the job is no longer in flight
            elapsed = time.monotonic() - started
            self.metrics.record(payload["job"], elapsed, True)
            events.error(exc, ctx)
            return retry.on_failure(ctx, exc, time.time(), elapsed)
        finally:
            current_job.reset(token)

    def _reschedule(self, ctx: ExecutionContext, signal: Reschedule) -> SettleOp:
        due = time.time() + max(0.0, signal.delay)
        payload = dict(ctx.payload)
        payload["enqueued_at"] = due
        payload.pop("recovered", None)  # it ran without killing its process: no longer a suspect
        log.info("rescheduled in %.1f s%s", signal.delay, f" ({signal.reason})" if signal.reason else "")
        return ("s", ctx.raw, encode(payload), repr(due))

    def _malformed(self, raw: bytes, exc: PayloadError) -> SettleOp:
        now = time.time()
        dead = quarantine(raw, str(exc), "default", now)
        log.error("malformed payload moved to the dead set: %s: %r", exc, raw[:200])
        events.death(dead, exc)
        return ("d", raw, encode(dead), "")

