"""robin.testing: inline and fake modes, and the pytest plug-in as a user's test suite meets it."""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis

import robin
import robin.testing
from robin import config, events
from robin.testing import DrainError, EnqueuedJob, Fake

pytest_plugins = ["pytester"]

ran: list[tuple[str, Any]] = []  # what the jobs below did, in order
# The jobs below have names no other test module uses: the job registry is per process,
# and a test of the unknown-job message counts the jobs that share a function name.


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    ran.clear()
    yield
    ran.clear()


@robin.job
def tally(tag: str, **extra: Any) -> str:
    ran.append(("tally", [tag, extra] if extra else tag))
    return tag


@robin.job
async def atally(tag: str) -> None:
    await asyncio.sleep(0)
    ran.append(("atally", tag))


@robin.job
def mutate(items: list[int], options: dict[str, Any]) -> None:
    ran.append(("mutate", (items, options)))


@robin.job
def fan_out(tag: str, children: int) -> None:
    ran.append(("fan_out", tag))
    for i in range(children):
        tally.enqueue(f"{tag}.{i}")
    atally.enqueue_in(60, f"{tag}.later")


@robin.job
async def afan_out(tag: str) -> None:
    ran.append(("afan_out", tag))
    atally.enqueue(f"{tag}.child")  # an async job enqueueing an async job, inline


@robin.job
def fail(tag: str) -> None:
    ran.append(("fail", tag))
    raise ValueError(f"{tag} went wrong")


@robin.job(queue="low")
def tally_low(tag: str) -> None:
    ran.append(("tally_low", tag))


@robin.job
def forever(n: int) -> None:
    forever.enqueue(n + 1)


@robin.job
def slow_again(tag: str) -> None:
    ran.append(("slow_again", tag))
    if tag == "first":
        raise robin.Reschedule(30, "partner is slow")


# -- middleware used by the tests -------------------------------------------------------------
trail: list[str] = []


class ClientTrail(robin.ClientMiddleware):
    def call(self, ctx: robin.EnqueueContext, call_next: Callable[[], str | None]) -> str | None:
        trail.append(f"client {ctx.job_name}")
        if ctx.payload["args"] == ["blocked"]:
            return None
        ctx.payload["tenant"] = "acme"
        return call_next()


class ServerTrail(robin.ServerMiddleware):
    def call(self, ctx: robin.ExecutionContext, call_next: Callable[[], Any]) -> Any:
        trail.append(f"server> {ctx.job_name} tenant={ctx.payload.get('tenant')}")
        try:
            return call_next()
        finally:
            trail.append(f"<server {ctx.job_name}")


@pytest.fixture
def middleware() -> Iterator[list[str]]:
    trail.clear()
    robin.client_middleware.add(ClientTrail)
    robin.server_middleware.add(ServerTrail)
    yield trail
    robin.client_middleware.remove(ClientTrail)
    robin.server_middleware.remove(ServerTrail)
    trail.clear()


def name(job: robin.Job[..., Any]) -> str:
    return job.name


# == inline mode ===============================================================================
def test_inline_runs_a_job_before_enqueue_returns_its_jid() -> None:
    with robin.testing.inline():
        jid = tally.enqueue("a", size=3)
    assert ran == [("tally", ["a", {"size": 3}])]
    assert isinstance(jid, str) and len(jid) == 24


def test_inline_runs_async_jobs_on_an_event_loop() -> None:
    with robin.testing.inline():
        atally.enqueue("a")
        afan_out.enqueue("b")  # it enqueues an async job from the loop it runs on
    assert ran == [("atally", "a"), ("afan_out", "b"), ("atally", "b.child")]


def test_inline_runs_async_jobs_enqueued_from_inside_a_running_event_loop() -> None:
    async def handler() -> None:
        atally.enqueue("from a coroutine")
        afan_out.enqueue("nested")

    with robin.testing.inline():
        asyncio.run(handler())
    assert ran == [("atally", "from a coroutine"), ("afan_out", "nested"), ("atally", "nested.child")]


def test_inline_gives_the_job_json_copies_of_its_arguments() -> None:
    items, options = [1, 2], {"deep": {"x": 1}}
    with robin.testing.inline():
        mutate.enqueue(items, options)
    [(_, (got_items, got_options))] = ran
    assert got_items == items and got_items is not items
    assert got_options == options and got_options["deep"] is not options["deep"]


def test_inline_rejects_arguments_that_are_not_json_as_production_does() -> None:
    with robin.testing.inline(), pytest.raises(TypeError, match=r"args\[0\]: datetime is not JSON-serializable"):
        tally.enqueue(datetime.now(UTC))  # type: ignore[arg-type]
    with robin.testing.inline(), pytest.raises(TypeError, match=r"cannot enqueue .*tally"):
        tally.enqueue()  # type: ignore[call-arg]
    assert ran == []


def test_inline_runs_client_middleware_then_server_middleware_around_the_job(middleware: list[str]) -> None:
    with robin.testing.inline():
        tally.enqueue("a")
        assert tally.enqueue("blocked") is None  # client middleware stopped it
    assert middleware == [
        f"client {name(tally)}",
        f"server> {name(tally)} tenant=acme",
        f"<server {name(tally)}",
        f"client {name(tally)}",
    ]
    assert ran == [("tally", "a")]


def test_inline_runs_scheduled_jobs_at_once() -> None:
    with robin.testing.inline():
        tally.enqueue_in(3600, "in")
        tally.enqueue_in(timedelta(days=1), "in a day")
        tally.enqueue_at(datetime.now(UTC) + timedelta(hours=1), "at")
    assert ran == [("tally", "in"), ("tally", "in a day"), ("tally", "at")]


def test_inline_runs_every_job_of_enqueue_many() -> None:
    with robin.testing.inline():
        jids = tally.enqueue_many([("a",), ("b",)])
    assert len(jids) == 2 and all(jids)
    assert ran == [("tally", "a"), ("tally", "b")]


def test_inline_raises_the_jobs_exception_in_the_caller_with_a_note_naming_the_job() -> None:
    seen: list[BaseException] = []
    handler = events.on_error(lambda exc, ctx: seen.append(exc))
    try:
        with robin.testing.inline(), pytest.raises(ValueError, match="boom went wrong") as raised:
            fail.enqueue("boom")
    finally:
        events.remove_handler(handler)
    assert any(f"{name(fail)}('boom')" in note for note in raised.value.__notes__)
    assert seen == [raised.value]  # error handlers run, as in a worker


def test_inline_refuses_a_reschedule_it_cannot_honour() -> None:
    with robin.testing.inline(), pytest.raises(robin.Reschedule) as raised:
        slow_again.enqueue("first")
    [note] = raised.value.__notes__
    assert "asked to run again in 30 s, which inline mode cannot do" in note
    assert "robin.testing.fake(): its drain() runs rescheduled jobs" in note


def test_inline_as_a_decorator_of_sync_and_async_functions() -> None:
    mode = robin.testing.inline()

    @mode
    def sync_caller() -> None:
        tally.enqueue("sync")

    @mode
    async def async_caller() -> None:
        atally.enqueue("async")

    sync_caller()
    asyncio.run(async_caller())
    assert ran == [("tally", "sync"), ("atally", "async")]
    assert not mode.active


def test_modes_nest_and_leaving_one_restores_the_one_before() -> None:
    # A backend of our own stands for "whatever was active": asking config.client() with
    # nothing active would create the real client (and start the embedded server).
    before = robin.testing.fake()
    with config.use_client(before):
        with robin.testing.fake() as outer:
            with robin.testing.inline():
                tally.enqueue("inline")
            tally.enqueue("collected")
        assert config.client() is before
    assert ran == [("tally", "inline")]
    assert [j.args for j in outer.jobs()] == [["collected"]]
    assert len(before) == 0


# == fake mode =================================================================================
def test_fake_collects_jobs_per_queue_without_running_them() -> None:
    with robin.testing.fake() as fake:
        jid = tally.enqueue("a")
        tally_low.enqueue("b")
        tally.options(queue="low").enqueue("c")
    assert ran == []
    assert fake.queues() == {"default": 1, "low": 2}
    first = fake.jobs()[0]
    assert (first.jid, first.job, first.args, first.kwargs, first.queue, first.at) == \
        (jid, name(tally), ["a"], {}, "default", None)
    assert [j.args for j in fake.jobs(queue="low")] == [["b"], ["c"]]
    assert [j.args for j in fake.jobs(job=tally)] == [["a"], ["c"]]
    assert [j.args for j in fake.jobs(queue="low", job=name(tally))] == [["c"]]
    assert [j.args for j in fake.jobs(job=tally.options(queue="x"))] == [["a"], ["c"]]


def test_fake_records_when_a_scheduled_job_is_due() -> None:
    when = time.time() + 600
    with robin.testing.fake() as fake:
        tally.enqueue_at(when, "later")
        tally.enqueue_at(time.time() - 5, "past")  # a time gone by means now, as in production
    later, past = fake.jobs()
    assert later.at == when and later.payload["at"] == when
    assert past.at is None and "at" not in past.payload


def test_fake_holds_what_the_real_client_would_push(r: redis.Redis) -> None:
    parity = robin.job(name="tests.parity")(lambda x: None)
    parity.enqueue(1)
    [pushed] = [json.loads(p) for p in r.lrange("{robin}:queue:default", 0, -1)]
    with robin.testing.fake() as fake:
        parity.enqueue(1)
    [collected] = fake.jobs()
    assert collected.payload.keys() == pushed.keys()
    for key in ("job", "queue", "args", "retry"):
        assert collected.payload[key] == pushed[key]
    assert r.llen("{robin}:queue:default") == 1  # the fake sent nothing


def test_fake_runs_client_middleware_and_collects_nothing_it_stops(middleware: list[str]) -> None:
    with robin.testing.fake() as fake:
        assert tally.enqueue("blocked") is None
        tally.enqueue("kept")
    [kept] = fake.jobs()
    assert kept.args == ["kept"] and kept.payload["tenant"] == "acme"
    assert middleware == [f"client {name(tally)}"] * 2


def test_fake_rejects_arguments_that_are_not_json() -> None:
    with robin.testing.fake() as fake, pytest.raises(TypeError, match=r"kwargs\['ids'\]: set"):
        tally.enqueue("a", ids={1, 2})
    assert len(fake) == 0


def test_assert_enqueued_matches_exact_arguments_or_any() -> None:
    with robin.testing.fake() as fake:
        tally.enqueue("a", size=3)
    found = fake.assert_enqueued(tally, "a", size=3)
    assert isinstance(found, EnqueuedJob) and found.kwargs == {"size": 3}
    fake.assert_enqueued(tally)  # no arguments given: any call matches
    fake.assert_enqueued(name(tally), "a", size=3)
    with pytest.raises(AssertionError):
        fake.assert_enqueued(tally, "a")  # size=3 was given too


def test_assert_enqueued_failure_lists_what_was_enqueued() -> None:
    with robin.testing.fake() as fake:
        tally.enqueue("b")
        tally_low.enqueue_in(60, "c")
    with pytest.raises(AssertionError) as raised:
        fake.assert_enqueued(tally, "a", size=3)
    message = str(raised.value)
    assert message.startswith(f"expected {name(tally)}('a', size=3) to be enqueued, but it was not; "
                              f"the fake holds 2 jobs:\n")
    assert f"  {name(tally)}('b') (queue default, jid " in message
    assert f"  {name(tally_low)}('c') (queue low, jid " in message and ", due 20" in message


def test_assert_enqueued_failure_says_when_nothing_was_enqueued() -> None:
    with robin.testing.fake() as fake, pytest.raises(AssertionError, match=r"\(\.\.\.\) to be enqueued, "
                                                                              r"but the fake holds no jobs"):
        fake.assert_enqueued(tally)


def test_assert_not_enqueued_lists_the_jobs_that_match() -> None:
    with robin.testing.fake() as fake:
        tally.enqueue("a")
    fake.assert_not_enqueued(tally, "b")
    fake.assert_not_enqueued(tally_low)
    with pytest.raises(AssertionError, match=rf"expected {name(tally)} not to be enqueued, but the fake holds "
                                             rf"1 job of it:\n  {name(tally)}\('a'\)"):
        fake.assert_not_enqueued(tally)


def test_clear_forgets_every_job_or_one_queues() -> None:
    with robin.testing.fake() as fake:
        tally.enqueue("a")
        tally_low.enqueue("b")
        fake.clear(queue="low")
        assert fake.queues() == {"default": 1}
        fake.clear()
        assert len(fake) == 0
        assert fake.drain() == 0


def test_drain_runs_jobs_and_the_jobs_they_enqueue_in_due_order() -> None:
    with robin.testing.fake() as fake:
        atally.enqueue_in(30, "scheduled first")
        fan_out.enqueue("f", 2)
        tally.enqueue("after")
        assert fake.drain() == 6
    assert ran == [
        ("fan_out", "f"), ("tally", "after"), ("tally", "f.0"), ("tally", "f.1"),
        ("atally", "scheduled first"), ("atally", "f.later"),
    ]
    assert len(fake) == 0


def test_drain_can_leave_jobs_scheduled_for_later() -> None:
    with robin.testing.fake() as fake:
        fan_out.enqueue("f", 1)
        assert fake.drain(scheduled=False) == 2
    assert [j.args for j in fake.jobs()] == [["f.later"]]


def test_drain_of_one_queue_leaves_the_others() -> None:
    with robin.testing.fake() as fake:
        tally.enqueue("a")
        tally_low.enqueue("b")
        assert fake.drain(queue="low") == 1
    assert ran == [("tally_low", "b")]
    assert fake.queues() == {"default": 1}


def test_drain_runs_server_middleware_around_each_job(middleware: list[str]) -> None:
    with robin.testing.fake() as fake:
        atally.enqueue("a")
        fake.drain()
    assert middleware[1:] == [f"server> {name(atally)} tenant=acme", f"<server {name(atally)}"]


def test_drain_after_the_with_block_still_collects_what_jobs_enqueue() -> None:
    with robin.testing.fake() as fake:
        fan_out.enqueue("f", 1)
    assert not fake.active
    assert fake.drain(scheduled=False) == 2
    assert [j.args for j in fake.jobs()] == [["f.later"]]  # collected, not sent to a server


def test_a_failing_job_stops_the_drain_and_the_rest_stay_collected() -> None:
    with robin.testing.fake() as fake:
        tally.enqueue("a")
        fail.enqueue("b")
        tally.enqueue("c")
        with pytest.raises(ValueError, match="b went wrong") as raised:
            fake.drain()
    assert ran == [("tally", "a"), ("fail", "b")]
    [note] = raised.value.__notes__
    assert note.startswith(f"raised by the job {name(fail)}('b') (queue default, jid ")
    assert note.endswith("it is no longer collected, and the jobs not yet run stay collected "
                         "(1 job: fake.jobs() lists them)")
    assert [j.args for j in fake.jobs()] == [["c"]]


def test_drain_gives_up_on_a_job_that_enqueues_itself_forever() -> None:
    with robin.testing.fake() as fake:
        forever.enqueue(0)
        with pytest.raises(DrainError, match=r"ran 50 jobs and 1 job are still due, the next being "
                                             rf"{name(forever)}\(50\)"):
            fake.drain(limit=50)
    assert [j.args for j in fake.jobs()] == [[50]]


def test_drain_runs_a_rescheduled_job_again_with_its_payload_changes() -> None:
    class WaitOnce(robin.ServerMiddleware):
        def call(self, ctx: robin.ExecutionContext, call_next: Callable[[], Any]) -> Any:
            if not ctx.payload.get("waited"):
                ctx.payload["waited"] = True
                ctx.reschedule(30, "partner is slow")
            return call_next()

    robin.server_middleware.add(WaitOnce)
    try:
        with robin.testing.fake() as fake:
            tally.enqueue("a")
            assert fake.drain(scheduled=False) == 1
            [again] = fake.jobs()
            assert again.at is not None and again.at > time.time() + 25
            assert again.payload["waited"] is True
            assert ran == []
            assert fake.drain() == 1
    finally:
        robin.server_middleware.remove(WaitOnce)
    assert ran == [("tally", "a")]


def test_fake_as_a_decorator_starts_each_call_empty() -> None:
    fake = robin.testing.fake()
    counts: list[int] = []

    @fake
    def caller() -> None:
        tally.enqueue("a")
        counts.append(len(fake))

    caller()
    caller()
    assert counts == [1, 1]
    assert isinstance(fake, Fake) and not fake.active


def test_a_fake_collects_from_every_thread() -> None:
    with robin.testing.fake() as fake:
        threads = [threading.Thread(target=tally.enqueue, args=(str(i),)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(j.args[0] for j in fake.jobs()) == [str(i) for i in range(8)]


# == the pytest plug-in ========================================================================
JOBS_APP = '''
import os
import redis
import robin

seen = []

@robin.job
def remember(tag):
    seen.append(tag)

@robin.job
def note(tag):
    redis.Redis.from_url(os.environ["ROBIN_REDIS_URL"]).rpush("notes", f"{tag} pid={os.getpid()}")

@robin.job
async def parent(tag):
    note.enqueue(tag + ".child")
'''

USER_TESTS = '''
import os
import pytest
import robin
import jobs_app


def test_inline_fixture(robin_inline):
    jobs_app.remember.enqueue("a")
    assert jobs_app.seen == ["a"]


def test_fake_fixture(robin_fake):
    jobs_app.remember.enqueue("b")
    robin_fake.assert_enqueued(jobs_app.remember, "b")
    robin_fake.drain()
    assert jobs_app.seen[-1] == "b"


def test_fake_fixture_failure_reads_well(robin_fake):
    robin_fake.assert_enqueued(jobs_app.remember, "never")


def test_server_fixture_points_robin_at_the_server(robin_server):
    assert os.environ["ROBIN_REDIS_URL"] == robin_server.url == robin.config.redis_url()


def test_worker_runs_jobs_against_the_server(robin_redis, robin_worker):
    worker = robin_worker("jobs_app")
    jobs_app.parent.enqueue("x")
    worker.wait_until_idle(timeout=20)
    [entry] = robin_redis.lrange("notes", 0, -1)
    assert entry == f"x.child pid={worker.pid}".encode()


def test_redis_fixture_starts_each_test_empty(robin_redis):
    assert robin_redis.dbsize() == 0


def test_worker_needs_modules(robin_worker):
    with pytest.raises(robin.ConfigurationError, match="robin_worker: no modules to import"):
        robin_worker()
'''


def test_pytest_plugin_fixtures_in_a_users_test_suite(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(jobs_app=JOBS_APP, test_app=USER_TESTS)
    pytester.makeini("[pytest]\nfilterwarnings = error\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=120)
    result.assert_outcomes(passed=6, failed=1)
    result.stdout.fnmatch_lines([
        "E*AssertionError: expected jobs_app.remember('never') to be enqueued, but the fake holds no jobs*",
    ])
    result.stdout.no_fnmatch_line("*robin/testing/fake.py*")  # the failure points at the test, not at Robin


def test_pytest_plugin_worker_imports_the_modules_of_the_ini_option(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(jobs_app=JOBS_APP, test_app='''
import jobs_app

def test_worker(robin_redis, robin_worker):
    worker = robin_worker(concurrency=2)
    jobs_app.note.enqueue_in(0.3, "later")
    worker.wait_until_idle(timeout=20, scheduled=True)
    assert robin_redis.llen("notes") == 1
''')
    pytester.makeini("[pytest]\nfilterwarnings = error\nrobin_worker_modules = jobs_app\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=120)
    result.assert_outcomes(passed=1)


def test_pytest_plugin_lists_its_fixtures(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--fixtures", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["robin_inline*", "robin_fake*", "robin_server*", "robin_redis*",
                                 "robin_worker*"], consecutive=False)


def test_pytest_plugin_imports_no_server_client_or_event_loop() -> None:
    import subprocess

    code = ("import sys, robin.testing.pytest_plugin; "
            "print([m for m in ('redis', 'asyncio', 'robin.client', 'robin.worker') if m in sys.modules])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stderr
