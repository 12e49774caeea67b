"""Robin Pro fixtures: a test-mode license in the environment (inherited by workers)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.licensing.conftest import licensed_as


@pytest.fixture
def licensed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    yield from licensed_as("pro", monkeypatch, tmp_path)


def callbacks(r: redis.Redis, event: str | None = None) -> list[dict[str, Any]]:
    found = [json.loads(x) for x in r.lrange("test:callbacks", 0, -1)]
    return [c for c in found if event is None or c["event"] == event]
