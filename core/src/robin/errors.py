"""The one error tree of Robin.

Every error Robin raises derives from :class:`RobinError`, so ``except robin.RobinError``
catches them all.  Where a built-in exception is the natural type (a bad argument is a
``TypeError``, an unreachable server a ``ConnectionError``), the Robin error derives from
both, so existing ``except TypeError`` code keeps working.

Messages say what happened, why, and what to do.
"""

from __future__ import annotations

import builtins


class RobinError(Exception):
    """Base class of every error raised by Robin and its plug-ins."""


class ConfigurationError(RobinError, ValueError):
    """A setting, job option or environment variable is invalid."""


class ArgumentError(RobinError, TypeError):
    """A job argument cannot be carried in a JSON payload."""


class ConnectionError(RobinError, builtins.ConnectionError):  # noqa: A001 - deliberate
    """The Redis-protocol server cannot be reached."""


class ServerError(RobinError):
    """The server answered, but it is unsuitable (too old, wrong mode) or failed."""


class ServerNotFoundError(ConfigurationError):
    """No server URL is configured and no server binary is available to embed."""


class PluginError(RobinError):
    """A plug-in could not be loaded or was refused (for example: wrong major version)."""


class PayloadError(RobinError):
    """A payload taken from a queue is not a valid Robin job (not JSON, wrong shape)."""


class UnknownJobError(RobinError):
    """A payload names a job that is not registered in this worker.

    The worker never imports anything a payload names: only jobs registered with
    ``@robin.job`` in modules given to ``robin worker -r`` can run.
    """


class PluginMissingError(RobinError):
    """A job needs a plug-in (it says which in its payload) that this worker has not loaded.

    See :mod:`robin.needs`.  Retried like any failure: a deploy that installs the plug-in
    on the workers runs it.
    """


class PoisonPillError(RobinError):
    """A job was running every time its worker process died, too many times in a row."""


class Reschedule(RobinError):  # noqa: N818 - a control-flow signal, not a failure
    """Raised by server middleware (or a job) to run the job again later.

    A rescheduled job is not a failure: it does not count as failed, does not use up a
    retry, and goes to the schedule set with the payload as it is in ``ctx.payload``.
    """

    def __init__(self, delay: float, reason: str = "") -> None:
        super().__init__(reason or f"rescheduled in {delay:g} s")
        self.delay = float(delay)
        self.reason = reason
