"""Jobs that use the robin-stamp plug-in's option (importable only when it is loaded)."""

from __future__ import annotations

import robin
from tests.apps.jobs import always_fails, note, record  # noqa: F401 - registered for the worker


@robin.job(stamp="gold", retry=0)
def stamped(tag: str) -> None:
    if tag == "fail":
        raise ValueError("stamped job failed on purpose")
    note(tag=tag, kind="stamped")
