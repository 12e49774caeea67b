"""Which server Robin talks to, and the connections to it.

Selection, first match wins:

1. ``robin.configure(redis_url=...)`` in code;
2. ``ROBIN_REDIS_URL``, else ``REDIS_URL``: ``redis://[[user]:password@]host[:port][/db]``,
   ``rediss://...`` for TLS, ``unix:///path/to.sock[?db=N]``;
3. the embedded default (:mod:`robin.embedded`): a local server Robin starts itself.

Passwords never appear in logs or messages: every URL shown goes through :func:`mask_url`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from robin.errors import ConfigurationError, ConnectionError, ServerError

log = logging.getLogger("robin")

# Blocking commands wait at most this long (seconds), so a socket read can never wait
# forever on a dead connection; the socket timeout must stay above it.
BLOCKING_TIMEOUT = 2
SOCKET_TIMEOUT = 15.0
MIN_REDIS = (6, 2)
MIN_VALKEY = (7, 2)

CONNECTION_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)
# Refusals that waiting will not fix (redis-py makes AuthenticationError a ConnectionError:
# catch these first).
AUTH_ERRORS = (redis.exceptions.AuthenticationError, redis.exceptions.AuthenticationWrongNumberOfArgsError,
               redis.exceptions.NoPermissionError)


@dataclass(frozen=True)
class Target:
    """A resolved server: its URL and where the URL came from (for messages)."""

    url: str
    source: str  # "configure", "ROBIN_REDIS_URL", "REDIS_URL" or "embedded"

    @property
    def masked(self) -> str:
        return mask_url(self.url)

    def how_to_fix(self) -> str:
        if self.source == "embedded":
            return ("the embedded server did not answer; see `robin server status`, or set "
                    "ROBIN_REDIS_URL to a server you run")
        if self.source == "configure":
            return "check the redis_url given to robin.configure() and that the server is running"
        return f"check {self.source} and that the server is running"


def mask_url(url: str) -> str:
    """The URL with any password replaced by ``***``: in the user part and in the query.

    ``redis://user:secret@host`` -> ``redis://user:***@host``;
    ``unix:///tmp/r.sock?password=secret`` -> ``unix:///tmp/r.sock?password=***``.
    """
    base, question, rest = url.partition("?")
    scheme, slashes, remainder = base.partition("://")
    if slashes:
        netloc, slash, path = remainder.partition("/")
        if "@" in netloc:
            userinfo, _, hostport = netloc.rpartition("@")
            user, colon, _ = userinfo.partition(":")
            if colon:
                netloc = f"{user}:***@{hostport}"
        base = f"{scheme}://{netloc}{slash}{path}"
    if not question:
        return base
    query, hash_sign, fragment = rest.partition("#")
    masked = "&".join(
        f"{key}=***" if key.lower() in _SECRET_PARAMETERS else (f"{key}={value}" if value else key)
        for key, value in parse_qsl(query, keep_blank_values=True))
    return f"{base}?{masked}{hash_sign}{fragment}"


_SECRET_PARAMETERS = {"password", "pass", "pwd", "ssl_password", "token"}


def resolve(explicit: str | None = None) -> Target:
    """Decide which server to use (see the module docstring)."""
    if explicit:
        return _checked(Target(explicit, "configure"))
    for var in ("ROBIN_REDIS_URL", "REDIS_URL"):
        value = os.environ.get(var, "").strip()
        if value:
            return _checked(Target(value, var))
    from robin import embedded

    return Target(embedded.ensure_running(), "embedded")


def _checked(target: Target) -> Target:
    scheme = urlsplit(target.url).scheme
    if scheme not in ("redis", "rediss", "unix"):
        raise ConfigurationError(
            f"{target.source}={target.masked}: unsupported scheme {scheme!r}; use redis://, "
            "rediss:// (TLS) or unix://"
        )
    return target


def connect(target: Target, max_connections: int | None = None, socket_timeout: float = SOCKET_TIMEOUT
            ) -> redis.Redis:
    """A client with a connection pool for ``target``.

    redis-py's automatic command retry is turned off on purpose: retrying a command whose
    reply was lost could push a job twice or fetch jobs nobody sees.  Robin decides for
    itself what is safe to repeat (see worker/fetch.py).
    """
    options: dict[str, object] = {
        "socket_timeout": socket_timeout,
        "socket_connect_timeout": 5.0,
        "health_check_interval": 30,
        "retry": Retry(NoBackoff(), 0),
        "max_connections": max_connections,
    }
    if urlsplit(target.url).scheme != "unix":
        options["socket_keepalive"] = True  # TCP only: notice a peer that vanished
    try:
        return redis.Redis.from_url(target.url, **options)
    except ValueError as exc:
        raise ConfigurationError(f"{target.source}={target.masked} is not a valid URL: {exc}") from None


def resp_command(*parts: str, to_come: int = 0) -> bytes:
    """``parts`` as one command in the Redis protocol (RESP), for :func:`lean_call`.

    With ``to_come``, the command has that many more parts, to be appended with
    :func:`resp_bulk`: the constant start of a command is encoded once.
    """
    head = b"*%d\r\n" % (len(parts) + to_come)
    return head + b"".join(resp_bulk(part.encode("utf-8")) for part in parts)


def resp_bulk(data: bytes) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(data), data)


def lean_call(client: redis.Redis, packed: bytes) -> object:
    """Send one command already encoded in RESP, read its reply: the enqueue hot path.

    The same as ``client.execute_command(...)`` with Robin's settings (no automatic
    retry, see :func:`connect`), minus the per-command work of redis-py's client: encoding
    the arguments (the caller keeps the constant part encoded), observability hooks,
    events and response callbacks.  That is ~20 us of Python, a sixth of a loopback
    round trip.  Suits only commands whose raw reply is wanted.
    """
    pool = client.connection_pool
    conn = pool.get_connection()
    try:
        conn.send_packed_command([packed])  # a list: bytes alone would be taken for many parts
        return conn.read_response()
    except redis.exceptions.ResponseError:
        raise  # the server answered: the connection is in a known state
    except BaseException:
        conn.disconnect()  # a reply may be on its way: never reuse this connection
        raise
    finally:
        pool.release(conn)


def lean_pipeline(client: redis.Redis, packed: Sequence[bytes]) -> list[object]:
    """Several commands already encoded in RESP, in one write; every reply, errors as values.

    The bulk enqueue's counterpart of :func:`lean_call`: redis-py's pipeline would encode
    a thousand payloads again, argument by argument.
    """
    pool = client.connection_pool
    conn = pool.get_connection()
    try:
        conn.send_packed_command([b"".join(packed)])
        replies: list[object] = []
        for _ in packed:
            try:
                replies.append(conn.read_response())
            except redis.exceptions.ResponseError as exc:  # read on: every reply must be taken off the wire
                replies.append(exc)
        return replies
    except BaseException:
        conn.disconnect()
        raise
    finally:
        pool.release(conn)


def unreachable(target: Target, exc: BaseException, doing: str) -> ConnectionError:
    """The error to raise when the server cannot be reached while ``doing`` something."""
    return ConnectionError(
        f"cannot {doing}: the server at {target.masked} is not reachable "
        f"({type(exc).__name__}: {exc}); {target.how_to_fix()}"
    )


def refused(target: Target, exc: BaseException, doing: str) -> ServerError:
    """The error to raise when the server answers a command with an error."""
    hint = ""
    text = str(exc)
    if isinstance(exc, redis.exceptions.OutOfMemoryError) or "maxmemory" in text:
        hint = "; the server reached its memory limit (maxmemory): give it more memory or drain some queues"
    elif isinstance(exc, redis.exceptions.ReadOnlyError) or text.startswith("READONLY"):
        hint = "; this server is a read-only replica: point Robin at the primary"
    return ServerError(f"cannot {doing}: the server at {target.masked} refused ({text}){hint}")


def rejected(target: Target, exc: BaseException, doing: str) -> ConfigurationError:
    """The error to raise when the server refuses our credentials or permissions."""
    if isinstance(exc, redis.exceptions.NoPermissionError):
        why = ("the server's access control does not let this user run a command Robin needs (" + str(exc)
               + "); grant the user +@all on the keys ~{robin}:* (or your namespace), or use another user")
    else:
        why = (f"the server rejected the credentials ({exc}); check the user name and password in "
               f"{target.source if target.source != 'configure' else 'the redis_url given to robin.configure()'}")
    return ConfigurationError(f"cannot {doing} at {target.masked}: {why}")


def server_version(conn: redis.Redis) -> tuple[str, tuple[int, ...]]:
    """The server's product name and version, e.g. ``("valkey", (8, 1, 8))``."""
    info = conn.info("server")
    if "valkey_version" in info:
        product, text = "valkey", str(info["valkey_version"])
    else:
        product, text = "redis", str(info.get("redis_version", "0"))
    version = tuple(int(p) for p in text.split(".")[:3] if p.isdigit())
    return product, version


def check_server(conn: redis.Redis, target: Target) -> str:
    """Refuse servers older than Redis 6.2 / Valkey 7.2; warn about settings that lose jobs.

    Returns a description such as ``valkey 8.1.8``.
    """
    product, version = server_version(conn)
    minimum = MIN_VALKEY if product == "valkey" else MIN_REDIS
    text = ".".join(str(v) for v in version)
    if version < minimum:
        need = ".".join(str(v) for v in minimum)
        raise ServerError(
            f"{product} {text} at {target.masked} is too old: Robin needs {product} {need} or "
            f"newer (Redis 6.2+, Valkey 7.2+)"
        )
    try:
        policy = conn.config_get("maxmemory-policy").get("maxmemory-policy", "noeviction")
    except redis.exceptions.ResponseError:  # CONFIG may be disabled on managed services
        policy = "noeviction"
    if policy not in ("noeviction", b"noeviction"):
        log.warning(
            "the server's maxmemory-policy is %s: under memory pressure it may evict queued "
            "jobs. Set maxmemory-policy noeviction for the server that holds Robin's data.",
            policy,
        )
    return f"{product} {text}"
