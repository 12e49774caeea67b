"""How Enterprise applies the license rules (the same as Pro's).

Declaring a limiter or registering a periodic job is new use of a paid feature: without
a valid Enterprise license it raises ``LicenseError`` saying how to fix it.  Inside a
worker, though, a declaration is logged loudly instead: the modules of a worker must
import so that it can finish the work already queued - "never break work in flight".
"""

from __future__ import annotations

import logging

from robin import config
from robin_licensing import LicenseError, require

log = logging.getLogger("robin")


def require_for_declaration(feature: str, what: str) -> None:
    try:
        require(feature)
    except LicenseError as exc:
        if not config.in_worker():
            raise
        log.error("%s is declared without a valid license (%s); this worker goes on so that queued work is "
                  "finished", what, exc)
