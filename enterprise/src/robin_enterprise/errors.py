"""Robin Enterprise's errors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from robin.errors import RobinError

if TYPE_CHECKING:
    from robin_enterprise.limiter import Limiter


class OverLimit(RobinError):  # noqa: N818 - the name is part of the public API
    """A rate limiter stayed over its limit for longer than its ``wait_timeout``.

    Inside a job, Robin Enterprise reschedules the job instead of failing it (up to the
    limiter's ``reschedule`` cap).
    """

    def __init__(self, limiter: Limiter, waited: float) -> None:
        super().__init__(f"rate limiter {limiter.name!r} ({limiter.describe()}) is over its limit: waited "
                         f"{waited:.2f} s (wait_timeout={limiter.wait_timeout:g})")
        self.limiter = limiter
        self.waited = waited
