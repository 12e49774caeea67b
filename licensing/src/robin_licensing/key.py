"""The license key: format, signing (the vendor's side) and verification.

A key is one pasteable line::

    robin1.<kid>.<payload>.<signature>

* ``robin1`` - the format and its version;
* ``kid`` - 16 hex characters naming the signing key: the first 16 hex characters of
  SHA-256 over its raw 32-byte Ed25519 public key;
* ``payload`` - the license as compact JSON, base64url without padding;
* ``signature`` - Ed25519 over ``b"robin-license/v1\\n" + kid + b"\\n" + payload bytes``,
  base64url without padding.  The prefix separates these signatures from any other
  use of the same key.

Verification checks the shape, looks the kid up among the trusted keys, verifies the
signature over the raw bytes, and only then parses the JSON.  Base64 must be in its one
canonical form, so changing any character of a key makes it invalid.  No JWT: nothing
in the key chooses the algorithm.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from robin_licensing.errors import ACTIVATE, LicenseKeyError

PREFIX = "robin1"
DOMAIN = b"robin-license/v1\n"
FORMAT_VERSION = 1
PRODUCT = "robin"
_KID = re.compile(r"^[0-9a-f]{16}$")
_B64URL = re.compile(r"^[A-Za-z0-9_-]+$")
_OTHER_PREFIX = re.compile(r"^([A-Za-z][A-Za-z0-9_-]{0,30})\.")


def kid_of(public_key: Ed25519PublicKey) -> str:
    """The key id of a public key: SHA-256 of its raw 32 bytes, first 16 hex characters."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64decode(text: str, part: str) -> bytes:
    """Strict base64url: only its alphabet, no padding, and the canonical encoding only."""
    if not _B64URL.match(text):
        raise LicenseKeyError(_damaged(f"its {part} is not base64url"))
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise LicenseKeyError(_damaged(f"its {part} is not valid base64url")) from None
    if b64encode(data) != text:  # other spellings of the same bytes exist: accept one only
        raise LicenseKeyError(_damaged(f"its {part} is not in canonical base64url"))
    return data


def signed_bytes(kid: str, payload: bytes) -> bytes:
    return DOMAIN + kid.encode("ascii") + b"\n" + payload


def sign(private_key: Ed25519PrivateKey, payload: dict[str, Any]) -> str:
    """Make a key (the vendor's side).  ``payload['kid']`` is set from the signing key."""
    kid = kid_of(private_key.public_key())
    body = json.dumps({**payload, "kid": kid}, separators=(",", ":"), sort_keys=True,
                      ensure_ascii=False).encode("utf-8")
    signature = private_key.sign(signed_bytes(kid, body))
    return ".".join((PREFIX, kid, b64encode(body), b64encode(signature)))


def verify(key: str, trusted: dict[str, Ed25519PublicKey], test_kids: frozenset[str] = frozenset()
           ) -> dict[str, Any]:
    """Check a key; return its payload, or raise :class:`LicenseKeyError` saying why not.

    ``trusted`` maps kid -> public key.  ``test_kids`` are kids of test keys that are not
    trusted right now, so that a test key gets its own message.
    """
    kid, payload, signature = _split(key)
    public_key = trusted.get(kid)
    if public_key is None:
        if kid in test_kids:
            raise LicenseKeyError("this is a TEST license key: it is accepted only when ROBIN_LICENSE_MODE=test "
                                  "(for development and CI, never production)")
        raise LicenseKeyError(f"the key is signed by an unknown signing key (kid {kid}): it was not issued by the "
                              f"Robin vendor, or it is newer than this robin-licensing knows (upgrade "
                              f"robin-licensing: pip install -U robin-licensing)")
    try:
        public_key.verify(signature, signed_bytes(kid, payload))
    except InvalidSignature:
        raise LicenseKeyError("the key's signature does not match its content: the key was altered or damaged; "
                              "copy it again, whole, from your license email") from None
    return _content(kid, payload)


def _split(key: str) -> tuple[str, bytes, bytes]:
    """The key's parts, checked for shape: (kid, payload bytes, signature bytes)."""
    text = key.strip()
    if not text:
        raise LicenseKeyError(f"no license key given; paste the whole key (one line starting with {PREFIX}.)")
    parts = text.split(".")
    if parts[0] != PREFIX:
        raise LicenseKeyError(_not_ours(text))
    if len(parts) != 4:
        raise LicenseKeyError(_damaged(f"it has {len(parts)} parts separated by dots where a key has 4; it looks "
                                       f"truncated"))
    _, kid, payload_text, signature_text = parts
    if not _KID.match(kid):
        raise LicenseKeyError(_damaged("its key id is not 16 hex characters"))
    payload = b64decode(payload_text, "payload")
    signature = b64decode(signature_text, "signature")
    if len(signature) != 64:
        raise LicenseKeyError(_damaged(f"its signature has {len(signature)} bytes where Ed25519 has 64; it looks "
                                       f"truncated"))
    return kid, payload, signature


def _content(kid: str, payload: bytes) -> dict[str, Any]:
    """The signed payload, parsed (only ever called after the signature verified)."""
    try:
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        raise LicenseKeyError("the key is signed but its content is not JSON; ask the Robin vendor for a new "
                              "key") from None
    if not isinstance(data, dict) or data.get("kid") != kid:
        raise LicenseKeyError(_damaged("its content does not match its key id"))
    if data.get("product", PRODUCT) != PRODUCT:
        raise LicenseKeyError(f"this is a license for another product ({data.get('product')!r}), not for Robin")
    if data.get("v") != FORMAT_VERSION:
        raise LicenseKeyError(f"license format {data.get('v')!r} is not one this robin-licensing understands; "
                              f"upgrade robin-licensing (pip install -U robin-licensing)")
    return data


def _damaged(why: str) -> str:
    return f"the license key is damaged: {why}; copy it again, whole, from your license email ({ACTIVATE})"


def _not_ours(text: str) -> str:
    match = _OTHER_PREFIX.match(text)
    if match and match.group(1).startswith("robin"):
        return (f"this key's format ({match.group(1)}) is not one this robin-licensing understands; upgrade "
                f"robin-licensing (pip install -U robin-licensing)")
    if match:
        return (f"this is not a Robin license key: it starts with {match.group(1)!r}, not {PREFIX!r} (a key for "
                f"another product?)")
    return f"this is not a Robin license key: a key is one line that starts with {PREFIX}."
