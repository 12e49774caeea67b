"""Inline mode: every job runs at enqueue, in the caller's thread, before enqueue returns."""

from __future__ import annotations

from robin.testing.mode import Mode
from robin.testing.records import EnqueuedJob


class Inline(Mode):
    """Runs each job as it is enqueued, as a worker would; see :func:`inline`."""

    def __init__(self) -> None:
        super().__init__("inline")

    def accept(self, record: EnqueuedJob) -> None:
        try:
            outcome = self.runner.run(record.raw)
        except BaseException as exc:
            exc.add_note(f"raised by the job {record} that robin.testing.inline() ran at enqueue")
            raise
        if outcome is not None:
            # A worker would run it again later; inline mode has no later, and dropping the
            # job silently would let a test pass on work that never happened.
            signal = outcome.signal
            signal.add_note(f"the job {record} asked to run again in {signal.delay:g} s, which inline mode "
                            f"cannot do; test it with robin.testing.fake(): its drain() runs rescheduled jobs")
            raise signal

    def __repr__(self) -> str:
        return f"<robin.testing.Inline {'active' if self.active else 'inactive'}>"


def inline() -> Inline:
    """Run every job at enqueue, synchronously, inside the ``with`` block or decorated call.

    ::

        with robin.testing.inline():
            jid = resize.enqueue(42)      # resize(42) has run when enqueue returns

    Payloads go through client middleware and JSON (non-JSON arguments raise the same
    ``TypeError`` as in production), server middleware runs around the job, async jobs
    run on an event loop, ``enqueue_in``/``enqueue_at`` run at once, and an exception
    raised by the job reaches the caller of ``enqueue``.
    """
    return Inline()
