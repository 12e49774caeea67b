"""Leader election: one process of the fleet is the leader, by a lease renewed every few seconds.

Every worker process tries to take the lease ``{ns}:plugin:enterprise:leader`` every
``TRY_EVERY`` seconds; the leader renews it every ``RENEW_EVERY``.  If the leader dies,
its lease lapses after ``LEASE`` seconds and another process takes over within
``TRY_EVERY`` more: **a new leader within LEASE + TRY_EVERY (11 s by default) of the old
one's last renewal.**  A leader that shuts down gives the lease up at once.

``is_leader()`` says whether this process leads now (it stops saying so a little before
its lease would lapse, so two processes never both believe it).  The ``leader`` event
fires when this process becomes leader (``event.data["leader"] is True``) and when it
stops being one (False).
"""

from __future__ import annotations

import logging
import time
from importlib import resources

from robin import config, events
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
    LEASE = lease if lease is not None else LEASE
    RENEW_EVERY = renew_every if renew_every is not None else RENEW_EVERY
    TRY_EVERY = try_every if try_every is not None else TRY_EVERY


class Leadership:
    def __init__(self, identity: str) -> None:
        self.identity = identity
        self.leader = False
        self._valid_until = 0.0
        self._next_try = 0.0

    def step(self) -> bool:
        """Take or renew the lease when it is time; return whether this process leads."""
        now = time.monotonic()
        if now < self._next_try:
            return self.is_leader()
        client = config.redis_client()
        held = bool(LEAD(client.redis, [EnterpriseKeys(client.keys).leader],
                         [self.identity, int(LEASE * 1000), "0"]))
        now = time.monotonic()
        if held:
            self._valid_until = now + LEASE * SAFETY
            self._next_try = now + RENEW_EVERY
        else:
            self._next_try = now + TRY_EVERY
        if held != self.leader:
            self.leader = held
            log.info("this process %s the leader", "is now" if held else "is no longer")
            events.fire("leader", self.identity, leader=held)
        return self.is_leader()

    def is_leader(self) -> bool:
        return self.leader and time.monotonic() < self._valid_until

    def give_up(self) -> None:
        if self.leader:
            client = config.redis_client()
            LEAD(client.redis, [EnterpriseKeys(client.keys).leader], [self.identity, 0, "1"])
            self.leader = False
            events.fire("leader", self.identity, leader=False)


_current: Leadership | None = None


def current() -> Leadership | None:
    return _current


def set_current(leadership: Leadership | None) -> None:
    global _current
    _current = leadership


def is_leader() -> bool:
    """Whether this process is the fleet's leader right now (False outside a worker)."""
    return _current is not None and _current.is_leader()
