"""Robin Pro fixtures: a test-mode license in the environment (inherited by workers)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from robin_licensing import gate
from tests.licensing.conftest import make_key


@pytest.fixture
def licensed(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Iterator[str]:
    key = make_key(customer="Acme Inc", tier="pro")
    monkeypatch.setenv("ROBIN_LICENSE_MODE", "test")
    monkeypatch.setenv("ROBIN_LICENSE", key)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    gate.refresh()
    yield key
    gate.refresh()


def callbacks(r: redis.Redis, event: str | None = None) -> list[dict[str, Any]]:
    found = [json.loads(x) for x in r.lrange("test:callbacks", 0, -1)]
    return [c for c in found if event is None or c["event"] == event]
