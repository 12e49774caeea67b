"""The job payload: its JSON shape, strict argument checking, encoding and decoding.

A payload is one JSON object.  Fields written by core::

    jid          str    24 hex characters, unique per job
    job          str    registered name of the job (``module.qualname`` unless named)
    queue        str    queue it is (or will be) on
    args         list   positional arguments, JSON-native values only
    kwargs       dict   keyword arguments (left out when empty)
    retry        int | false    retries allowed after the first failure; false = discard
    created_at   float  unix time the job was created by the client
    enqueued_at  float  unix time it was (or will be) put on its queue: for scheduled jobs
                        and retries, the time they are due
    at           float  for scheduled jobs: the time asked for
    retry_count  int    failures so far (absent before the first failure)
    error_class, error_message, error_backtrace, failed_at, retried_at
                        the last failure
    recovered    int    times its worker died while it was in flight (poison-pill count)
    dead_reason  str    why it is in the dead set

Plug-ins add their own fields for the options they declare (see :mod:`robin.options`).
Only JSON goes into Redis: never pickle, so a payload can never run code by being read.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

from robin.errors import ArgumentError, PayloadError

Payload = dict[str, Any]

# ensure_ascii: the JSON is pure ASCII, so any str survives the trip to bytes, including a
# lone surrogate ("\ud800") that another producer's valid JSON may carry.
_encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True, allow_nan=False, check_circular=False)
encode = _encoder.encode
"""Serialize a payload (already checked) to compact JSON text."""


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


# NaN and Infinity are not JSON: refuse them on the way in, as the encoder does on the way out.
_decoder = json.JSONDecoder(parse_constant=_reject_constant)


def new_jid() -> str:
    """A new job id: 96 random bits as 24 hex characters."""
    return os.urandom(12).hex()


def check_arguments(args: Sequence[Any], kwargs: dict[str, Any]) -> None:
    """Raise :class:`ArgumentError` (a ``TypeError``) unless every argument is JSON-native.

    JSON-native means ``str``, ``int``, ``float`` (finite), ``bool``, ``None``, ``list``, and
    ``dict`` with ``str`` keys, nested freely.  The message names the offending argument,
    e.g. ``args[1]['when']: datetime is not JSON-serializable``.  Strict on purpose: a
    tuple or a datetime would come back to the job as something else.
    """
    try:
        for value in args:  # a plain loop: this runs for every enqueue
            if not _native(value):
                break
        else:
            if not kwargs or _native(kwargs):
                return
        for i, value in enumerate(args):
            _explain(value, f"args[{i}]")
        for key, value in kwargs.items():
            _explain(value, f"kwargs[{key!r}]")
    except RecursionError:
        raise ArgumentError("job arguments are nested too deeply (or contain a cycle)") from None


def _native(value: Any) -> bool:
    t = type(value)
    if t is str or t is int or t is bool or value is None:
        return True
    if t is float:
        return bool(value - value == 0.0)  # False for NaN and infinities
    if t is list:
        for item in value:
            if not _native(item):
                return False
        return True
    if t is dict:
        for key, item in value.items():
            if type(key) is not str or not _native(item):
                return False
        return True
    return False


_HINTS = {
    "datetime": "pass value.isoformat() or a unix timestamp",
    "date": "pass value.isoformat()",
    "tuple": "pass a list",
    "set": "pass a sorted list",
    "frozenset": "pass a sorted list",
    "bytes": "decode it, or base64-encode it",
    "Decimal": "pass str(value)",
    "UUID": "pass str(value)",
}


def _explain(value: Any, path: str) -> None:
    """Find the first non-native value under ``path`` and raise with its location."""
    t = type(value)
    if t is float and not value - value == 0.0:
        raise ArgumentError(f"{path}: {value!r} is not valid JSON (NaN and infinities are not allowed)")
    if _native(value):
        return
    if t is list:
        for i, item in enumerate(value):
            _explain(item, f"{path}[{i}]")
        return
    if t is dict:
        for key, item in value.items():
            if type(key) is not str:
                raise ArgumentError(
                    f"{path}: key {key!r} is {type(key).__name__}; JSON object keys must be str"
                )
            _explain(item, f"{path}[{key!r}]")
        return
    name = t.__name__
    hint = _HINTS.get(name, "pass JSON-native values: str, int, float, bool, None, list, dict")
    raise ArgumentError(f"{path}: {name} is not JSON-serializable ({hint})")


def decode(raw: bytes | str) -> Payload:
    """Parse and check a payload read from Redis; raise :class:`PayloadError` with the reason."""
    try:
        payload = _decoder.decode(raw.decode("utf-8") if isinstance(raw, bytes) else raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PayloadError(f"payload is not JSON ({exc})") from None
    except RecursionError:
        raise PayloadError("payload is nested too deeply to decode") from None
    if type(payload) is not dict:
        raise PayloadError(f"payload is JSON {type(payload).__name__}, not an object")
    jid = payload.get("jid")
    if type(jid) is not str or not jid:
        raise PayloadError("payload has no 'jid' string")
    if type(payload.get("job")) is not str:
        raise PayloadError("payload has no 'job' string naming the job")
    if type(payload.get("args", None)) is not list:
        raise PayloadError("payload 'args' is missing or not a list")
    kwargs = payload.get("kwargs")
    if kwargs is not None and type(kwargs) is not dict:
        raise PayloadError("payload 'kwargs' is not an object")
    if type(payload.get("queue")) is not str:
        raise PayloadError("payload has no 'queue' string")
    return payload


def quarantine(raw: bytes | str, reason: str, queue: str, now: float) -> Payload:
    """Wrap bytes that are not a valid payload so the dead set can hold and show them."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    try:
        original = _decoder.decode(text)
    except (ValueError, RecursionError):
        original = None
    payload: Payload = original if type(original) is dict else {}
    if type(payload.get("jid")) is not str or not payload.get("jid"):
        payload["jid"] = new_jid()
    payload.setdefault("queue", queue)
    if type(payload.get("job")) is not str:
        payload["job"] = None
    if type(original) is not dict:
        payload["raw"] = text
    payload["error_class"] = "robin.PayloadError"
    payload["error_message"] = reason
    payload["dead_reason"] = f"malformed payload: {reason}"
    payload["failed_at"] = now
    return payload


def describe(payload: Payload) -> str:
    """A short one-line description for log messages: ``job jid=...``."""
    return f"{payload.get('job')} jid={payload.get('jid')}"
