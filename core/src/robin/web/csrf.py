"""CSRF protection: a signed double-submit token.

A browser gets a random value in a cookie (``robin_csrf``: HttpOnly, SameSite=Strict);
every form carries ``HMAC(secret, that value)``.  A POST is accepted only when the form's
token matches the HMAC of the cookie it came with (compared in constant time).  Another
site can make a browser send the cookie, but cannot read it, and cannot compute the
token without the secret, so it cannot forge a form that passes.

The secret is given to ``create_app(secret=...)`` or read from ``ROBIN_WEB_SECRET``;
without either, each process makes a random one.  Several processes serving one
dashboard (gunicorn ``-w 4``) must share a secret, or a form shown by one is refused by
another.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets

COOKIE = "robin_csrf"
FIELD = "csrf"


def secret_from(value: str | bytes | None) -> bytes:
    if value is None:
        value = os.environ.get("ROBIN_WEB_SECRET") or None
    if value is None:
        return secrets.token_bytes(32)
    return value.encode() if isinstance(value, str) else bytes(value)


def new_cookie() -> str:
    return secrets.token_hex(16)


def token_for(secret: bytes, cookie: str) -> str:
    return hmac.new(secret, cookie.encode(), hashlib.sha256).hexdigest()


def valid(secret: bytes, cookie: str | None, token: str | None) -> bool:
    """True if ``token`` (from the form) was made for ``cookie`` (from the browser) with ``secret``."""
    if not cookie or not token:
        return False
    return hmac.compare_digest(token_for(secret, cookie).encode(), token.encode("utf-8", "replace"))
