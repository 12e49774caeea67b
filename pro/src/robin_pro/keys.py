"""Every Redis key Robin Pro uses, under core's plug-in prefix ``{ns}:plugin:pro:``.

    batches                   ZSET  bid -> created_at: the index ``robin batches`` lists
    batch:<bid>               HASH  description, created_at, parent, open, token, fired_*
    batch:<bid>:jids          SET   jobs registered in the batch
    batch:<bid>:ran           SET   jobs that ran at least once (succeeded or failed)
    batch:<bid>:succeeded     SET   jobs that succeeded
    batch:<bid>:failed        SET   jobs failing now (failed, not succeeded since)
    batch:<bid>:dead          SET   jobs that died
    batch:<bid>:children      SET   child batches, and :children_complete / :children_succeeded
    batch:<bid>:cb:<event>    LIST  callback payloads to push on complete, success, death
    paused                    SET   names of paused queues
    expired                   STRING jobs dropped because they expired (total)

The Lua scripts build the per-batch names from ``pro_prefix`` (``{ns}:plugin:pro:``);
they are in the namespace's hash slot like every Robin key.
"""

from __future__ import annotations

from robin.keys import Keys


class ProKeys:
    def __init__(self, keys: Keys) -> None:
        self.core = keys
        self.prefix = keys.plugin("pro", "")  # "{ns}:plugin:pro:"
        self.batches = self.prefix + "batches"
        self.paused = self.prefix + "paused"
        self.expired = self.prefix + "expired"

    def batch(self, bid: str, part: str = "") -> str:
        return self.prefix + "batch:" + bid + (":" + part if part else "")
