"""Middleware chains: code that wraps every enqueue (client) or every execution (server).

A middleware is a class with a ``call(ctx, call_next)`` method.  It runs code before and
after ``call_next()``, may change ``ctx.payload``, may skip the rest of the chain by not
calling ``call_next()``, and sees exceptions as they pass through it::

    class Timing(robin.ServerMiddleware):
        def call(self, ctx, call_next):
            started = time.monotonic()
            try:
                return call_next()
            finally:
                log.info("%s took %.3f s", ctx.job_name, time.monotonic() - started)

    robin.server_middleware.add(Timing)

Chains hold classes (with constructor arguments), not instances: every job gets fresh
instances, so a middleware never shares state between jobs or threads by accident.

Client middleware (``robin.client_middleware``) wraps the push of each job: returning
``None`` without calling ``call_next()`` stops the enqueue (``enqueue`` then returns
``None``); setting ``ctx.payload["queue"]`` reroutes it.  Server middleware
(``robin.server_middleware``) wraps the execution of each job in the worker, for sync and
async jobs alike (it always runs in a worker thread): not calling ``call_next()`` skips
the job (it is acknowledged), raising :class:`robin.Reschedule` runs it again later.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from robin.context import EnqueueContext, ExecutionContext

CtxT = TypeVar("CtxT")
ResultT = TypeVar("ResultT")


class ClientMiddleware:
    """Base class for client middleware; override :meth:`call`."""

    def call(self, ctx: EnqueueContext, call_next: Callable[[], str | None]) -> str | None:
        return call_next()


class ServerMiddleware:
    """Base class for server middleware; override :meth:`call`."""

    def call(self, ctx: ExecutionContext, call_next: Callable[[], Any]) -> Any:
        return call_next()


@dataclass(frozen=True)
class _Entry:
    klass: type
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)

    def make(self) -> Any:
        return self.klass(*self.args, **self.kwargs)


class Chain(Generic[CtxT, ResultT]):
    """An ordered list of middleware classes, each instantiated afresh for every call."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._entries: tuple[_Entry, ...] = ()
        self._lock = threading.Lock()

    # -- building the chain ------------------------------------------------------------
    def add(self, klass: type, *args: Any, **kwargs: Any) -> None:
        """Append ``klass`` (moved to the end if already present)."""
        with self._lock:
            self._entries = (*self._without(klass), _Entry(klass, args, kwargs))

    def prepend(self, klass: type, *args: Any, **kwargs: Any) -> None:
        """Put ``klass`` first (moved if already present)."""
        with self._lock:
            self._entries = (_Entry(klass, args, kwargs), *self._without(klass))

    def insert_before(self, existing: type, klass: type, *args: Any, **kwargs: Any) -> None:
        """Insert ``klass`` just before ``existing`` (at the start if ``existing`` is absent)."""
        with self._lock:
            rest = self._without(klass)
            i = self._index(rest, existing, default=0)
            self._entries = (*rest[:i], _Entry(klass, args, kwargs), *rest[i:])

    def insert_after(self, existing: type, klass: type, *args: Any, **kwargs: Any) -> None:
        """Insert ``klass`` just after ``existing`` (at the end if ``existing`` is absent)."""
        with self._lock:
            rest = self._without(klass)
            i = self._index(rest, existing, default=len(rest) - 1) + 1
            self._entries = (*rest[:i], _Entry(klass, args, kwargs), *rest[i:])

    def remove(self, klass: type) -> None:
        """Remove ``klass``; removing a class that is not there is a no-op."""
        with self._lock:
            self._entries = self._without(klass)

    def clear(self) -> None:
        with self._lock:
            self._entries = ()

    def __contains__(self, klass: object) -> bool:
        return any(e.klass is klass for e in self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def classes(self) -> list[type]:
        return [e.klass for e in self._entries]

    def _without(self, klass: type) -> tuple[_Entry, ...]:
        return tuple(e for e in self._entries if e.klass is not klass)

    @staticmethod
    def _index(entries: tuple[_Entry, ...], klass: type, default: int) -> int:
        for i, entry in enumerate(entries):
            if entry.klass is klass:
                return i
        return default

    # -- running it --------------------------------------------------------------------
    def invoke(self, ctx: CtxT, final: Callable[[], ResultT]) -> ResultT:
        """Run ``final`` wrapped by every middleware, first added = outermost."""
        entries = self._entries  # a tuple: changes while we run do not affect this call
        if not entries:
            return final()
        instances = [entry.make() for entry in entries]
        last = len(instances)

        def step(i: int) -> ResultT:
            if i == last:
                return final()
            result: ResultT = instances[i].call(ctx, lambda: step(i + 1))
            return result

        return step(0)

    def __repr__(self) -> str:
        names = ", ".join(e.klass.__name__ for e in self._entries)
        return f"<Chain {self.name}: [{names}]>"


client_middleware: Chain[EnqueueContext, str | None] = Chain("client")
"""Middleware around every enqueue (``robin.client_middleware``)."""

server_middleware: Chain[ExecutionContext, Any] = Chain("server")
"""Middleware around every execution in a worker (``robin.server_middleware``)."""
