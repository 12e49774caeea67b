"""The registry of job options.

Core declares ``queue``, ``retry``, ``backoff`` and ``name``.  A plug-in declares the
options it adds (``unique_for``, ``expires_in``, ...) with :func:`declare`, usually in its
``setup()``; ``@robin.job(...)`` and ``.options(...)`` reject any option nobody declared,
with a message that says which package provides it when that is known.

An option marked ``in_payload`` travels in the job's payload under its own name (its
value must then be JSON-native), which is how server middleware on the worker sees it.
Options that are not in the payload (callables, for instance) reach client middleware
through ``ctx.options``.
"""

from __future__ import annotations

import difflib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from robin.errors import ConfigurationError

Validator = Callable[[Any], Any]


@dataclass(frozen=True)
class OptionSpec:
    """A job option declared by core or by a plug-in.

    ``validate`` receives the value given by the user and returns the value to keep (it
    may normalize, e.g. a ``timedelta`` into seconds) or raises ``ValueError``/``TypeError``
    with a message for the user.
    """

    name: str
    provider: str
    validate: Validator | None = None
    in_payload: bool = True
    description: str = ""


_lock = threading.Lock()
_declared: dict[str, OptionSpec] = {}

# Which package provides an option that is not declared right now.  Used only to write
# a helpful message ("unique_for requires robin-enterprise"); core behaves the same
# whether or not these packages exist.
KNOWN_PROVIDERS: dict[str, str] = {
    "expires_in": "robin-pro",
    "unique_for": "robin-enterprise",
    "unique_until": "robin-enterprise",
    "unique_key": "robin-enterprise",
}

CORE_OPTIONS = frozenset({"queue", "retry", "backoff", "name"})


def declare(spec: OptionSpec) -> None:
    """Declare a job option.  Declaring the same name twice from one provider is a no-op."""
    if spec.name in CORE_OPTIONS:
        raise ConfigurationError(f"job option {spec.name!r} belongs to core and cannot be redeclared")
    with _lock:
        existing = _declared.get(spec.name)
        if existing is not None and existing.provider != spec.provider:
            raise ConfigurationError(
                f"job option {spec.name!r} is declared by both {existing.provider} and "
                f"{spec.provider}; uninstall one of them"
            )
        _declared[spec.name] = spec


def undeclare(name: str) -> None:
    """Remove a declared option (for tests and for plug-ins that unload)."""
    with _lock:
        _declared.pop(name, None)


def declared() -> dict[str, OptionSpec]:
    """A snapshot of every declared plug-in option."""
    with _lock:
        return dict(_declared)


def validate_extra(options: dict[str, Any]) -> dict[str, Any]:
    """Validate options beyond core's; return them normalized, or raise with the fix."""
    if not options:
        return {}
    from robin import plugins  # an undeclared option may belong to a plug-in not loaded yet

    plugins.load()
    out: dict[str, Any] = {}
    for name, value in options.items():
        spec = _declared.get(name)
        if spec is None:
            raise ConfigurationError(_unknown_message(name))
        if spec.validate is None:
            out[name] = value
            continue
        try:
            out[name] = spec.validate(value)
        except (TypeError, ValueError) as exc:
            raise ConfigurationError(f"job option {name}={value!r} is invalid: {exc}") from None
    return out


def _unknown_message(name: str) -> str:
    provider = KNOWN_PROVIDERS.get(name)
    if provider is not None:
        return (
            f"job option {name!r}: {name} requires {provider}, which is not installed or not "
            f"loaded; install it from your Robin Pro/Enterprise package index (pip install --index-url "
            f"YOUR-INDEX-URL {provider}; see docs/install.md) or remove the option"
        )
    known = sorted(CORE_OPTIONS | set(_declared) | set(KNOWN_PROVIDERS))
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown job option {name!r}{hint} (known options: {', '.join(sorted(CORE_OPTIONS | set(_declared)))})"


def payload_fields(options: dict[str, Any]) -> dict[str, Any]:
    """The subset of validated plug-in options that travels in the payload."""
    return {k: v for k, v in options.items() if (spec := _declared.get(k)) is None or spec.in_payload}
