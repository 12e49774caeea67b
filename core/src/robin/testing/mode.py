"""What the test modes share: taking enqueues in this process, and switching a mode on.

A mode is a :class:`robin.config.Backend`: while it is active (``with``, a decorator,
or a pytest fixture), ``Job.enqueue*`` hand it their jobs instead of Redis.  It treats
each job as the real client would - the same payload, argument checks, client
middleware, JSON encoding, queue-name checks and scheduling rule - and then, instead of
pushing, gives the job to :meth:`Mode.accept` exactly as a worker would decode it.
"""

from __future__ import annotations

import functools
import inspect
import itertools
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from robin import config, plugins
from robin.context import EnqueueContext
from robin.errors import ArgumentError
from robin.keys import check_name
from robin.middleware import client_middleware
from robin.payload import Payload, decode, encode
from robin.testing.execution import JobRunner
from robin.testing.records import EnqueuedJob

if TYPE_CHECKING:
    from robin.job import Job, JobOptions

F = TypeVar("F", bound=Callable[..., Any])


class Mode(ABC):
    """A backend for :func:`robin.config.use_client` that keeps jobs in this process.

    Use it with ``with`` (nesting restores the previous backend), or as a decorator of a
    sync or async function.
    """

    def __init__(self, name: str) -> None:
        self.runner = JobRunner(name)
        self._activations: list[AbstractContextManager[object]] = []
        self._activation_lock = threading.Lock()
        self._sequence = itertools.count()

    @abstractmethod
    def accept(self, record: EnqueuedJob) -> None:
        """Take one job that made it through client middleware."""

    # -- the Backend protocol ----------------------------------------------------------
    def enqueue(self, job: Job[..., Any] | None, name: str, args: Sequence[Any], kwargs: dict[str, Any],
                options: JobOptions, at: float | None = None) -> str | None:
        plugins.load()  # plug-ins may add middleware: load them as the real client does
        payload = _build_payload()(name, args, kwargs, options, time.time())
        ctx = EnqueueContext(payload, job, options.all(), at)
        return client_middleware.invoke(ctx, lambda: self._take(ctx))

    def enqueue_many(self, job: Job[..., Any] | None, name: str, items: Iterable[Sequence[Any]],
                     options: JobOptions) -> list[str | None]:
        plugins.load()
        build = _build_payload()
        everything = options.all()
        jids: list[str | None] = []
        for i, item in enumerate(items):
            if not isinstance(item, (tuple, list)):
                raise ArgumentError(f"enqueue_many item {i}: {type(item).__name__} given; each item "
                                    f"must be a tuple of positional arguments, e.g. (42,)")
            payload = build(name, item, {}, options, time.time())
            ctx = EnqueueContext(payload, job, dict(everything), None)
            jids.append(client_middleware.invoke(ctx, functools.partial(self._take, ctx)))
        return jids

    def _take(self, ctx: EnqueueContext) -> str:
        record = self._record(ctx.payload, ctx.at)
        self.accept(record)
        return record.jid

    def _record(self, payload: Payload, at: float | None) -> EnqueuedJob:
        """``payload`` as a worker would receive it: checked, scheduled if due later, and
        through JSON, so the job gets copies (lists, dicts) and never the caller's objects."""
        queue = payload.get("queue")
        if type(queue) is not str:
            raise ArgumentError(f"payload 'queue' must be a str, not {type(queue).__name__}")
        check_name("queue", queue)
        now = time.time()
        scheduled = at is not None and at > now  # the real client's rule: a time past is now
        if scheduled:
            payload["at"] = payload["enqueued_at"] = at
        try:
            raw = encode(payload)
        except (TypeError, ValueError) as exc:
            raise ArgumentError(f"the payload of {payload.get('job')} cannot be JSON-encoded after client "
                                f"middleware ran ({exc}); middleware may only add JSON-native values") from None
        due = at if scheduled and at is not None else now
        return EnqueuedJob(decode(raw), raw, at if scheduled else None, due, next(self._sequence))

    # -- switching the mode on ---------------------------------------------------------
    def __enter__(self) -> Self:
        activation = config.use_client(self)
        activation.__enter__()
        with self._activation_lock:
            self._activations.append(activation)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        with self._activation_lock:
            activation = self._activations.pop()
            last = not self._activations
        activation.__exit__(None, None, None)  # it only restores the previous backend
        if last:
            self.runner.close()

    @property
    def active(self) -> bool:
        return bool(self._activations)

    def __call__(self, func: F) -> F:
        """Use the mode as a decorator: it is active during every call of ``func``."""
        if inspect.iscoroutinefunction(func):
            @functools.wraps(func)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                with self._for_call():
                    return await func(*args, **kwargs)

            return cast(F, run_async)

        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            with self._for_call():
                return func(*args, **kwargs)

        return cast(F, run)

    def _for_call(self) -> Self:
        """The mode as one decorated call starts it (the fake starts empty)."""
        return self


def _build_payload() -> Callable[..., Payload]:
    """The real client's payload builder (imported on first use: it brings redis-py along,
    which the pytest plug-in must not import when it loads)."""
    from robin.client import build_payload

    return build_payload
