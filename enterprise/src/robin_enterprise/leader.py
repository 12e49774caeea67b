"""Leader election: one process of the fleet is the leader, by a lease renewed every few seconds.

Every worker process tries to take the lease ``{ns}:plugin:enterprise:leader`` every
``TRY_EVERY`` seconds; the leader renews it every ``RENEW_EVERY``.  If the leader dies,
its lease lapses after ``LEASE`` seconds and another process takes over within
``TRY_EVERY`` more: **a new leader within LEASE + TRY_EVERY (11 s by default) of the old
one's last renewal.**  A leader that shuts down gives the lease up at once.

``is_leader()`` says whether this process leads now (it stops saying so a little before
its lease would lapse, so two processes never both believe it).  The ``leader`` event
fires when this process becomes leader (``event.data["leader"] is True``) and when it
stops being one (False) - also when it is cut off from the server and its lease runs
out.  Handlers run in order on a thread of their own (an async handler on an event loop
of its own): a slow handler never delays the renewal of the lease.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from importlib import resources

from robin import config, events
from robin.errors import ConfigurationError
from robin.scripts import Script
from robin_enterprise.keys import EnterpriseKeys

log = logging.getLogger("robin")

LEASE = 10.0
RENEW_EVERY = 3.0
TRY_EVERY = 1.0
SAFETY = 0.8  # believe in a lease for this share of its length only

LEAD = Script.from_source("robin_enterprise/lead.lua",
                          resources.files("robin_enterprise").joinpath("scripts", "lead.lua").read_text("utf-8"))


def configure(lease: float | None = None, renew_every: float | None = None, try_every: float | None = None) -> None:
    """Change the timings (shorter ones for tests; the bound is lease + try_every)."""
    global LEASE, RENEW_EVERY, TRY_EVERY
    lease = LEASE if lease is None else float(lease)
    renew_every = RENEW_EVERY if renew_every is None else float(renew_every)
    try_every = TRY_EVERY if try_every is None else float(try_every)
    if min(lease, renew_every, try_every) <= 0:
        raise ConfigurationError("leader.configure: lease, renew_every and try_every must be positive")
    if renew_every >= lease * SAFETY:
        raise ConfigurationError(f"leader.configure: renew_every ({renew_every:g} s) must be well under the lease "
                                 f"({lease:g} s): below {lease * SAFETY:g} s, or the leader loses its lease "
                                 f"between renewals")
    LEASE, RENEW_EVERY, TRY_EVERY = lease, renew_every, try_every


class Leadership:
    """This process's part in the election.  ``step()`` is called by the scheduler thread.

    The ``leader`` event is fired from a thread of its own, in order, so that a slow
    handler never delays the renewal of the lease.
    """

    def __init__(self, identity: str) -> None:
        self.identity = identity
        self.leader = False
        self._valid_until = 0.0
        self._next_try = 0.0
        self._announcements: queue.SimpleQueue[bool | None] = queue.SimpleQueue()
        self._announcer: threading.Thread | None = None

    def step(self) -> bool:
        """Take or renew the lease when it is time; return whether this process leads."""
        asked = time.monotonic()
        if asked < self._next_try:
            self._notice_lapse(asked)
            return self.is_leader()
        client = config.redis_client()
        try:
            held = bool(LEAD(client.redis, [EnterpriseKeys(client.keys).leader],
                             [self.identity, int(LEASE * 1000), "0"]))
        except Exception:
            self._notice_lapse(time.monotonic())  # cut off from the server: the lease runs out here too
            raise
        # The lease runs from when it was asked for, not from when the reply came: a slow
        # reply must not make this process believe in it after the server let it go.
        if held:
            self._valid_until = asked + LEASE * SAFETY
            self._next_try = asked + RENEW_EVERY
        else:
            self._next_try = time.monotonic() + TRY_EVERY
        self._change(held)
        return self.is_leader()

    def _notice_lapse(self, now: float) -> None:
        if self.leader and now >= self._valid_until:
            self._change(False)

    def _change(self, leading: bool) -> None:
        if leading == self.leader:
            return
        self.leader = leading
        log.info("this process %s the leader", "is now" if leading else "is no longer")
        self._announce(leading)

    def _announce(self, leading: bool) -> None:
        self._announcements.put(leading)
        if self._announcer is None:
            self._announcer = threading.Thread(target=self._announce_forever, name="leader-events", daemon=True)
            self._announcer.start()

    def _announce_forever(self) -> None:
        while (leading := self._announcements.get()) is not None:
            events.fire("leader", self.identity, leader=leading)

    def close(self, timeout: float = 5.0) -> None:
        """Deliver the announcements still queued (the last "no longer leader" on shutdown)."""
        if self._announcer is not None:
            self._announcements.put(None)
            self._announcer.join(timeout)
            self._announcer = None

    def is_leader(self) -> bool:
        return self.leader and time.monotonic() < self._valid_until

    def give_up(self) -> None:
        if self.leader:
            self._change(False)
            client = config.redis_client()
            LEAD(client.redis, [EnterpriseKeys(client.keys).leader], [self.identity, 0, "1"])


_current: Leadership | None = None


def current() -> Leadership | None:
    return _current


def set_current(leadership: Leadership | None) -> None:
    global _current
    _current = leadership


def is_leader() -> bool:
    """Whether this process is the fleet's leader right now (False outside a worker)."""
    return _current is not None and _current.is_leader()
