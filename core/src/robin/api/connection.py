"""Where the data API reads: the process' Redis client, or one given explicitly."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from robin.client import Client


def resolve(client: Client | None) -> Client:
    if client is not None:
        return client
    from robin import config

    return config.redis_client()
