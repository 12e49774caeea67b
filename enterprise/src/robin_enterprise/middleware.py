"""Robin Enterprise's middleware: rescheduling jobs that hit a rate limit."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from typing import Any

import robin
from robin.errors import Reschedule
from robin_enterprise.errors import OverLimit

log = logging.getLogger("robin")


def default_backoff(attempt: int) -> float:
    """2, 4, 8 ... seconds with up to 50% jitter so retries spread out; never over 5 minutes."""
    return min(300.0, min(200.0, 2.0 ** attempt) * random.uniform(1.0, 1.5))


class OverLimitServer(robin.ServerMiddleware):
    """A job whose limiter stayed over its limit is rescheduled, not failed.

    It runs again after a backoff; this neither counts as a failure nor uses a retry.
    After ``limiter.reschedule`` such reschedules (per limiter, counted in the payload's
    ``overlimit``), the next OverLimit is an ordinary failure.
    """

    def call(self, ctx: robin.ExecutionContext, call_next: Callable[[], Any]) -> Any:
        try:
            return call_next()
        except OverLimit as exc:
            limiter = exc.limiter
            counts = ctx.payload.get("overlimit")
            counts = dict(counts) if isinstance(counts, dict) else {}
            done = int(counts.get(limiter.name, 0))
            if done >= limiter.reschedule:
                log.warning("rate limiter %r: rescheduled %d times already; failing this time", limiter.name, done)
                raise
            counts[limiter.name] = done + 1
            ctx.payload["overlimit"] = counts
            delay = default_backoff(done + 1)
            if limiter.backoff is not None:
                try:
                    delay = float(limiter.backoff(limiter, ctx, exc))
                except Exception:
                    log.exception("the backoff of rate limiter %r failed; using the default", limiter.name)
            raise Reschedule(delay, f"rate limiter {limiter.name!r} is over its limit "
                                    f"({done + 1}/{limiter.reschedule})") from exc
