"""A job behind a Robin Enterprise rate limiter: one label printer, one label at a time."""

from __future__ import annotations

from shop.jobs import note

import robin
from robin_enterprise import limiter

PRINTER = limiter.concurrent("label-printer", 1, wait_timeout=5, lock_timeout=30)


@robin.job
def print_label(order: int) -> None:
    with PRINTER:
        note(event="label", order=order)
