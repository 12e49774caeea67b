"""The trusted signing keys, and test mode.

The table holds the vendor's production public key, and the test public key whose
private half is committed with the test suite.  Keys signed by the test key are trusted
only when ``ROBIN_LICENSE_MODE=test`` (as GitLab does it): developers and CI can run
every paid feature with a test license, and such a license never works in production.

Rotation: a new vendor key is added to this table in a release before the vendor starts
signing with it; old keys stay as long as licenses signed by them are current.
"""

from __future__ import annotations

import os
from functools import cache
from importlib import resources

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from robin_licensing.key import kid_of

PRODUCTION_KEYS = ("production.pem",)
TEST_KEYS = ("test.pem",)


def test_mode() -> bool:
    return os.environ.get("ROBIN_LICENSE_MODE", "").strip().lower() == "test"


@cache
def _load(names: tuple[str, ...]) -> dict[str, Ed25519PublicKey]:
    table: dict[str, Ed25519PublicKey] = {}
    for name in names:
        pem = resources.files("robin_licensing").joinpath("keys", name).read_bytes()
        key = serialization.load_pem_public_key(pem)
        if not isinstance(key, Ed25519PublicKey):
            raise TypeError(f"{name} is not an Ed25519 public key")
        table[kid_of(key)] = key
    return table


def trusted() -> dict[str, Ed25519PublicKey]:
    """kid -> public key of every key trusted now (test keys only in test mode)."""
    if test_mode():
        return {**_load(PRODUCTION_KEYS), **_load(TEST_KEYS)}
    return dict(_load(PRODUCTION_KEYS))


def test_kids() -> frozenset[str]:
    return frozenset(_load(TEST_KEYS))
