"""Which ``Host`` a request may name, and which ``Origin`` a POST may come from.

DNS rebinding: a page on ``evil.example`` can point its own name at 127.0.0.1 and make
the visitor's browser talk to a dashboard listening there; the browser then sends
``Host: evil.example:7433``.  Answering only the host names the dashboard is really
reached by stops that.  ``robin web`` allows localhost, 127.0.0.1 and [::1] (any port)
and its ``--host``; ``create_app(allowed_hosts=None)`` allows any host, for frameworks
that check the host themselves (Django's ``ALLOWED_HOSTS``).

A browser's POST also says where its form came from (``Origin``, ``Sec-Fetch-Site``): a
POST from another site is refused even before the CSRF token is checked.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]")
DEFAULT_PORTS = {"http": "80", "https": "443"}


def split_host(value: str) -> tuple[str, str]:
    """``"Example.com:80"`` -> ``("example.com", "80")``; ``"[::1]"`` -> ``("[::1]", "")``.

    Junk gives ``("", "")``, which no allowed host matches.
    """
    value = value.strip().lower()
    if not value or any(ch.isspace() or ch in "/\\@?#" for ch in value):
        return "", ""
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return "", ""
        name, rest = value[: end + 1], value[end + 1:]
        if rest and not rest.startswith(":"):
            return "", ""
        port = rest[1:]
    elif value.count(":") > 1:  # a bare IPv6 address (not valid in Host, but allowed in the list)
        name, port = f"[{value}]", ""
    else:
        name, _, port = value.partition(":")
    if port and not port.isdigit():
        return "", ""
    return name.rstrip("."), port


class AllowedHosts:
    """A list of ``name`` (any port) or ``name:port`` entries; ``*`` allows any host."""

    def __init__(self, hosts: Iterable[str]) -> None:
        self.entries = [split_host(h) for h in hosts if h.strip()]
        self.any = any(h.strip() == "*" for h in hosts)

    def allows(self, host_header: str) -> bool:
        if self.any:
            return True
        name, port = split_host(host_header)
        if not name:
            return False
        return any(name == allowed and (not allowed_port or port == allowed_port)
                   for allowed, allowed_port in self.entries)

    def __repr__(self) -> str:
        return "AllowedHosts(" + ", ".join(n + (f":{p}" if p else "") for n, p in self.entries) + ")"


def request_host(environ: dict[str, Any]) -> str:
    """The host the browser asked for: ``Host``, else the server's name and port."""
    host = str(environ.get("HTTP_HOST", "")).strip()
    if host:
        return host
    return f"{environ.get('SERVER_NAME', '')}:{environ.get('SERVER_PORT', '')}".rstrip(":")


def cross_site(environ: dict[str, Any]) -> str | None:
    """Why this request comes from another site (None: it does not, or the browser did not say)."""
    if str(environ.get("HTTP_SEC_FETCH_SITE", "")).strip().lower() == "cross-site":
        return "the browser says the form came from another site (Sec-Fetch-Site: cross-site)"
    origin = str(environ.get("HTTP_ORIGIN", "")).strip()
    if not origin:
        return None
    # an omitted port is the origin scheme's default, in both (a TLS-terminating proxy may say http)
    try:
        scheme = urlsplit(origin).scheme
    except ValueError:
        scheme = ""
    if _origin_host(origin) != _with_port(request_host(environ), scheme):
        return f"the form came from {origin}, not from this dashboard's host"
    return None


def _origin_host(origin: str) -> tuple[str, str]:
    if origin.lower() == "null":
        return "", "-"
    try:
        parts = urlsplit(origin)
    except ValueError:
        return "", "-"
    if parts.scheme not in DEFAULT_PORTS or not parts.netloc:
        return "", "-"
    return _with_port(parts.netloc, parts.scheme)


def _with_port(host: str, scheme: str) -> tuple[str, str]:
    name, port = split_host(host)
    return name, port or DEFAULT_PORTS.get(scheme, "")
