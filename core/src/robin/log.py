"""Logging: one format for the worker, and the running job on every line it logs.

While a job runs, every log record made in its thread (or its async task) carries the
job's ``jid``, name and queue, so ``log.info("charged")`` inside a job reads
``... jid=4f2a... job=billing.charge queue=default charged``.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
import time
from typing import Any

log = logging.getLogger("robin")

current_job: contextvars.ContextVar[tuple[str, str, str] | None] = contextvars.ContextVar(
    "robin_current_job", default=None
)


class JobContextFilter(logging.Filter):
    """Adds ``jid``, ``job`` and ``queue`` (empty outside a job) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        running = current_job.get()
        if running is None:
            record.jid = record.job = record.queue = ""
            record.job_context = ""
        else:
            record.jid, record.job, record.queue = running
            record.job_context = f" jid={running[0]} job={running[1]} queue={running[2]}"
        return True


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s pid=%(process)d tid=%(threadName)s%(job_context)s: %(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        return f"{stamp}.{int(record.msecs):03d}Z"


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log pipelines."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": record.created,
            "level": record.levelname.lower(),
            "pid": record.process,
            "thread": record.threadName,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for name in ("jid", "job", "queue"):
            value = getattr(record, name, "")
            if value:
                entry[name] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(level: str | int = "INFO", fmt: str = "text") -> None:
    """Send Robin's log (and the root logger's) to stderr in the worker's format."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(JobContextFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    numeric = level if isinstance(level, int) else logging.getLevelName(str(level).upper())
    if not isinstance(numeric, int):
        numeric = logging.INFO
    root.setLevel(numeric)
    log.setLevel(numeric)
