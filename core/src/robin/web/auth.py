"""Who may do what: HTTP basic auth for ``robin web --password``, and the authorization hook.

The hook is a callable given the WSGI environ that returns :class:`Access` (``ALLOWED``,
``READ_ONLY`` or ``DENIED``; ``True``/``False`` also do).  A framework that mounts the
dashboard decides with what it knows about the request (docs/web.md shows Django, Flask
and FastAPI)::

    def operators_only(environ):
        user = environ.get("REMOTE_USER")            # set by the server or a middleware
        return Access.ALLOWED if user in OPERATORS else Access.READ_ONLY if user else Access.DENIED

Anything else the hook returns, or an exception it raises, denies the request: the
dashboard fails closed.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
from collections.abc import Callable
from typing import Any

from robin.web.http import Access

log = logging.getLogger("robin.web")

Authorize = Callable[[dict[str, Any]], "Access | bool | str | None"]


def decide(authorize: Authorize | None, environ: dict[str, Any]) -> Access:
    """What ``authorize`` says for this request (allowed when there is no hook)."""
    if authorize is None:
        return Access.ALLOWED
    try:
        answer = authorize(environ)
    except Exception:
        log.exception("the dashboard's authorization hook failed; denying the request")
        return Access.DENIED
    if isinstance(answer, Access):
        return answer
    if answer is True:
        return Access.ALLOWED
    if answer is False or answer is None:
        return Access.DENIED
    try:
        return Access(answer)  # "allowed", "read-only", "denied"
    except ValueError:
        log.error("the dashboard's authorization hook returned %r; expected robin.web.Access (or True/False); "
                  "denying the request", answer)
        return Access.DENIED


def password_matches(password: str, environ: dict[str, Any]) -> bool:
    """HTTP basic auth: any user name, this password (compared in constant time)."""
    header = str(environ.get("HTTP_AUTHORIZATION", ""))
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (ValueError, binascii.Error, UnicodeDecodeError):  # junk, or non-ASCII text: no password given
        return False
    _, _, given = decoded.partition(":")
    return hmac.compare_digest(given.encode(), password.encode())


def narrower(first: Access, second: Access) -> Access:
    """The more restrictive of two answers."""
    order = (Access.ALLOWED, Access.READ_ONLY, Access.DENIED)
    return max(first, second, key=order.index)
