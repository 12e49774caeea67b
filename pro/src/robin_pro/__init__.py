"""Robin Pro: batches with callbacks, queue pausing, expiring jobs.

::

    from robin_pro import Batch

    batch = Batch(description="Import users")
    batch.on("success", notify_import_done, "user-import")
    with batch.jobs():
        for row in rows:
            import_user.enqueue(row["id"])

    from robin.api import Queue
    Queue("reports").pause()

    @robin.job(expires_in=300)        # dropped if not started within 5 minutes
    def refresh_cache(key): ...

Plugs into Robin through its public seams only (see robin_pro/plugin.py).  Using a paid
feature for new work needs a license: ``robin license activate -``.
"""

from robin_pro._version import __version__
from robin_pro.batch import Batch, BatchNotFoundError, BatchStatus, configure

__all__ = ["Batch", "BatchNotFoundError", "BatchStatus", "__version__", "configure"]
