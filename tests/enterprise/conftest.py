"""Robin Enterprise fixtures: a test-mode Enterprise license (inherited by workers)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from robin_licensing import gate
from tests.licensing.conftest import make_key


@pytest.fixture
def enterprise(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Iterator[str]:
    key = make_key(customer="Acme Inc", tier="enterprise")
    monkeypatch.setenv("ROBIN_LICENSE_MODE", "test")
    monkeypatch.setenv("ROBIN_LICENSE", key)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    gate.refresh()
    yield key
    gate.refresh()
