"""Every Redis key Robin Enterprise uses, under core's plug-in prefix ``{ns}:plugin:enterprise:``.

    limiters                      HASH   name -> the limiter's definition (JSON), for robin limiters
    limiter:<name>                ZSET/HASH/STRING  the limiter's state (by kind)
    limiter:<name>:<window>       STRING bucket limiters: grants in one calendar window
    limiter:<name>:over           STRING times a caller gave up waiting (OverLimit)
    unique:<digest>               STRING the jid holding a unique job's lock (expires)
    leader                        STRING the identity of the leader (expires: the lease)
    periodic                      HASH   schedule id -> its definition (JSON), for robin periodic
    periodic:last                 HASH   schedule id -> the last tick handled (unix s)
    periodic:job                  HASH   schedule id -> "<jid> <tick>" of the last enqueued job
    tick:<id>:<tick>              STRING a tick already enqueued (deduplication across leaders)
"""

from __future__ import annotations

from robin.keys import Keys


class EnterpriseKeys:
    def __init__(self, keys: Keys) -> None:
        self.core = keys
        self.prefix = keys.plugin("enterprise", "")  # "{ns}:plugin:enterprise:"
        self.limiters = self.prefix + "limiters"
        self.leader = self.prefix + "leader"
        self.periodic = self.prefix + "periodic"
        self.periodic_last = self.prefix + "periodic:last"
        self.periodic_job = self.prefix + "periodic:job"

    def limiter(self, name: str, part: str = "") -> str:
        return self.prefix + "limiter:" + name + (":" + part if part else "")

    def unique(self, digest: str) -> str:
        return self.prefix + "unique:" + digest

    def tick(self, schedule_id: str, tick_ms: int) -> str:
        return f"{self.prefix}tick:{schedule_id}:{tick_ms}"
