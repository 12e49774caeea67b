"""The shop's jobs: core Robin only, so this module imports with or without the paid packages."""

from __future__ import annotations

import json
import os
from typing import Any

import redis

import robin

NOTES = "shop:notes"
_conn: redis.Redis | None = None


def note(**fields: Any) -> None:
    global _conn
    if _conn is None:
        _conn = redis.Redis.from_url(os.environ["ROBIN_REDIS_URL"])
    _conn.rpush(NOTES, json.dumps(fields))


@robin.job
def ship(order: int) -> None:
    note(event="ship", order=order)


@robin.job(retry=0)  # a member of a batch; dead at its first failure (no retries to wait for)
def pack(order: int) -> None:
    note(event="pack", order=order)


@robin.job
def all_packed(status: dict[str, Any], name: str) -> None:
    note(event="callback", name=name, total=status["total"], failures=status["failures"])
