"""Lifecycle events, error handlers and death handlers.

Lifecycle events of a worker process, in order::

    startup    the process is registered and about to fetch its first job
    heartbeat  every heartbeat (5 s by default)
    quiet      it stopped fetching (TSTP, remote quiet, or the start of a shutdown)
    shutdown   its jobs are finished or pushed back; it is about to exit

Handlers take one argument, an :class:`Event`, and may be ``async def`` (they then run
on the worker's event loop, the one async jobs run on)::

    @robin.on("startup")
    def open_pool(event):
        ...

Plug-ins may define more events (``define_event("leader")``) and fire them.

Error handlers run after any job raised (``handler(exc, ctx)``); death handlers run when
a job will never run again, because it went to the dead set or was discarded
(``handler(payload, exc)``).  A failing handler is logged and never stops the others.
"""

from __future__ import annotations

import inspect
import logging
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from robin.errors import ConfigurationError
from robin.payload import Payload

if TYPE_CHECKING:
    from robin.context import ExecutionContext

log = logging.getLogger("robin")

Handler = Callable[["Event"], Any]
ErrorHandler = Callable[[BaseException, "ExecutionContext"], Any]
DeathHandler = Callable[[Payload, BaseException], Any]
AsyncRunner = Callable[[Awaitable[Any]], Any]
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Event:
    """What a lifecycle handler receives: the event's name, the process, and extra data."""

    name: str
    identity: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


_lock = threading.Lock()
_handlers: dict[str, tuple[Handler, ...]] = {
    "startup": (),
    "heartbeat": (),
    "quiet": (),
    "shutdown": (),
}
_error_handlers: tuple[ErrorHandler, ...] = ()
_death_handlers: tuple[DeathHandler, ...] = ()


def define_event(name: str) -> None:
    """Make a new event name known (plug-ins do this for their own events)."""
    with _lock:
        _handlers.setdefault(name, ())


def known_events() -> list[str]:
    return list(_handlers)


def on(name: str, handler: Handler | None = None) -> Any:
    """Register ``handler`` for event ``name``; usable as ``@robin.on("startup")``."""
    if name not in _handlers:
        from robin import plugins  # the event may belong to a plug-in that is not loaded yet

        plugins.load()
    if name not in _handlers:
        raise ConfigurationError(f"unknown event {name!r}; known events: {', '.join(_handlers)}")

    def register(fn: F) -> F:
        with _lock:
            if fn not in _handlers[name]:
                _handlers[name] = (*_handlers[name], fn)
        return fn

    return register(handler) if handler is not None else register


def off(name: str, handler: Handler) -> None:
    """Unregister a handler (a no-op if it is not registered)."""
    with _lock:
        _handlers[name] = tuple(h for h in _handlers.get(name, ()) if h is not handler)


def fire(name: str, identity: str | None = None, run_async: AsyncRunner | None = None, **data: Any) -> None:
    """Run every handler of ``name``; failures are logged, the rest still run.

    ``run_async`` runs an awaitable to completion (the worker passes its event loop's);
    without it, an async handler runs on a fresh event loop.
    """
    event = Event(name, identity, data)
    for handler in _handlers.get(name, ()):
        try:
            result = handler(event)
            if inspect.isawaitable(result):
                _await(result, run_async)
        except Exception:
            log.exception("%s handler %s failed", name, _name(handler))


def on_error(handler: ErrorHandler) -> ErrorHandler:
    """Register ``handler(exc, ctx)``, called every time a job raises."""
    global _error_handlers
    with _lock:
        if handler not in _error_handlers:  # registering twice (a plug-in set up again) is a no-op
            _error_handlers = (*_error_handlers, handler)
    return handler


def on_death(handler: DeathHandler) -> DeathHandler:
    """Register ``handler(payload, exc)``, called when a job dies or is discarded."""
    global _death_handlers
    with _lock:
        if handler not in _death_handlers:
            _death_handlers = (*_death_handlers, handler)
    return handler


def remove_handler(handler: Callable[..., Any]) -> None:
    """Unregister an error or death handler."""
    global _error_handlers, _death_handlers
    with _lock:
        _error_handlers = tuple(h for h in _error_handlers if h is not handler)
        _death_handlers = tuple(h for h in _death_handlers if h is not handler)


def error(exc: BaseException, ctx: ExecutionContext) -> None:
    for handler in _error_handlers:
        try:
            handler(exc, ctx)
        except Exception:
            log.exception("error handler %s failed", _name(handler))


def death(payload: Payload, exc: BaseException) -> None:
    for handler in _death_handlers:
        try:
            handler(payload, exc)
        except Exception:
            log.exception("death handler %s failed", _name(handler))


def _await(awaitable: Awaitable[Any], run_async: AsyncRunner | None) -> None:
    if run_async is not None:
        run_async(awaitable)
        return
    import asyncio

    async def wrap() -> Any:
        return await awaitable

    asyncio.run(wrap())


def _name(fn: Callable[..., Any]) -> str:
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"
