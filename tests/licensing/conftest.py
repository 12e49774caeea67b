"""Licensing fixtures: keys signed with the committed test key pair, an isolated home."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from robin_licensing import gate
from robin_licensing.key import FORMAT_VERSION, PRODUCT, sign

TEST_SIGNING_KEY = Path(__file__).resolve().parents[1] / "fixtures" / "licensing" / "test-signing-key.pem"


def signing_key() -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(TEST_SIGNING_KEY.read_bytes(), password=None)
    assert isinstance(key, Ed25519PrivateKey)
    return key


def make_key(signer: Ed25519PrivateKey | None = None, **fields: Any) -> str:
    """A license key with sensible defaults (a test-env Pro license for a year)."""
    payload = {
        "v": FORMAT_VERSION, "product": PRODUCT, "id": "lic_" + secrets.token_hex(8), "customer": "Acme Inc",
        "email": "ops@acme.test", "tier": "pro", "features": [],
        "issued_at": (datetime.now(UTC) - timedelta(days=1)).replace(microsecond=0).isoformat(),
        "expires_at": (datetime.now(UTC) + timedelta(days=365)).date().isoformat(),
        "max_processes": None, "env": "test",
    }
    payload.update(fields)
    return sign(signer or signing_key(), payload)


def licensed_as(tier: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """A test-mode ``tier`` license in the environment (inherited by workers); yields the key.

    The body of the Pro and Enterprise suites' license fixtures.
    """
    key = make_key(customer="Acme Inc", tier=tier)
    monkeypatch.setenv("ROBIN_LICENSE_MODE", "test")
    monkeypatch.setenv("ROBIN_LICENSE", key)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    gate.refresh()
    yield key
    gate.refresh()


@pytest.fixture
def licensing_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Test mode on, no license configured anywhere, a private config folder."""
    monkeypatch.setenv("ROBIN_LICENSE_MODE", "test")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    for variable in ("ROBIN_LICENSE", "ROBIN_LICENSE_FILE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setattr("robin_licensing.store.SYSTEM_FILE", tmp_path / "etc" / "license")
    gate.refresh()
    yield tmp_path
    gate.refresh()


@pytest.fixture
def key() -> Callable[..., str]:
    return make_key
