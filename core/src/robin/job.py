"""``@robin.job``: define a job, and enqueue it now, later, or in bulk.

::

    @robin.job                                     # queue "default", retry 25
    def resize(image_id: int, width: int = 800) -> None: ...

    resize.enqueue(42, width=1024)                 # -> jid
    resize.enqueue_in(30, 42)                      # seconds or timedelta
    resize.enqueue_at(when, 42)                    # aware datetime (or unix time)
    resize.options(queue="low", retry=0).enqueue(42)
    resize.enqueue_many([(1,), (2,), (3,)])
    resize(42)                                     # just runs the function

Every decorated function is registered under its name (``module.qualname`` unless
``name=`` is given).  A worker runs only registered jobs.
"""

from __future__ import annotations

import inspect
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any, Generic, ParamSpec, TypeVar, overload

from robin import config
from robin import options as option_registry
from robin.errors import ArgumentError, ConfigurationError
from robin.keys import check_name

P = ParamSpec("P")
R = TypeVar("R")

DEFAULT_QUEUE = "default"
DEFAULT_RETRY = 25

Backoff = Callable[[int, BaseException], float]
"""``backoff(attempt, exc) -> seconds``: ``attempt`` is 0 for the first retry."""


@dataclass(frozen=True)
class JobOptions:
    """The options of a job: core's, plus ``extra`` ones declared by plug-ins."""

    queue: str = DEFAULT_QUEUE
    retry: int | bool = DEFAULT_RETRY  # an int >= 0, or False (discard on failure)
    backoff: Backoff | None = None
    extra: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    payload_extra: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def merged(self, overrides: dict[str, Any]) -> JobOptions:
        """A copy with ``overrides`` applied and validated (``name`` cannot change)."""
        if not overrides:
            return self
        if "name" in overrides:
            raise ConfigurationError("a job's name cannot be overridden per call; use @robin.job(name=...)")
        core = {k: v for k, v in overrides.items() if k in option_registry.CORE_OPTIONS}
        extra = {k: v for k, v in overrides.items() if k not in option_registry.CORE_OPTIONS}
        updated = replace(self, **_core_options(core))
        if extra:
            merged_extra = {**self.extra, **option_registry.validate_extra(extra)}
            updated = replace(
                updated,
                extra=MappingProxyType(merged_extra),
                payload_extra=MappingProxyType(option_registry.payload_fields(merged_extra)),
            )
        return updated

    def all(self) -> dict[str, Any]:
        """Every option in effect, core and extra, as a plain dict."""
        return {"queue": self.queue, "retry": self.retry, "backoff": self.backoff, **self.extra}


def _core_options(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "queue" in values:
        out["queue"] = check_name("queue", values["queue"])
    if "retry" in values:
        out["retry"] = _retry(values["retry"])
    if "backoff" in values:
        backoff = values["backoff"]
        if backoff is not None and not callable(backoff):
            raise ConfigurationError(f"backoff must be a callable backoff(attempt, exc) -> seconds, "
                                     f"not {type(backoff).__name__}")
        out["backoff"] = backoff
    return out


def _retry(value: Any) -> int | bool:
    if value is True:
        return DEFAULT_RETRY
    if value is False:
        return False
    if type(value) is int and value >= 0:
        return value
    raise ConfigurationError(f"retry={value!r}: use a number of retries (an int >= 0), "
                             f"0 to send failures straight to the dead set, or False to discard them")


_registry_lock = threading.Lock()
_registry: dict[str, Job[..., Any]] = {}


def registered(name: str) -> Job[..., Any] | None:
    """The job registered under ``name``, or ``None``."""
    return _registry.get(name)


def registry() -> dict[str, Job[..., Any]]:
    """A snapshot of every registered job, by name."""
    return dict(_registry)


def unregister(name: str) -> None:
    with _registry_lock:
        _registry.pop(name, None)


def _register(job: Job[..., Any]) -> None:
    with _registry_lock:
        existing = _registry.get(job.name)
        if existing is not None and existing.origin != job.origin:
            raise ConfigurationError(
                f"two different jobs are named {job.name!r} ({existing.origin} and {job.origin}); "
                f"give one of them another name with @robin.job(name=...)"
            )
        _registry[job.name] = job


def _default_name(func: Callable[..., Any]) -> str:
    module = func.__module__
    if module == "__main__":
        # A script run directly: name its jobs after the module a worker will import it
        # as (`robin worker -r script.py` imports it as `script`), not after __main__.
        main = sys.modules.get("__main__")
        spec = getattr(main, "__spec__", None)
        if spec is not None and spec.name:
            module = spec.name
        elif getattr(main, "__file__", None):
            module = Path(str(getattr(main, "__file__", ""))).stem
    return f"{module}.{func.__qualname__}"


class CallCheck:
    """Checks enqueue arguments against the job function's signature, as a call would.

    A bad call (too many arguments, a missing one, an unknown keyword) raises
    ``ArgumentError`` (a ``TypeError``) at enqueue, in the caller, instead of failing in
    the worker and waiting weeks in the retry set.  The usual case - positional
    arguments only, within range - costs two comparisons.
    """

    def __init__(self, name: str, func: Callable[..., Any]) -> None:
        self.name = name
        try:
            self.signature: inspect.Signature | None = inspect.signature(func)
        except (TypeError, ValueError):  # some builtins and C functions have none
            self.signature = None
            return
        params = list(self.signature.parameters.values())
        positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        variadic = any(p.kind == p.VAR_POSITIONAL for p in params)
        self.min_positional = sum(1 for p in positional if p.default is p.empty)
        self.max_positional = 10**9 if variadic else len(positional)
        self.fast = not any(p.kind == p.KEYWORD_ONLY and p.default is p.empty for p in params)

    def __call__(self, args: Sequence[Any], kwargs: dict[str, Any]) -> None:
        if self.signature is None:
            return
        if not kwargs and self.fast and self.min_positional <= len(args) <= self.max_positional:
            return
        try:
            self.signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise ArgumentError(f"cannot enqueue {self.name}: {exc} (the job is {self.name}{self.signature})") from None


class _Enqueuer(Generic[P, R]):
    """The enqueue methods, shared by a job and a job with per-call options."""

    _job: Job[P, R]
    job_options: JobOptions

    def enqueue(self, *args: P.args, **kwargs: P.kwargs) -> str | None:
        """Enqueue now; return the jid, or ``None`` if client middleware stopped it."""
        self._job.check_call(args, kwargs)
        return config.client().enqueue(self._job, self._job.name, args, kwargs, self.job_options)

    def enqueue_in(self, delay: float | timedelta, *args: P.args, **kwargs: P.kwargs) -> str | None:
        """Enqueue to run after ``delay`` (seconds, or a ``timedelta``)."""
        seconds = delay.total_seconds() if isinstance(delay, timedelta) else delay
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
            raise ConfigurationError(f"enqueue_in: delay must be seconds (int or float) or a timedelta, "
                                     f"not {type(delay).__name__}")
        self._job.check_call(args, kwargs)
        return config.client().enqueue(self._job, self._job.name, args, kwargs, self.job_options,
                                       at=time.time() + float(seconds))

    def enqueue_at(self, when: datetime | float, *args: P.args, **kwargs: P.kwargs) -> str | None:
        """Enqueue to run at ``when``: a timezone-aware datetime, or a unix timestamp."""
        if isinstance(when, datetime):
            if when.tzinfo is None or when.utcoffset() is None:
                raise ConfigurationError("enqueue_at: the datetime has no timezone, so its moment is "
                                         "ambiguous; pass an aware one, e.g. "
                                         "datetime.now(timezone.utc) + timedelta(minutes=5)")
            at = when.timestamp()
        elif isinstance(when, (int, float)) and not isinstance(when, bool):
            at = float(when)
        else:
            raise ConfigurationError(f"enqueue_at: when must be an aware datetime or a unix timestamp, "
                                     f"not {type(when).__name__}")
        self._job.check_call(args, kwargs)
        return config.client().enqueue(self._job, self._job.name, args, kwargs, self.job_options, at=at)

    def enqueue_many(self, items: Iterable[Sequence[Any]]) -> list[str | None]:
        """Enqueue one job per item, each a tuple of positional arguments; return the jids."""
        check = self._job.check_call
        checked = []
        for i, item in enumerate(items):
            if isinstance(item, (tuple, list)):
                try:
                    check(item, {})
                except ArgumentError as exc:
                    raise ArgumentError(f"enqueue_many item {i}: {exc}") from None
            checked.append(item)
        return config.client().enqueue_many(self._job, self._job.name, checked, self.job_options)


class Job(_Enqueuer[P, R]):
    """A registered job: call it to run the function, or enqueue it to run in a worker."""

    def __init__(self, func: Callable[P, R], name: str, job_options: JobOptions) -> None:
        self.func = func
        self.name = name
        self.job_options = job_options
        self.is_async = inspect.iscoroutinefunction(func)
        self.check_call = CallCheck(name, func)
        self.origin = f"{func.__module__}.{func.__qualname__}"
        self._job = self
        self.__doc__ = func.__doc__
        self.__wrapped__ = func
        self.__name__ = getattr(func, "__name__", name)
        self.__qualname__ = getattr(func, "__qualname__", name)
        self.__module__ = func.__module__

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.func(*args, **kwargs)

    def options(self, **overrides: Any) -> ConfiguredJob[P, R]:
        """This job with per-call option overrides (any job option, core or plug-in)."""
        return ConfiguredJob(self, self.job_options.merged(overrides))

    def __repr__(self) -> str:
        kind = "async job" if self.is_async else "job"
        return f"<robin {kind} {self.name} queue={self.job_options.queue}>"


class ConfiguredJob(_Enqueuer[P, R]):
    """A job with per-call options, from ``job.options(...)``."""

    def __init__(self, job: Job[P, R], job_options: JobOptions) -> None:
        self._job = job
        self.job_options = job_options

    @property
    def job(self) -> Job[P, R]:
        """The job these options are for."""
        return self._job

    @property
    def name(self) -> str:
        return self._job.name

    def options(self, **overrides: Any) -> ConfiguredJob[P, R]:
        return ConfiguredJob(self._job, self.job_options.merged(overrides))


@overload
def job(func: Callable[P, R], /) -> Job[P, R]: ...
@overload
def job(*, queue: str = ..., retry: int | bool = ..., backoff: Backoff | None = ..., name: str | None = ...,
        **extra: Any) -> Callable[[Callable[P, R]], Job[P, R]]: ...


def job(func: Callable[P, R] | None = None, /, **opts: Any) -> Job[P, R] | Callable[[Callable[P, R]], Job[P, R]]:
    """Register a function (sync or ``async def``) as a job; see the module docstring."""
    name = opts.pop("name", None)
    if name is not None and (not isinstance(name, str) or not name):
        raise ConfigurationError(f"name must be a non-empty str, not {name!r}")
    base = JobOptions().merged(opts)  # validates every option now, at decoration time

    def decorate(fn: Callable[P, R]) -> Job[P, R]:
        if not callable(fn):
            raise ConfigurationError(f"@robin.job decorates a function, not {type(fn).__name__}")
        created = Job(fn, name or _default_name(fn), base)
        _register(created)
        return created

    if func is not None:
        return decorate(func)
    return decorate
