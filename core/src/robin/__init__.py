"""Robin: fast, reliable background jobs for Python, backed by Redis or Valkey.

::

    import robin

    @robin.job
    def resize(image_id: int, width: int = 800) -> None: ...

    resize.enqueue(42, width=1024)

Then run ``robin worker -r myapp.jobs``.  See the README and ``docs/``.
"""

from robin._version import __version__
from robin.config import configure
from robin.context import EnqueueContext, ExecutionContext
from robin.errors import (
    ArgumentError,
    ConfigurationError,
    ConnectionError,
    PayloadError,
    PluginError,
    PluginMissingError,
    PoisonPillError,
    Reschedule,
    RobinError,
    ServerError,
    ServerNotFoundError,
    UnknownJobError,
)
from robin.events import Event, define_event, on, on_death, on_error
from robin.job import ConfiguredJob, Job, JobOptions, job, registered
from robin.middleware import Chain, ClientMiddleware, ServerMiddleware, client_middleware, server_middleware
from robin.options import OptionSpec
from robin.options import declare as declare_option
from robin.plugins import Plugin

__all__ = [
    "ArgumentError",
    "Chain",
    "ClientMiddleware",
    "ConfigurationError",
    "ConfiguredJob",
    "ConnectionError",
    "EnqueueContext",
    "Event",
    "ExecutionContext",
    "Job",
    "JobOptions",
    "OptionSpec",
    "PayloadError",
    "Plugin",
    "PluginError",
    "PluginMissingError",
    "PoisonPillError",
    "Reschedule",
    "RobinError",
    "ServerError",
    "ServerMiddleware",
    "ServerNotFoundError",
    "UnknownJobError",
    "__version__",
    "client_middleware",
    "configure",
    "declare_option",
    "define_event",
    "job",
    "on",
    "on_death",
    "on_error",
    "registered",
    "server_middleware",
]
