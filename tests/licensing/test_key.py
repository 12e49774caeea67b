"""The license key: format, signature, and a clear reason for every way a key can be wrong."""

from __future__ import annotations

import base64
import json
import re
from importlib import resources

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from robin_licensing import LicenseKeyError, trust
from robin_licensing.key import DOMAIN, kid_of, verify
from robin_licensing.store import check
from tests.licensing.conftest import make_key, signing_key

PRODUCTION_KID = "31ff1c9d209a93c8"


def test_the_production_key_is_embedded_with_its_derived_kid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ROBIN_LICENSE_MODE", raising=False)
    assert list(trust.trusted()) == [PRODUCTION_KID]  # the vendor's key only: test keys are not trusted
    pem = resources.files("robin_licensing").joinpath("keys", "production.pem").read_text()
    assert "MCowBQYDK2VwAyEAYExKbT7dgbVpKe+IKL7RrmFXZ80MH1uzlqKVxcp3xXc=" in pem


def test_a_key_is_one_line_with_a_domain_separated_ed25519_signature(licensing_home: object) -> None:
    text = make_key()
    assert text.startswith("robin1.") and "\n" not in text and len(text.split(".")) == 4
    _, kid, payload, signature = text.split(".")
    assert kid == kid_of(signing_key().public_key())
    body = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    raw_signature = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    signing_key().public_key().verify(raw_signature, DOMAIN + kid.encode() + b"\n" + body)
    assert json.loads(body)["kid"] == kid
    license_ = check(text)
    assert (license_.customer, license_.tier, license_.is_test) == ("Acme Inc", "pro", True)


def test_changing_any_character_of_a_key_invalidates_it(licensing_home: object) -> None:
    text = make_key(customer="Every Byte Ltd", tier="enterprise", features=["extra"], max_processes=4)
    check(text)  # the original is valid
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for position, original in enumerate(text):
        replacement = alphabet[(alphabet.find(original) + 1) % len(alphabet)] if original in alphabet else "x"
        altered = text[:position] + replacement + text[position + 1:]
        with pytest.raises(LicenseKeyError):
            check(altered)
    for cut in (1, 10, len(text) // 2, len(text) - 1):  # and every kind of truncation
        with pytest.raises(LicenseKeyError):
            check(text[:cut])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no license key given"),
        ("hello world", "this is not a Robin license key: a key is one line that starts with robin1."),
        ("acme1.abc.def.ghi", "this is not a Robin license key: it starts with 'acme1', not 'robin1' (a key for "
                              "another product?)"),
        ("robin2.abc.def.ghi", "this key's format (robin2) is not one this robin-licensing understands"),
        ("robin1.ff4f59a2c29c0096.eyJh", "it has 3 parts separated by dots where a key has 4; it looks truncated"),
        ("robin1.nothex.eyJh.AAAA", "its key id is not 16 hex characters"),
        ("robin1.ff4f59a2c29c0096.ey+h.AAAA", "its payload is not base64url"),
        ("robin1.ff4f59a2c29c0096.eyJh.AAAA", "its signature has 3 bytes where Ed25519 has 64"),
    ],
)
def test_each_way_a_key_is_wrong_has_its_own_message(licensing_home: object, text: str, message: str) -> None:
    with pytest.raises(LicenseKeyError, match=re.escape(message)):
        check(text)


def test_a_key_from_an_unknown_signer_is_rejected(licensing_home: object) -> None:
    stranger = Ed25519PrivateKey.generate()
    expected = f"signed by an unknown signing key (kid {kid_of(stranger.public_key())})"
    with pytest.raises(LicenseKeyError, match=re.escape(expected)):
        check(make_key(stranger))


def test_a_signed_key_for_another_product_is_rejected(licensing_home: object) -> None:
    with pytest.raises(LicenseKeyError, match="a license for another product \\('acme'\\)"):
        check(make_key(product="acme"))


def test_test_keys_work_only_in_test_mode(licensing_home: object, monkeypatch: pytest.MonkeyPatch) -> None:
    text = make_key()
    check(text)
    monkeypatch.delenv("ROBIN_LICENSE_MODE")
    with pytest.raises(LicenseKeyError, match="this is a TEST license key: it is accepted only when "
                                              "ROBIN_LICENSE_MODE=test"):
        check(text)


def test_a_test_payload_is_refused_outside_test_mode_even_from_a_trusted_key(
    licensing_home: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = make_key(env="test")
    monkeypatch.delenv("ROBIN_LICENSE_MODE")
    test_public = trust._load(trust.TEST_KEYS)
    monkeypatch.setattr(trust, "trusted", lambda: dict(test_public))  # as if the test key were trusted
    with pytest.raises(LicenseKeyError, match="this is a TEST license: it is accepted only when"):
        check(text)
    assert check(make_key(env="production")).env == "production"  # the same signer, a production payload


def test_verification_checks_the_signature_before_reading_the_json(licensing_home: object) -> None:
    kid = kid_of(signing_key().public_key())
    garbage = base64.urlsafe_b64encode(b"{not json").rstrip(b"=").decode()
    forged = f"robin1.{kid}.{garbage}.{'A' * 86}"
    with pytest.raises(LicenseKeyError, match="signature does not match"):
        verify(forged, trust.trusted())
