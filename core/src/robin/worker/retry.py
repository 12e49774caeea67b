"""What happens to a job that raised: retry later, die, or be discarded.

* ``retry`` is the number of retries after the first failure (25 by default).  While
  retries are left, the job goes to the retry set, due after ``backoff(attempt, exc)``
  seconds (``attempt`` is 0 for the first retry), by default Sidekiq's
  ``attempt**4 + 15 + random(10) * (attempt + 1)``: about 20 days over 25 retries.
* With no retries left (or ``retry=0``) it goes to the dead set, which keeps the last
  10,000 jobs for at most 180 days (both configurable).
* With ``retry=False`` it is discarded.

The payload records the failure: ``retry_count`` (failures so far), ``error_class``,
``error_message``, ``error_backtrace``, ``failed_at`` (first failure), ``retried_at``
(latest failure) and, in the dead set, ``dead_reason``.
"""

from __future__ import annotations

import logging
import random
import traceback
from typing import Any

from robin import events
from robin.context import ExecutionContext
from robin.errors import PluginMissingError, UnknownJobError
from robin.job import DEFAULT_RETRY
from robin.payload import Payload, encode
from robin.scripts import SettleOp

log = logging.getLogger("robin")

MAX_MESSAGE = 2_000
MAX_BACKTRACE = 16_000


def default_backoff(attempt: int, exc: BaseException) -> float:
    """Sidekiq's retry delay: 15-25 s for the first retry, growing with ``attempt**4``."""
    return float(attempt**4 + 15 + random.randrange(10) * (attempt + 1))


def error_class(exc: BaseException) -> str:
    t = type(exc)
    if t.__module__ in ("builtins", "__main__"):
        return t.__qualname__
    if t.__module__.startswith("robin.") and t.__module__.count(".") == 1:
        return f"robin.{t.__qualname__}"
    return f"{t.__module__}.{t.__qualname__}"


def record_failure(payload: Payload, exc: BaseException, now: float) -> None:
    """Write the failure into the payload (in place)."""
    payload["error_class"] = error_class(exc)
    payload["error_message"] = str(exc)[:MAX_MESSAGE]
    trace = "".join(traceback.format_exception(exc))
    payload["error_backtrace"] = trace[-MAX_BACKTRACE:]
    payload.setdefault("failed_at", now)
    payload["retried_at"] = now
    payload["retry_count"] = int(payload.get("retry_count", 0)) + 1


def on_failure(ctx: ExecutionContext, exc: BaseException, now: float, elapsed: float) -> SettleOp:
    """Decide the fate of a failed job; return the settle operation that carries it out.

    Every failure is logged at WARNING with its traceback (not for an unregistered job
    or one whose plug-in is missing: the trace would only show Robin's own code).
    """
    payload = dict(ctx.payload)
    record_failure(payload, exc, now)
    payload.pop("recovered", None)  # it raised instead of killing its process: no longer a suspect
    failures = payload["retry_count"]
    allowed: Any = payload.get("retry", DEFAULT_RETRY)
    trace = None if isinstance(exc, (UnknownJobError, PluginMissingError)) else exc
    failed = f"failed after {elapsed:.3f} s ({payload['error_class']}: {payload['error_message'][:300]})"
    if allowed is False:
        log.warning("%s; discarded (retry=False)", failed, exc_info=trace)
        events.death(payload, exc)
        return ("x", ctx.raw, "", "")
    if allowed is True or not isinstance(allowed, int):
        allowed = DEFAULT_RETRY
    if failures <= allowed:
        delay = _delay(ctx, failures - 1, exc)
        due = now + delay
        payload["enqueued_at"] = due
        log.warning("%s; retry %d of %d in %s", failed, failures, allowed, _duration(delay), exc_info=trace)
        return ("r", ctx.raw, encode(payload), repr(due))
    payload["dead_reason"] = _dead_reason(payload, exc, failures, allowed)
    log.warning("%s; moved to the dead set: %s", failed, payload["dead_reason"], exc_info=trace)
    events.death(payload, exc)
    return ("d", ctx.raw, encode(payload), "")


def _duration(seconds: float) -> str:
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{seconds:.0f} s"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def _delay(ctx: ExecutionContext, attempt: int, exc: BaseException) -> float:
    backoff = ctx.job.job_options.backoff if ctx.job is not None else None
    if backoff is not None:
        try:
            value = backoff(attempt, exc)
            if value is not None:
                return max(0.0, float(value))
        except Exception:
            log.exception("the backoff of %s failed; using the default", ctx.job_name)
    return default_backoff(attempt, exc)


def _dead_reason(payload: Payload, exc: BaseException, failures: int, allowed: int) -> str:
    if isinstance(exc, UnknownJobError):
        return (f"unknown job {payload.get('job')!r}: no worker that picked it up had it registered "
                f"({failures} attempts)")
    if allowed == 0:
        return f"failed with retry=0 ({payload['error_class']}: {payload['error_message'][:200]})"
    return (f"retries exhausted: failed {failures} times, {allowed} retries allowed "
            f"(last: {payload['error_class']}: {payload['error_message'][:200]})")
