"""One job a test mode took, and how it reads in assertion messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from robin.job import ConfiguredJob, Job
from robin.payload import Payload

JobRef = Job[..., Any] | ConfiguredJob[..., Any] | str
"""A job given to the fake's inspection methods: the job itself, ``job.options(...)``, or its name."""


@dataclass(frozen=True)
class EnqueuedJob:
    """A job as the worker would receive it: the payload after client middleware and the
    JSON round trip.  ``at`` is the unix time a scheduled job is due, else ``None``."""

    payload: Payload
    raw: str  # the JSON text a worker would decode
    at: float | None
    due: float  # when it would run: ``at``, or the time it was taken
    seq: int  # order of arrival, to keep enqueue order stable

    @property
    def jid(self) -> str:
        return str(self.payload["jid"])

    @property
    def job(self) -> str:
        """The job's registered name (``module.function``)."""
        return str(self.payload["job"])

    @property
    def args(self) -> list[Any]:
        return list(self.payload["args"])

    @property
    def kwargs(self) -> dict[str, Any]:
        return dict(self.payload.get("kwargs") or {})

    @property
    def queue(self) -> str:
        return str(self.payload["queue"])

    def matches(self, name: str, args: tuple[Any, ...] | None, kwargs: dict[str, Any] | None) -> bool:
        """Same job name and, unless ``args`` is None, the same arguments exactly."""
        if self.job != name:
            return False
        return args is None or (self.args == list(args) and self.kwargs == (kwargs or {}))

    def __repr__(self) -> str:
        return f"<EnqueuedJob {self}>"

    def __str__(self) -> str:
        """``myapp.jobs.resize(42) (queue default, jid 4f2a...)``, with the due time if scheduled."""
        where = f"queue {self.queue}, jid {self.jid}"
        if self.at is not None:
            where += f", due {datetime.fromtimestamp(self.at, UTC).isoformat(timespec='seconds')}"
        return f"{call(self.job, self.args, self.kwargs)} ({where})"


def name_of(job: JobRef) -> str:
    if isinstance(job, str):
        return job
    if isinstance(job, ConfiguredJob):
        return job.name
    return job.name


def call(name: str, args: list[Any] | tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """``name(1, 'a', width=800)``: how a call of the job reads."""
    shown = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
    return f"{name}({', '.join(shown)})"


def listing(records: list[EnqueuedJob], limit: int = 20) -> str:
    """One indented line per job, at most ``limit`` of them."""
    lines = [f"  {record}" for record in records[:limit]]
    if len(records) > limit:
        lines.append(f"  ... and {len(records) - limit} more (fake.jobs() lists them all)")
    return "\n".join(lines)
