"""The scheduled, retry and dead sets: jobs waiting for a time, and jobs that died.

Each is a sorted set scored by time (due, or died).  Reads go in pages; searches use
ZSCAN with a MATCH pattern, so the server does the filtering; bulk operations
(``retry_all``, ``kill_all``) work through the set a chunk at a time, each job moved
atomically by move.lua.  Nothing ever loads a whole set or blocks the server on it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from robin import scripts
from robin.api.connection import resolve
from robin.api.records import JobRecord
from robin.limits import DEAD_MAX_AGE, DEAD_MAX_JOBS
from robin.payload import encode

if TYPE_CHECKING:
    from robin.client import Client

PAGE = 500
SEARCH_BUDGET = 50_000  # entries one search() call examines at most: a page of results stays fast
Progress = Callable[[int], None]


@dataclass(frozen=True)
class SortedEntry(JobRecord):
    """A job in a sorted set; ``score`` is when it is due (or when it died)."""

    score: float = 0.0
    set_name: str = ""

    def _set(self, client: Client | None) -> JobSet:
        return SETS[self.set_name](client)

    def retry(self, client: Client | None = None) -> bool:
        """Put it on its queue now; False if it was no longer in the set."""
        return self._set(client).move([self], to_dead=False) == 1

    def kill(self, client: Client | None = None) -> bool:
        """Move it to the dead set; False if it was no longer in its set."""
        return self._set(client).move([self], to_dead=True) == 1

    def delete(self, client: Client | None = None) -> bool:
        """Remove it for good; False if it was no longer in the set."""
        c = resolve(client)
        return bool(c.redis.zrem(self._set(client).key, self.raw))


class JobSet:
    """A sorted set of jobs.  ``ScheduledSet``, ``RetrySet`` and ``DeadSet`` are the three."""

    name = ""
    newest_first = False  # default order of iteration

    def __init__(self, client: Client | None = None) -> None:
        self._client = client

    @property
    def client(self) -> Client:
        return resolve(self._client)

    @property
    def key(self) -> str:
        return str(getattr(self.client.keys, self.name))

    @property
    def size(self) -> int:
        return int(self.client.redis.zcard(self.key))

    def __len__(self) -> int:
        return self.size

    def entries(self, *, reverse: bool | None = None) -> Iterator[SortedEntry]:
        """The jobs in order of time (dead: newest first; others: soonest first)."""
        newest_first = self.newest_first if reverse is None else reverse
        redis, key = self.client.redis, self.key
        start = 0
        while True:
            read = redis.zrevrange if newest_first else redis.zrange
            page = read(key, start, start + PAGE - 1, withscores=True)
            for raw, score in page:
                yield self._entry(raw, score)
            if len(page) < PAGE:
                return
            start += PAGE

    def __iter__(self) -> Iterator[SortedEntry]:
        return self.entries()

    def page(self, offset: int, count: int, *, reverse: bool | None = None) -> list[SortedEntry]:
        """``count`` entries from position ``offset`` (for paginated views)."""
        newest_first = self.newest_first if reverse is None else reverse
        read = self.client.redis.zrevrange if newest_first else self.client.redis.zrange
        return [self._entry(raw, score) for raw, score in read(self.key, offset, offset + count - 1, withscores=True)]

    def scan(self, text: str, limit: int | None = None) -> Iterator[SortedEntry]:
        """Entries whose payload contains ``text`` (a job name, an argument...), found by the server."""
        pattern = "*" + _glob_escape(text) + "*"
        for found, (raw, score) in enumerate(self.client.redis.zscan_iter(self.key, match=pattern, count=1000), 1):
            yield self._entry(raw, score)
            if limit is not None and found >= limit:
                return

    def search(self, text: str, *, cursor: str = "0", count: int = 25,
               budget: int = SEARCH_BUDGET) -> SearchPage:
        """A page of entries whose payload contains ``text``, case-insensitively (a job name, an argument).

        The server filters (ZSCAN ... MATCH); one call examines about ``budget`` entries
        at most, so a page costs the same on a set of a million jobs.  Pass the page's
        ``cursor`` to the next call; it is ``None`` when the whole set was searched.
        Entries come in the server's order (not by time); each appears once, unless the
        set changes between calls.
        """
        pattern = "*" + _case_insensitive(json.dumps(text, ensure_ascii=True)[1:-1]) + "*"
        position, skip = _parse_cursor(cursor)
        step = max(100, min(1000, count * 10))
        found: list[SortedEntry] = []
        examined = 0
        redis, key = self.client.redis, self.key
        while True:
            after, batch = redis.zscan(key, position, match=pattern, count=step)
            examined += step
            fresh = batch[skip:]
            if len(found) + len(fresh) > count:  # stop inside this batch: come back to it, skipping what was shown
                taken = count - len(found)
                found += [self._entry(raw, score) for raw, score in fresh[:taken]]
                return SearchPage(found, f"{position}:{skip + taken}", examined)
            found += [self._entry(raw, score) for raw, score in fresh]
            skip = 0
            position = int(after)
            if position == 0:
                return SearchPage(found, None, examined)
            if len(found) == count or examined >= budget:
                return SearchPage(found, str(position), examined)

    def find_job(self, jid: str, score: float | None = None) -> SortedEntry | None:
        """The entry with this jid, or None.  With its ``score`` (when due, or died) it is found at once;
        without, by searching the set."""
        if score is not None:
            needle, start = jid.encode(), 0
            while True:  # a page at a time: many jobs may share one score (enqueued at the same time)
                page = self.client.redis.zrangebyscore(self.key, score, score, start=start, num=PAGE,
                                                       withscores=True)
                for raw, found in page:
                    if needle in raw:  # cheap test first; parse only candidates
                        entry = self._entry(raw, found)
                        if entry.jid == jid:
                            return entry
                if len(page) < PAGE:
                    return None
                start += PAGE
        for entry in self.scan(f'"{jid}"'):
            if entry.jid == jid:
                return entry
        return None

    def remove(self, entries: list[SortedEntry]) -> int:
        """Delete these entries for good (one round trip); return how many were still there."""
        if not entries:
            return 0
        return int(self.client.redis.zrem(self.key, *[e.raw for e in entries]))

    def move(self, entries: list[SortedEntry], *, to_dead: bool) -> int:
        """Move entries to their queues (or to the dead set), each atomically; return how many moved."""
        if not entries:
            return 0
        now = time.time()
        moves = [(e.raw, _killed(e, now) if to_dead else _retried(e, now), "" if to_dead else (e.queue or "default"))
                 for e in entries]
        c = self.client
        return scripts.move(c.redis, c.keys, self.key, moves, now=now, dead_max=DEAD_MAX_JOBS, dead_age=DEAD_MAX_AGE)

    def retry_all(self, progress: Progress | None = None) -> int:
        """Put every job of the set on its queue, a chunk at a time; return how many moved."""
        return self._move_all(to_dead=False, progress=progress)

    def kill_all(self, progress: Progress | None = None) -> int:
        """Move every job of the set to the dead set, a chunk at a time."""
        return self._move_all(to_dead=True, progress=progress)

    def _move_all(self, *, to_dead: bool, progress: Progress | None) -> int:
        total = 0
        stuck: list[bytes] = []
        while True:
            chunk = self.page(0, PAGE, reverse=False)  # always the first chunk: moved ones leave the set
            if not chunk or [e.raw for e in chunk] == stuck:
                return total  # empty, or the same entries again: their destination refuses them
            moved = self.move(chunk, to_dead=to_dead)
            total += moved
            if progress is not None:
                progress(moved)
            stuck = [e.raw for e in chunk] if moved == 0 else []

    def clear(self) -> int:
        """Remove every job of the set (freed in the background); return how many."""
        pipe = self.client.redis.pipeline(transaction=True)
        pipe.zcard(self.key)
        pipe.unlink(self.key)
        size, _ = pipe.execute()
        return int(size)

    def _entry(self, raw: bytes, score: float) -> SortedEntry:
        record = JobRecord.parse(raw)
        return SortedEntry(record.raw, record.payload, record.valid, float(score), self.name)

    def __repr__(self) -> str:
        return f"<robin {type(self).__name__}>"


@dataclass(frozen=True)
class SearchPage:
    """What :meth:`JobSet.search` found: ``entries``, and the ``cursor`` of the next page (None: no more)."""

    entries: list[SortedEntry] = field(default_factory=list)
    cursor: str | None = None
    examined: int = 0


class ScheduledSet(JobSet):
    """Jobs enqueued with ``enqueue_in``/``enqueue_at``, by the time they are due."""

    name = "schedule"


class RetrySet(JobSet):
    """Failed jobs waiting for their next attempt, by the time it is due."""

    name = "retry"


class DeadSet(JobSet):
    """Jobs that will not run again unless retried by hand, newest first."""

    name = "dead"
    newest_first = True


SETS: dict[str, type[JobSet]] = {"schedule": ScheduledSet, "retry": RetrySet, "dead": DeadSet}


def _retried(entry: SortedEntry, now: float) -> str:
    if not entry.valid:
        return entry.raw.decode("utf-8", "replace")  # a malformed job goes back as it is: the worker dead-letters it
    payload = dict(entry.payload)
    payload["enqueued_at"] = now
    payload.pop("at", None)
    payload.pop("dead_reason", None)
    return encode(payload)


def _killed(entry: SortedEntry, now: float) -> str:
    payload: dict[str, object] = (dict(entry.payload) if entry.valid
                                  else {"raw": entry.raw.decode("utf-8", "replace")})
    payload.setdefault("jid", entry.jid or "unknown")
    payload["dead_reason"] = "killed by hand"
    payload["failed_at"] = payload.get("failed_at") or now
    return encode(payload)


MAX_CURSOR = 2**63  # SCAN cursors are unsigned 64-bit; anything past is junk


def _parse_cursor(cursor: str) -> tuple[int, int]:
    """``"<scan cursor>:<skip>"`` (from a previous page) -> the two numbers; junk (not digits,
    too large) starts over: ``(0, 0)``."""
    scan_text, _, skip_text = (cursor or "").partition(":")
    if not scan_text.isascii() or not skip_text.isascii():
        return 0, 0
    if not (scan_text or "0").isdigit() or not (skip_text or "0").isdigit() or len(scan_text) > 20 \
            or len(skip_text) > 6:
        return 0, 0
    position, skip = int(scan_text or 0), int(skip_text or 0)
    if position >= MAX_CURSOR:
        return 0, 0
    return position, skip


def _glob_escape(text: str) -> str:
    return "".join("\\" + ch if ch in "*?[]\\" else ch for ch in text)


def _case_insensitive(text: str) -> str:
    """A glob pattern matching ``text`` literally, in any case: ``Ab*`` -> ``[aA][bB]\\*``."""
    return "".join(f"[{ch.lower()}{ch.upper()}]" if ch.lower() != ch.upper() else _glob_escape(ch) for ch in text)
