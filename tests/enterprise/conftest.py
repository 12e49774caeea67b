"""Robin Enterprise fixtures: a test-mode Enterprise license (inherited by workers)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.licensing.conftest import licensed_as


@pytest.fixture
def enterprise(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    yield from licensed_as("enterprise", monkeypatch, tmp_path)
