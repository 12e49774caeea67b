"""The gate Pro and Enterprise call before paid features do new work.

``require(feature)`` returns the active license or raises ``LicenseError`` naming the
feature, the tier it needs, and the command that fixes it.  The license is read and
verified once per process (``refresh()`` reads it again, as ``activate`` does).

The rule for callers: check when a paid feature is used for *new* work (creating a
batch, declaring a limiter, enqueuing a unique job) - never on the way of jobs that are
already queued or running, so an expiring license never breaks work in flight.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from robin_licensing import store
from robin_licensing.errors import ACTIVATE, LicenseError
from robin_licensing.license import FEATURE_TIER, TIERS, License

log = logging.getLogger("robin")

PRODUCTS = {"pro": "Robin Pro", "enterprise": "Robin Enterprise"}
# How a message names a feature: "Robin Pro is required for batches, and ..."
FEATURE_NAMES = {
    "pro": "this", "enterprise": "this", "batches": "batches", "pause": "pausing queues",
    "expiring": "expiring jobs (expires_in)", "limiters": "rate limiters", "unique": "unique jobs",
    "periodic": "periodic jobs",
}

clock: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731 - tests put in their own
_lock = threading.Lock()
_loaded: tuple[License | None, LicenseError | None] | None = None


def refresh() -> None:
    """Forget the cached license: the next use reads and verifies it again."""
    global _loaded
    with _lock:
        _loaded = None


def current() -> License | None:
    """The active license (verified once per process), None if none; raises if it is invalid."""
    global _loaded
    loaded = _loaded
    if loaded is None:
        with _lock:
            if _loaded is None:
                try:
                    _loaded = (store.load(), None)
                except LicenseError as exc:
                    _loaded = (None, exc)
            loaded = _loaded
    license_, error = loaded
    if error is not None:
        raise error
    return license_


def require(feature: str) -> License:
    """The active license if it allows ``feature`` (or a tier) now; else ``LicenseError``."""
    tier = FEATURE_TIER.get(feature, feature if feature in TIERS else None)
    if tier is None:
        raise ValueError(f"unknown paid feature {feature!r}")
    what = FEATURE_NAMES.get(feature, feature)
    needs = PRODUCTS[tier]
    try:
        license_ = current()
    except LicenseError as exc:
        raise LicenseError(f"{needs} is required for {what}, and {exc}") from None
    if license_ is None:
        raise LicenseError(f"{needs} is required for {what}, and no license is active: activate your license key with "
                           f"`{ACTIVATE}` (then paste the key), or set ROBIN_LICENSE; no key yet? {needs} is sold "
                           f"per organization by the Robin vendor")
    if feature not in license_.features:
        raise LicenseError(f"{needs} is required for {what}, but the active license is for {PRODUCTS[license_.tier]} "
                           f"({license_.describe()}): upgrade the subscription and activate the new key "
                           f"(`{ACTIVATE}`)")
    now = clock()
    if not license_.usable(now):
        raise LicenseError(f"{needs} is required for {what}, and the license expired on {license_.expires_on} "
                           f"(the 30-day grace period is over): renew it and activate the new key (`{ACTIVATE}`); "
                           f"jobs already queued keep running")
    _warn_once(license_.warnings(now))
    return license_


_warned: dict[str, float] = {}


def _warn_once(warnings: list[str], every: float = 3600.0) -> None:
    """Log each warning at most once an ``every`` seconds: require() runs on every new use."""
    now = time.monotonic()
    for warning in warnings:
        if now - _warned.get(warning, -every) >= every:
            _warned[warning] = now
            log.warning("%s", warning)


def status_line(tier: str, version: str, processes: int | None = None) -> str:
    """The worker's start-up line for a paid plug-in, e.g. ``Robin Pro 1.0.0 licensed to Acme Inc, ...``.

    ``processes`` (the live worker processes, when known) is compared with the license's
    ``max_processes``: more is a warning, never a stop.
    """
    product = f"{PRODUCTS[tier]} {version}"
    try:
        license_ = current()
    except LicenseError as exc:
        return f"{product} is not licensed: {exc}"
    if license_ is None:
        return f"{product} is not licensed: no license is active; activate one with `{ACTIVATE}`"
    if tier not in license_.features:
        return f"{product} is not licensed: the active license is for {PRODUCTS[license_.tier]}"
    now = clock()
    line = f"{product} {license_.describe()}"
    warnings = license_.warnings(now, processes)
    return line + ("; " + "; ".join(warnings) if warnings else "")
