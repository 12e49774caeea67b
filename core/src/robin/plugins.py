"""Plug-in discovery: the ``robin.plugins`` entry-point group.

A plug-in is a distribution that declares an entry point in the group ``robin.plugins``
pointing at a :class:`Plugin` object::

    # pyproject.toml of the plug-in
    [project.entry-points."robin.plugins"]
    stamp = "robin_stamp:plugin"

    # robin_stamp/__init__.py
    plugin = robin.Plugin(name="Stamp", robin_major=1, setup=setup, cli=add_commands)

Entry points are read once per process, the first time Robin needs them (worker start,
the CLI, the first enqueue, or an option or event nobody declared yet).  Each plug-in's
``setup()`` then registers what it adds through the public seams: middleware, job
options, events, handlers.  ``ROBIN_DISABLE_PLUGINS=1`` turns autoloading off; plug-ins
can still be registered by hand with :func:`register`.

A plug-in built for another major version of Robin is refused, with a message that says
what to upgrade; the worker does not start while a plug-in is refused or broken.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from robin._version import __version__
from robin.errors import PluginError

log = logging.getLogger("robin")

GROUP = "robin.plugins"
CORE_MAJOR = int(__version__.split(".")[0])


@dataclass(frozen=True)
class Plugin:
    """What a plug-in's entry point points at.

    ``robin_major`` is the major version of Robin the plug-in is built for.  ``setup()``
    registers middleware, options and handlers; ``cli(app)`` adds typer commands to the
    ``robin`` command; ``status()`` returns a line for the worker's start-up log (a
    licensed add-on says whom it is licensed to).  ``after`` names distributions whose
    plug-ins must be set up before this one when they are installed (so that this one can
    place its middleware relative to theirs); otherwise plug-ins are set up in the order of
    their distribution names, the same on every machine.  ``web()`` adds pages to the web
    dashboard with ``robin.web.register_page``; it is called once per process, when the
    first dashboard app is made (so workers never import the dashboard).
    """

    name: str
    robin_major: int
    setup: Callable[[], None] | None = None
    cli: Callable[[Any], None] | None = None
    status: Callable[[], str] | None = None
    after: tuple[str, ...] = ()
    web: Callable[[], None] | None = None


@dataclass(frozen=True)
class LoadedPlugin:
    plugin: Plugin
    distribution: str
    version: str

    def describe(self) -> str:
        return f"{self.distribution} {self.version} ({self.plugin.name})"


_lock = threading.RLock()
_loaded: list[LoadedPlugin] = []
_problems: list[str] = []
_autoloaded = False


def disabled() -> bool:
    return os.environ.get("ROBIN_DISABLE_PLUGINS", "").strip().lower() in ("1", "true", "yes", "on")


def load() -> list[LoadedPlugin]:
    """Discover and set up every installed plug-in, once per process; return them."""
    global _autoloaded
    if _autoloaded:
        return list(_loaded)
    with _lock:
        if _is_loaded():  # another thread finished loading while we waited for the lock
            return list(_loaded)
        _autoloaded = True  # set first: a plug-in's setup() may itself call load()
        if disabled():
            log.debug("plug-in autoloading is off (ROBIN_DISABLE_PLUGINS)")
            return list(_loaded)
        found = [f for f in map(_import_entry_point, _entry_points()) if f is not None]
        for plugin, dist, version in _setup_order(found):
            register(plugin, distribution=dist, version=version)
        return list(_loaded)


def _is_loaded() -> bool:
    return _autoloaded


def _entry_points() -> list[metadata.EntryPoint]:
    seen: set[str] = set()
    found = []
    for ep in metadata.entry_points(group=GROUP):
        key = f"{ep.name}={ep.value}"
        if key not in seen:  # the same distribution twice on sys.path
            seen.add(key)
            found.append(ep)
    return found


Found = tuple[Plugin, str, str]  # the plug-in, its distribution, its version


def _import_entry_point(ep: metadata.EntryPoint) -> Found | None:
    dist = ep.dist.name if ep.dist is not None else ep.value.split(":")[0]
    version = ep.dist.version if ep.dist is not None else "?"
    try:
        obj = ep.load()
    except Exception as exc:
        _problem(f"plug-in {dist} {version} failed to import ({type(exc).__name__}: {exc}); "
                 f"reinstall it, or set ROBIN_DISABLE_PLUGINS=1 to start without plug-ins")
        return None
    if not isinstance(obj, Plugin):
        _problem(f"plug-in {dist} {version}: entry point {ep.name} = {ep.value} is not a robin.Plugin")
        return None
    return obj, dist, version


def canonical_name(distribution: str) -> str:
    """A distribution's name as pip compares them: robin_Pro and robin-pro are the same."""
    return distribution.lower().replace("_", "-").replace(".", "-")


def _setup_order(found: list[Found]) -> list[Found]:
    """By distribution name, except that a plug-in comes after those named in its ``after``.

    Entry points are discovered in an order that depends on how things were installed;
    middleware order must not.
    """
    pending = sorted(found, key=lambda f: canonical_name(f[1]))
    present = {canonical_name(f[1]) for f in pending}
    ordered: list[Found] = []
    done: set[str] = set()
    while pending:
        ready = next((i for i, (plugin, _, _) in enumerate(pending)
                      if {canonical_name(a) for a in plugin.after} & present <= done), None)
        if ready is None:  # a cycle: set up the first anyway, and say so
            ready = 0
            log.warning("plug-ins %s name each other in `after`; setting them up by name",
                        ", ".join(f[1] for f in pending))
        ordered.append(pending.pop(ready))
        done.add(canonical_name(ordered[-1][1]))
    return ordered


def register(plugin: Plugin, distribution: str | None = None, version: str | None = None) -> bool:
    """Set up ``plugin`` now (entry points do this for installed plug-ins).

    Returns ``False`` when the plug-in is refused (its problem is logged and kept for
    :func:`check`).
    """
    dist = distribution or plugin.name
    ver = version or "?"
    with _lock:
        if any(p.plugin is plugin for p in _loaded):
            return True
        if plugin.robin_major != CORE_MAJOR:
            _problem(_major_mismatch(dist, ver, plugin.robin_major))
            return False
        try:
            if plugin.setup is not None:
                plugin.setup()
        except Exception as exc:
            log.debug("setup of plug-in %s failed", dist, exc_info=True)
            _problem(f"plug-in {dist} {ver} failed to set up ({type(exc).__name__}: {exc})")
            return False
        _loaded.append(LoadedPlugin(plugin, dist, ver))
        return True


def _major_mismatch(dist: str, version: str, major: int) -> str:
    # A paid plug-in comes from a private index: a bare `pip install` of it would ask PyPI.
    same_index = f"from the package index {dist} came from"
    if major > CORE_MAJOR:
        fix = (f"upgrade robin (pip install 'robin>={major},<{major + 1}') or install "
               f"{dist} {CORE_MAJOR}.x (pip install '{dist}>={CORE_MAJOR},<{CORE_MAJOR + 1}', {same_index})")
    else:
        fix = (f"upgrade {dist} (pip install '{dist}>={CORE_MAJOR},<{CORE_MAJOR + 1}', {same_index}) or "
               f"install robin {major}.x")
    return (f"plug-in {dist} {version} is built for robin {major}.x, but robin {__version__} "
            f"is installed; refusing to load it: {fix}")


def _problem(message: str) -> None:
    if message not in _problems:
        _problems.append(message)
        log.error("%s", message)


def problems() -> list[str]:
    """Messages of plug-ins that were refused or failed to load."""
    return list(_problems)


def check() -> None:
    """Raise :class:`PluginError` if any plug-in was refused or failed (the worker calls this)."""
    load()
    if _problems:
        raise PluginError("; ".join(_problems))


def loaded() -> list[LoadedPlugin]:
    return list(_loaded)


def reset_for_tests() -> None:
    """Forget what was loaded, so the next :func:`load` reads entry points again."""
    global _autoloaded
    with _lock:
        _loaded.clear()
        _problems.clear()
        _autoloaded = False
