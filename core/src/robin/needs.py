"""Jobs that depend on a plug-in: recorded in the payload, checked on the worker.

A job's payload can outlive the code that wrote it: a client with Robin Pro enqueues a
batch member, and the worker that takes it runs without Pro (uninstalled since, or
plug-ins disabled).  So a plug-in whose middleware gives a job a meaning core
does not know records it in the payload, in one of two fields:

``needs``
    ``{"batch": "robin-pro"}``: the job must not run without that distribution (a batch
    member whose batch waits for it; a batch callback whose first argument the plug-in
    fills in).  Without it the job fails with :class:`PluginMissingError`, which names
    the distribution; it is retried like any failure (a deploy that brings the plug-in
    back runs it) and lands in the dead set, with that reason, after its retries.
``uses``
    ``{"expires_in": "robin-pro"}``: the job can run without it, only without that
    feature (its expiry is not checked; its unique lock expires on its own).  It runs,
    and the worker logs a warning, once per feature and process, naming what is lost.

Nothing is ever dropped silently.  Core knows no feature by name: plug-ins call
:func:`mark`, and the worker calls :func:`check` (through ``execution.invoke``).
"""

from __future__ import annotations

import logging
import threading

from robin import plugins
from robin.errors import PluginMissingError
from robin.payload import Payload

log = logging.getLogger("robin")

_warned: set[tuple[str, str]] = set()
_warned_lock = threading.Lock()


def mark(payload: Payload, feature: str, distribution: str, *, required: bool) -> None:
    """Record that ``payload``'s job needs (``required``) or uses ``distribution``'s ``feature``."""
    field = "needs" if required else "uses"
    features = payload.get(field)
    if not isinstance(features, dict):
        features = payload[field] = {}
    features[feature] = distribution


def loaded_distributions() -> set[str]:
    """The canonical names of the plug-in distributions loaded in this process."""
    plugins.load()
    return {plugins.canonical_name(p.distribution) for p in plugins.loaded()}


def check(payload: Payload) -> None:
    """Raise if the job needs a plug-in that is not loaded; warn once for one it uses."""
    needs, uses = payload.get("needs"), payload.get("uses")
    if not needs and not uses:
        return
    here = loaded_distributions()
    for feature, distribution in _pairs(needs):
        if plugins.canonical_name(distribution) not in here:
            raise PluginMissingError(
                f"job {payload.get('job')!r} needs {distribution} ({feature}), which is not loaded in this worker "
                f"(not installed, or plug-ins are disabled); install {distribution} on the workers: it is "
                f"retried as usual (from the dead set: `robin retry JID`)")
    for feature, distribution in _pairs(uses):
        if plugins.canonical_name(distribution) not in here:
            _warn_once(payload, feature, distribution)


def _pairs(field: object) -> list[tuple[str, str]]:
    if not isinstance(field, dict):
        return []
    return [(str(feature), str(distribution)) for feature, distribution in field.items()]


def _warn_once(payload: Payload, feature: str, distribution: str) -> None:
    with _warned_lock:
        if (feature, distribution) in _warned:
            return
        _warned.add((feature, distribution))
    log.warning("job %r uses %s of %s, which is not loaded in this worker: it runs without %s (this warning "
                "is logged once per process); install %s on the workers to keep it",
                payload.get("job"), feature, distribution, feature, distribution)
