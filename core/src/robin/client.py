"""The client: build payloads, run client middleware, push jobs to Redis.

One enqueue is one round trip: ``push.lua`` puts the job on its queue, records the
queue name and wakes an idle worker in a single EVALSHA.  ``enqueue_many`` sends up to
1,000 jobs per round trip.  Scheduled jobs go to the schedule set with one ZADD.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import redis
from redis.exceptions import NoScriptError

from robin import plugins, scripts
from robin.context import EnqueueContext
from robin.errors import ArgumentError, RobinError
from robin.keys import Keys, check_name
from robin.middleware import client_middleware
from robin.payload import Payload, check_arguments, encode, new_jid
from robin.server import (
    AUTH_ERRORS,
    CONNECTION_ERRORS,
    Target,
    connect,
    lean_call,
    lean_pipeline,
    refused,
    rejected,
    resolve,
    resp_bulk,
    resp_command,
    unreachable,
)

if TYPE_CHECKING:
    from robin.job import Job, JobOptions

BULK_CHUNK = 1000

class Client:
    """Pushes jobs to one server and namespace.  Thread-safe; share one per process."""

    def __init__(self, target: Target, namespace: str = "robin") -> None:
        self.target = target
        self.keys = Keys(namespace)
        self.redis: redis.Redis = connect(target)
        self._push_keys: dict[str, tuple[str, str, str]] = {}
        self._push_prefix: dict[str, bytes] = {}
        plugins.load()  # plug-ins may add client middleware: load before the first push

    @classmethod
    def from_settings(cls, redis_url: str | None, namespace: str) -> Client:
        return cls(resolve(redis_url), namespace)

    def close(self) -> None:
        self.redis.close()


    # -- one job -----------------------------------------------------------------------
    def enqueue(self, job: Job[..., Any] | None, name: str, args: Sequence[Any], kwargs: dict[str, Any],
                options: JobOptions, at: float | None = None) -> str | None:
        """Build, pass through client middleware, push; return the jid or ``None`` if stopped."""
        payload = build_payload(name, args, kwargs, options, time.time())
        if not len(client_middleware):
            return self._push(payload, at)  # no context to build when nobody looks at it
        ctx = EnqueueContext(payload, job, options.all(), at)
        return client_middleware.invoke(ctx, lambda: self._submit(ctx))

    def _submit(self, ctx: EnqueueContext) -> str | None:
        if ctx.push is not None:  # a middleware took over the push of this job
            return ctx.push(ctx)
        return self._push(ctx.payload, ctx.at)

    def _push(self, payload: Payload, at: float | None) -> str:
        queue = payload["queue"]
        prefix = self._push_prefix.get(queue) if type(queue) is str else None
        if prefix is None:
            prefix = self._push_prefix_for(queue)
        scheduled = at is not None and at > time.time()
        if scheduled:
            payload["at"] = payload["enqueued_at"] = at
        data = _encode(payload)
        try:
            if scheduled:
                self.redis.zadd(self.keys.schedule, {data: at})
            else:
                # push.lua: the constant part of the command is encoded once per queue
                command = prefix + resp_bulk(data.encode("ascii"))  # the JSON is ASCII (payload.py)
                try:
                    lean_call(self.redis, command)
                except NoScriptError:
                    self.redis.execute_command("SCRIPT", "LOAD", scripts.PUSH.source)
                    lean_call(self.redis, command)
        except (redis.exceptions.RedisError, OSError) as exc:  # inline, not _talking: this is the hot path
            error = self._failed(exc, f"enqueue {payload['job']}")
            if error is None:
                raise
            raise error from exc
        return str(payload["jid"])

    def _push_prefix_for(self, queue: Any) -> bytes:
        """``EVALSHA <push.lua> 3 <keys> <queue>`` in RESP, waiting only for the payload."""
        keys = self._keys_for(queue)
        prefix = resp_command("EVALSHA", scripts.PUSH.sha, "3", *keys, queue, to_come=1)  # the payload
        self._push_prefix[queue] = prefix
        return prefix

    def _failed(self, exc: BaseException, doing: str) -> RobinError | None:
        """Robin's error for redis-py's ``exc``, saying what to do; None to raise ``exc`` as it is."""
        if isinstance(exc, AUTH_ERRORS):
            return rejected(self.target, exc, doing)
        if isinstance(exc, CONNECTION_ERRORS):
            return unreachable(self.target, exc, doing)
        if isinstance(exc, redis.exceptions.ResponseError):
            return refused(self.target, exc, doing)
        return None

    @contextlib.contextmanager
    def _talking(self, doing: str) -> Iterator[None]:
        """Turn redis-py's errors into Robin's, each saying what to do."""
        try:
            yield
        except (redis.exceptions.RedisError, OSError) as exc:
            error = self._failed(exc, doing)
            if error is None:
                raise
            raise error from exc

    def _keys_for(self, queue: Any) -> tuple[str, str, str]:
        if type(queue) is not str:
            raise ArgumentError(f"payload 'queue' must be a str, not {type(queue).__name__}")
        check_name("queue", queue)
        keys = (self.keys.queue(queue), self.keys.queues, self.keys.ready(queue))
        self._push_keys[queue] = keys
        return keys

    # -- many jobs ---------------------------------------------------------------------
    def enqueue_many(self, job: Job[..., Any] | None, name: str, items: Iterable[Sequence[Any]],
                     options: JobOptions) -> list[str | None]:
        """Enqueue one job per item (a tuple of positional args), in chunks of 1,000."""
        jids: list[str | None] = []
        chunk: list[EnqueueContext] = []
        try:
            self._enqueue_chunks(job, name, items, options, jids, chunk)
        except BaseException:
            for ctx in chunk:  # accepted by the chain, never pushed: middleware frees what it held
                ctx.abandon()
            raise
        return jids

    def _enqueue_chunks(self, job: Job[..., Any] | None, name: str, items: Iterable[Sequence[Any]],
                        options: JobOptions, jids: list[str | None], chunk: list[EnqueueContext]) -> None:
        if not len(client_middleware):
            self._enqueue_plain(name, items, options, jids)
            return
        everything = options.all()
        for i, item in enumerate(items):
            _check_item(i, item)
            ctx = EnqueueContext(build_payload(name, item, {}, options, time.time()), job, dict(everything), None)
            jids.append(self._through_chain(ctx, chunk))
            if len(chunk) >= BULK_CHUNK:
                self._push_bulk([(c.payload, c.at) for c in chunk], name)
                chunk.clear()
        if chunk:
            self._push_bulk([(c.payload, c.at) for c in chunk], name)
            chunk.clear()

    def _enqueue_plain(self, name: str, items: Iterable[Sequence[Any]], options: JobOptions,
                       jids: list[str | None]) -> None:
        """enqueue_many without client middleware: no context per job, nothing to abandon."""
        chunk: list[tuple[Payload, float | None]] = []
        for i, item in enumerate(items):
            _check_item(i, item)
            payload = build_payload(name, item, {}, options, time.time())
            jids.append(payload["jid"])
            chunk.append((payload, None))
            if len(chunk) >= BULK_CHUNK:
                self._push_bulk(chunk, name)
                chunk = []
        if chunk:
            self._push_bulk(chunk, name)

    @staticmethod
    def _through_chain(ctx: EnqueueContext, chunk: list[EnqueueContext]) -> str | None:
        """Pass one job of a bulk enqueue through client middleware; add it to ``chunk`` if accepted."""
        def collect() -> str | None:
            if ctx.push is not None:  # a middleware took over the push of this job
                return ctx.push(ctx)
            chunk.append(ctx)
            return ctx.jid

        return client_middleware.invoke(ctx, collect)

    def _push_bulk(self, jobs: list[tuple[Payload, float | None]], name: str) -> None:
        """Push (payload, due time or None) pairs: one round trip for every queue and the schedule."""
        now = time.time()
        by_queue: dict[str, list[bytes]] = {}
        scheduled: dict[str, float] = {}
        for payload, at in jobs:
            if at is not None and at > now:
                payload["at"] = payload["enqueued_at"] = at
                scheduled[_encode(payload)] = at
            else:
                queue = payload["queue"]
                datas = by_queue.get(queue) if type(queue) is str else None
                if datas is None:
                    self._keys_for(queue)
                    datas = by_queue[queue] = []
                datas.append(_encode(payload).encode("ascii"))  # the JSON is ASCII (payload.py)
        with self._talking(f"enqueue {name} jobs"):
            if by_queue:
                self._push_packed([self._push_command(queue, datas) for queue, datas in by_queue.items()])
            if scheduled:
                self.redis.zadd(self.keys.schedule, scheduled)

    def _push_command(self, queue: str, datas: list[bytes]) -> bytes:
        """push.lua for ``datas`` on ``queue``, encoded in RESP."""
        head = resp_command("EVALSHA", scripts.PUSH.sha, "3", *self._push_keys[queue], queue, to_come=len(datas))
        return head + b"".join([resp_bulk(data) for data in datas])

    def _push_packed(self, commands: list[bytes]) -> None:
        """Send push commands in one round trip; load push.lua and send again those that missed it."""
        replies = lean_pipeline(self.redis, commands)
        missed = [command for command, reply in zip(commands, replies, strict=True) if isinstance(reply, NoScriptError)]
        if missed:
            self.redis.execute_command("SCRIPT", "LOAD", scripts.PUSH.source)
            replies = lean_pipeline(self.redis, missed)
        for reply in replies:
            if isinstance(reply, BaseException):
                raise reply


def _check_item(i: int, item: object) -> None:
    if not isinstance(item, (tuple, list)):
        raise ArgumentError(f"enqueue_many item {i}: {type(item).__name__} given; each item "
                            f"must be a tuple of positional arguments, e.g. (42,)")


def build_payload(name: str, args: Sequence[Any], kwargs: dict[str, Any], options: JobOptions,
                  now: float) -> Payload:
    """The payload of a new job (arguments are checked here); the test modes build theirs the same way."""
    check_arguments(args, kwargs)
    payload: Payload = {
        "jid": new_jid(),
        "job": name,
        "queue": options.queue,
        "args": list(args),
        "retry": options.retry,
        "created_at": now,
        "enqueued_at": now,
    }
    if kwargs:
        payload["kwargs"] = kwargs
    if options.payload_extra:
        payload.update(options.payload_extra)
    return payload


def _encode(payload: Payload) -> str:
    try:
        return encode(payload)
    except (TypeError, ValueError) as exc:
        raise ArgumentError(f"the payload of {payload.get('job')} cannot be JSON-encoded after client "
                            f"middleware ran ({exc}); middleware may only add JSON-native values") from None
