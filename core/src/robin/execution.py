"""Running one job through server middleware: the step the worker and the test modes share.

The worker (worker/processor.py) and ``robin.testing`` both call :func:`invoke`; what
happens after - settle, retry, dead set, or raise in a test - is theirs to decide.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from robin import needs
from robin.context import ExecutionContext
from robin.errors import UnknownJobError
from robin.job import Job, registry
from robin.middleware import server_middleware
from robin.payload import Payload

RunAsync = Callable[[Any], Any]


def invoke(ctx: ExecutionContext, run_async: RunAsync) -> Any:
    """Run ``ctx``'s job wrapped by server middleware; raise what it raises.

    An unregistered job raises :class:`UnknownJobError` (nothing a payload names is ever
    imported); one that needs a plug-in this process has not loaded raises
    :class:`PluginMissingError` (see :mod:`robin.needs`).  Async jobs run through
    ``run_async`` (the caller's event loop).
    """
    job = ctx.job
    if job is None:
        raise UnknownJobError(unknown_job_message(ctx.job_name))
    if "needs" in ctx.payload or "uses" in ctx.payload:
        needs.check(ctx.payload)  # a job that depends on a plug-in this process lacks
    if not len(server_middleware):
        return call(job, ctx.payload, run_async)
    return server_middleware.invoke(ctx, lambda: call(job, ctx.payload, run_async))


def call(job: Job[..., Any], payload: Payload, run_async: RunAsync) -> Any:
    """Call the job's function with the payload's arguments (middleware may have changed them)."""
    kwargs = payload.get("kwargs")
    if job.is_async:
        coroutine = job.func(*payload["args"], **kwargs) if kwargs else job.func(*payload["args"])
        return run_async(coroutine)
    return job.func(*payload["args"], **kwargs) if kwargs else job.func(*payload["args"])


def unknown_job_message(name: str) -> str:
    """Why a job name is not registered here, with the likeliest fix."""
    function = name.rsplit(".", 1)[-1]
    same_function = sorted(n for n in registry() if n.rsplit(".", 1)[-1] == function)
    if same_function:
        return (f"no job named {name!r} is registered in this worker, but {', '.join(same_function)} is: the "
                f"worker imported the module under another name than the client did; give -r the module "
                f"path the client imports ({name.rsplit('.', 1)[0]})")
    return (f"no job named {name!r} is registered in this worker: start the worker with -r for the module "
            f"that defines it, or deploy the code that defines it")
