"""Robin Pro's middleware: batches and expiring jobs, plugged into core's chains."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import time
from collections.abc import Callable
from typing import Any

import robin
from robin import needs
from robin.errors import Reschedule
from robin_licensing import require
from robin_pro import batch
from robin_pro._version import DISTRIBUTION
from robin_pro.keys import ProKeys

log = logging.getLogger("robin")

# A job cancelled (a hard stop cancels async jobs after handing them back): no outcome.
CANCELLED = (asyncio.CancelledError, concurrent.futures.CancelledError)


class BatchClient(robin.ClientMiddleware):
    """Jobs enqueued inside ``batch.jobs()`` carry its bid and are collected, not pushed:
    the block pushes them all when it ends (the rest of the chain still runs for them)."""

    def call(self, ctx: robin.EnqueueContext, call_next: Callable[[], str | None]) -> str | None:
        filling = batch.filling.get()
        if filling is None or not filling.collecting:
            return call_next()  # no open block (a task that outlived it, say): an ordinary job
        ctx.payload["bid"] = filling.bid
        # Without Pro, a worker must not run it: the batch would wait for it forever.
        needs.mark(ctx.payload, "batch", DISTRIBUTION, required=True)
        ctx.push = filling._push
        return call_next()


class BatchServer(robin.ServerMiddleware):
    """Records each batch job's outcome (idempotently: a job run twice counts once)."""

    def call(self, ctx: robin.ExecutionContext, call_next: Callable[[], Any]) -> Any:
        bid = ctx.payload.get("bid")
        if not isinstance(bid, str) or not bid:
            return call_next()
        if ctx.payload.get("batch_outcome") == "success":
            # It ran and succeeded before, but its outcome could not be recorded then.
            batch.record(bid, ctx.jid, "success")
            return None
        token = batch.running_bid.set(bid)  # a Batch made by this job is a child of this one
        try:
            result = call_next()
        except (Reschedule, *CANCELLED):
            raise  # not an outcome: it runs again later
        except BaseException:
            try:
                batch.record(bid, ctx.jid, "failure")
            except Exception:
                log.exception("could not record the failure in batch %s; its next attempt will be", bid)
            raise
        finally:
            batch.running_bid.reset(token)
        try:
            batch.record(bid, ctx.jid, "success")
        except Exception as exc:
            # The job succeeded; running it again would be wrong.  It comes back only to
            # have its outcome recorded.
            ctx.payload["batch_outcome"] = "success"
            raise Reschedule(5.0, f"recording its success in batch {bid} failed ({exc}); it is recorded "
                                  f"later, the job does not run again") from exc
        return result


def on_death(payload: dict[str, Any], exc: BaseException) -> None:
    """A job of a batch died: the batch's death callback fires the first time."""
    bid = payload.get("bid")
    if isinstance(bid, str) and bid and isinstance(payload.get("jid"), str):
        batch.record(bid, payload["jid"], "death")


def expires_in_seconds(value: Any) -> float:
    """Validate the ``expires_in`` option: seconds (int/float) or a timedelta."""
    from datetime import timedelta

    seconds = value.total_seconds() if isinstance(value, timedelta) else value
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds <= 0:
        raise ValueError("use a positive number of seconds or a timedelta")
    return float(seconds)


class ExpiryClient(robin.ClientMiddleware):
    """Stamps ``expires_at`` on jobs with ``expires_in``: enqueue (or due) time + expires_in."""

    def call(self, ctx: robin.EnqueueContext, call_next: Callable[[], str | None]) -> str | None:
        expires_in = ctx.payload.get("expires_in")
        if expires_in:
            require("expiring")  # new work using a paid feature
            start = ctx.at if ctx.at is not None else time.time()
            ctx.payload["expires_at"] = max(start, time.time()) + float(expires_in)
            needs.mark(ctx.payload, "expires_in", DISTRIBUTION, required=False)  # runs late without Pro
        return call_next()


class ExpiryServer(robin.ServerMiddleware):
    """Drops a job that did not start before its ``expires_at`` (inside a batch: a success).

    Only a job that never started: a retry or a recovered job has started once already,
    so it runs (and fails or succeeds for real) however late it is.
    """

    def call(self, ctx: robin.ExecutionContext, call_next: Callable[[], Any]) -> Any:
        expires_at = ctx.payload.get("expires_at")
        started_before = ctx.payload.get("retry_count") or ctx.payload.get("recovered")
        if isinstance(expires_at, (int, float)) and not started_before and time.time() > expires_at:
            late = time.time() - float(expires_at)
            log.info("expired %.1f s ago (expires_in=%s): dropped without running", late,
                     ctx.payload.get("expires_in"))
            client = robin.config.redis_client()
            client.redis.incr(ProKeys(client.keys).expired)
            return None  # skipped: acknowledged, and a success for its batch
        return call_next()
