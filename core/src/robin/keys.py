"""Every Redis key name Robin uses, in one place.

Key layout (``ns`` is the namespace, ``robin`` by default)::

    {ns}:queues                    SET   names of queues that ever received a job
    {ns}:queue:<name>              LIST  payloads waiting; LPUSH new, RPOP oldest
    {ns}:ready:<name>              LIST  wake-up tokens for idle workers (a few at most)
    {ns}:schedule                  ZSET  payload -> unix time it is due (enqueue_in/at)
    {ns}:retry                     ZSET  payload -> unix time of its next attempt
    {ns}:dead                      ZSET  payload -> unix time it died (capped by size/age)
    {ns}:processes                 ZSET  identity -> unix time of its last heartbeat
    {ns}:process:<id>              HASH  a live process: info, beat, busy, quiet (TTL = lease)
    {ns}:work:<id>                 HASH  what a process runs now: thread -> job (TTL = lease)
    {ns}:inflight:<id>             LIST  payloads a process has fetched and not yet settled
    {ns}:started:<id>              SET   jids of recovered jobs a process has started
    {ns}:signals:<id>              LIST  remote commands for a process (quiet, stop)
    {ns}:wake:<id>                 LIST  a token here interrupts a process' blocking wait
    {ns}:stat:processed[:<day>]    STRING counters, total and per UTC day
    {ns}:stat:failed[:<day>]       STRING
    {ns}:metrics:<YYYYMMDDHH>      HASH  per job and UTC hour: executions, failures, time, histogram
    {ns}:plugin:<name>:...         anything a plug-in keeps (see :meth:`Keys.plugin`)

Why the braces: the namespace in braces is a Redis Cluster *hash tag*, so every key of a
namespace lives in one hash slot.  Every multi-key operation (Lua scripts, MULTI,
blocking pops over several lists) therefore works on a cluster and on managed services
that enforce slot rules.  Lua scripts that build a key from a payload (a job's queue)
build it from the same ``{ns}:`` prefix, so it is in the same slot too.  To spread one
application over several cluster nodes, give parts of it different namespaces.
"""

from __future__ import annotations

import re

from robin.errors import ConfigurationError

_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,128}$")


def check_name(kind: str, name: str) -> str:
    """Validate a queue or namespace name: letters, digits, ``_ . -``; at most 128 chars."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConfigurationError(
            f"invalid {kind} name {name!r}: use 1-128 letters, digits, '_', '.' or '-'"
        )
    return name


class Keys:
    """Key names of one namespace.  Cheap to build; every attribute is a plain ``str``."""

    __slots__ = (
        "dead",
        "failed",
        "namespace",
        "prefix",
        "processed",
        "processes",
        "queues",
        "retry",
        "schedule",
    )

    def __init__(self, namespace: str = "robin") -> None:
        check_name("namespace", namespace)
        self.namespace = namespace
        self.prefix = "{" + namespace + "}:"
        p = self.prefix
        self.queues = p + "queues"
        self.schedule = p + "schedule"
        self.retry = p + "retry"
        self.dead = p + "dead"
        self.processes = p + "processes"
        self.processed = p + "stat:processed"
        self.failed = p + "stat:failed"

    # Per-queue keys.  The Lua scripts build these same names from ``prefix`` (see
    # scripts/lib.lua): keep the two in step.
    def queue(self, name: str) -> str:
        return self.prefix + "queue:" + name

    def ready(self, name: str) -> str:
        return self.prefix + "ready:" + name

    # Per-process keys.
    def process(self, identity: str) -> str:
        return self.prefix + "process:" + identity

    def work(self, identity: str) -> str:
        return self.prefix + "work:" + identity

    def inflight(self, identity: str) -> str:
        return self.prefix + "inflight:" + identity

    def started(self, identity: str) -> str:
        return self.prefix + "started:" + identity

    def signals(self, identity: str) -> str:
        return self.prefix + "signals:" + identity

    def wake(self, identity: str) -> str:
        return self.prefix + "wake:" + identity

    # Statistics.
    def processed_on(self, day: str) -> str:
        return self.processed + ":" + day

    def failed_on(self, day: str) -> str:
        return self.failed + ":" + day

    def metrics(self, hour: str) -> str:
        """Per-job metrics of one UTC hour, ``hour`` as ``YYYYMMDDHH``."""
        return self.prefix + "metrics:" + hour

    def plugin(self, plugin: str, *parts: str) -> str:
        """A key for a plug-in's own data, in the namespace's hash slot."""
        return self.prefix + "plugin:" + ":".join((plugin, *parts))
