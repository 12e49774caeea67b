"""A job as the data API shows it: its payload, decoded, with the usual fields at hand."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from robin.errors import PayloadError
from robin.payload import Payload, decode


@dataclass(frozen=True)
class JobRecord:
    """One job in a queue, a set, or running.  ``raw`` is exactly what Redis holds.

    A payload that is not a valid job still makes a record (``valid`` is False, the
    fields are empty): the API never fails because of one bad entry.
    """

    raw: bytes
    payload: Payload = field(compare=False)
    valid: bool = field(default=True, compare=False)

    @classmethod
    def parse(cls, raw: bytes | str) -> JobRecord:
        data = raw.encode() if isinstance(raw, str) else raw
        try:
            return cls(data, decode(data))
        except PayloadError:
            try:
                loose = json.loads(data)
            except (ValueError, RecursionError):
                loose = None
            return cls(data, loose if isinstance(loose, dict) else {}, valid=False)

    @property
    def jid(self) -> str:
        return str(self.payload.get("jid", ""))

    @property
    def job(self) -> str:
        """The job's name (``module.function``)."""
        return str(self.payload.get("job") or "")

    @property
    def args(self) -> list[Any]:
        args = self.payload.get("args")
        return list(args) if isinstance(args, list) else []

    @property
    def kwargs(self) -> dict[str, Any]:
        kwargs = self.payload.get("kwargs")
        return dict(kwargs) if isinstance(kwargs, dict) else {}

    @property
    def queue(self) -> str:
        return str(self.payload.get("queue") or "")

    @property
    def enqueued_at(self) -> float | None:
        return _number(self.payload.get("enqueued_at"))

    @property
    def created_at(self) -> float | None:
        return _number(self.payload.get("created_at"))

    @property
    def retry_count(self) -> int:
        value = self.payload.get("retry_count", 0)
        return value if type(value) is int else 0

    @property
    def error_class(self) -> str | None:
        return _text(self.payload.get("error_class"))

    @property
    def error_message(self) -> str | None:
        return _text(self.payload.get("error_message"))

    @property
    def error_backtrace(self) -> str | None:
        return _text(self.payload.get("error_backtrace"))

    @property
    def failed_at(self) -> float | None:
        return _number(self.payload.get("failed_at"))

    @property
    def dead_reason(self) -> str | None:
        return _text(self.payload.get("dead_reason"))

    def display_args(self, limit: int = 120) -> str:
        """Arguments as one line of JSON-ish text, shortened to ``limit`` characters."""
        parts = [json.dumps(a, ensure_ascii=False) for a in self.args]
        parts += [f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in self.kwargs.items()]
        text = ", ".join(parts) if self.valid else self.raw.decode("utf-8", "replace")
        return text if len(text) <= limit else text[: limit - 1] + "…"

    def to_dict(self) -> dict[str, Any]:
        """Everything a script needs, JSON-ready."""
        return {"jid": self.jid, "job": self.job, "queue": self.queue, "args": self.args, "kwargs": self.kwargs,
                "enqueued_at": self.enqueued_at, "created_at": self.created_at, "retry_count": self.retry_count,
                "error_class": self.error_class, "error_message": self.error_message,
                "failed_at": self.failed_at, "dead_reason": self.dead_reason, "valid": self.valid,
                "payload": self.payload if self.valid else self.raw.decode("utf-8", "replace")}


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _text(value: Any) -> str | None:
    return str(value) if value is not None else None
