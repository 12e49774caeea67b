"""Testing helpers: run jobs at enqueue, collect them, or run a real server and worker.

::

    import robin.testing

    with robin.testing.inline():          # jobs run at enqueue, in this thread
        resize.enqueue(42)

    with robin.testing.fake() as fake:    # jobs are collected
        resize.enqueue(42)
        fake.assert_enqueued(resize, 42)
        fake.drain()                      # ... and run on demand

Both modes are built on :func:`robin.config.use_client`: they nest, and leaving one
restores whatever was active before.  Both treat a job exactly as the real client does
(argument checks, client middleware, JSON) and run it exactly as a worker does (server
middleware, async jobs on an event loop, error handlers).

For pytest, the plug-in :mod:`robin.testing.pytest_plugin` (loaded automatically) adds
the fixtures ``robin_inline``, ``robin_fake``, ``robin_server``, ``robin_redis`` and
``robin_worker``.  See docs/testing.md.
"""

from robin.testing.fake import DrainError, Fake, fake
from robin.testing.inline import Inline, inline
from robin.testing.mode import Mode
from robin.testing.records import EnqueuedJob
from robin.testing.server import ServerProcess
from robin.testing.worker import StartWorker, WorkerError, WorkerProcess

__all__ = [
    "DrainError",
    "EnqueuedJob",
    "Fake",
    "Inline",
    "Mode",
    "ServerProcess",
    "StartWorker",
    "WorkerError",
    "WorkerProcess",
    "fake",
    "inline",
]
