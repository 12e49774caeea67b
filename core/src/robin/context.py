"""What middleware and handlers are given: the context of one enqueue or one execution."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from robin.errors import Reschedule
from robin.payload import Payload

if TYPE_CHECKING:
    from robin.job import Job

log = logging.getLogger("robin")


class _PayloadFields:
    """The payload's identity, read the same way in both contexts."""

    payload: Payload

    @property
    def jid(self) -> str:
        return str(self.payload["jid"])

    @property
    def job_name(self) -> str:
        return str(self.payload["job"])

    @property
    def queue(self) -> str:
        return str(self.payload["queue"])


@dataclass
class EnqueueContext(_PayloadFields):
    """One job on its way into Redis, as client middleware sees it.

    ``payload`` is the dict that will be pushed (change it freely, e.g. ``queue`` to
    reroute).  ``options`` holds every option in effect for this call, including those a
    plug-in keeps out of the payload.  ``at`` is the unix time the job is due when it is
    scheduled, else ``None``; middleware may set it to schedule the job instead.
    """

    payload: Payload
    job: Job[..., Any] | None
    options: dict[str, Any]
    at: float | None = None
    push: Callable[[EnqueueContext], str | None] | None = None
    """Set by a middleware to replace how this job is pushed: after the whole chain ran,
    core calls ``push(ctx)`` instead of sending the job to its queue (Robin Pro collects a
    batch's jobs this way and pushes them together, atomically, when the block ends).
    Whoever takes over the push and then drops the job must call :meth:`abandon`."""
    _abandon: list[Callable[[EnqueueContext], None]] | None = field(default=None, init=False, repr=False)

    def on_abandon(self, callback: Callable[[EnqueueContext], None]) -> None:
        """Call ``callback(ctx)`` if this job is not pushed after all, although the chain
        accepted it: its bulk push (``enqueue_many``) failed, or the batch block that
        collected it raised.  A middleware that reserved something for the job (a unique
        lock) releases it here.  Callbacks run last-registered first; errors are logged."""
        if self._abandon is None:
            self._abandon = []
        self._abandon.append(callback)

    def abandon(self) -> None:
        """Tell the middleware that reserved something for this job that it is not pushed."""
        callbacks, self._abandon = self._abandon or [], None
        for callback in reversed(callbacks):
            try:
                callback(self)
            except Exception:
                log.exception("an abandon callback of job %s (%s) failed", self.jid, self.job_name)


@dataclass
class ExecutionContext(_PayloadFields):
    """One job being executed by a worker, as server middleware and error handlers see it.

    ``payload`` is the decoded payload; changes made to it are kept if the job is
    rescheduled or retried.  ``raw`` is the exact bytes taken from the queue.
    """

    payload: Payload
    raw: bytes
    job: Job[..., Any] | None
    identity: str
    started_at: float = field(default_factory=time.time)

    @property
    def args(self) -> list[Any]:
        return list(self.payload.get("args", ()))

    @property
    def kwargs(self) -> dict[str, Any]:
        return dict(self.payload.get("kwargs") or {})

    @property
    def retry_count(self) -> int:
        return int(self.payload.get("retry_count", 0))

    def option(self, name: str, default: Any = None) -> Any:
        """A job option as the job was enqueued (payload) or registered (job definition)."""
        if name in self.payload:
            return self.payload[name]
        if self.job is not None:
            return self.job.job_options.extra.get(name, default)
        return default

    def reschedule(self, delay: float, reason: str = "") -> None:
        """Stop here and run this job again in ``delay`` seconds (not a failure)."""
        raise Reschedule(delay, reason)
