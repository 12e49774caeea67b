"""@robin.job and the enqueue API: payload shape, options, scheduling, bulk, errors."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
import redis

import robin
from robin.job import registered
from tests.apps import jobs

NS = "{robin}:"


def queued(r: redis.Redis, queue: str = "default") -> list[dict]:
    return [json.loads(p) for p in reversed(r.lrange(NS + f"queue:{queue}", 0, -1))]


def scheduled(r: redis.Redis) -> list[tuple[dict, float]]:
    return [(json.loads(p), s) for p, s in r.zrange(NS + "schedule", 0, -1, withscores=True)]


def test_decorator_registers_and_calling_runs_the_function(r: redis.Redis) -> None:
    @robin.job
    def add(a: int, b: int = 1) -> int:
        return a + b

    assert add(2, b=3) == 5
    assert registered(add.name) is add
    assert add.name.endswith("test_job.add") or add.name.endswith("<locals>.add")
    assert add.job_options.queue == "default" and add.job_options.retry == 25
    assert r.llen(NS + "queue:default") == 0  # calling does not enqueue


def test_enqueue_pushes_a_json_payload_in_one_round_trip(r: redis.Redis) -> None:
    before = time.time()
    jid = jobs.record.enqueue("a", extra=1)
    assert isinstance(jid, str) and len(jid) == 24
    [payload] = queued(r)
    assert payload["jid"] == jid
    assert payload["job"] == "tests.apps.jobs.record"
    assert payload["queue"] == "default"
    assert payload["args"] == ["a"] and payload["kwargs"] == {"extra": 1}
    assert payload["retry"] == 25
    assert before <= payload["created_at"] == payload["enqueued_at"] <= time.time()
    assert r.smembers(NS + "queues") == {b"default"}


def test_async_jobs_enqueue_the_same_way(r: redis.Redis) -> None:
    assert jobs.arecord.is_async
    jid = jobs.arecord.enqueue("x")
    assert queued(r)[0]["jid"] == jid


def test_options_override_per_call_without_changing_the_job(r: redis.Redis) -> None:
    jobs.record.options(queue="low", retry=0).enqueue("a")
    jobs.record.options(retry=False).enqueue("b")
    assert queued(r, "low")[0]["retry"] == 0
    assert queued(r)[0]["retry"] is False
    assert jobs.record.job_options.queue == "default"


def test_enqueue_in_and_enqueue_at_go_to_the_schedule_set(r: redis.Redis) -> None:
    now = time.time()
    jobs.record.enqueue_in(30, "in-seconds")
    jobs.record.enqueue_in(timedelta(minutes=2), "in-timedelta")
    when = datetime.now(UTC) + timedelta(hours=1)
    jobs.record.enqueue_at(when, "at")
    entries = {p["args"][0]: (p, score) for p, score in scheduled(r)}
    assert entries["in-seconds"][1] == pytest.approx(now + 30, abs=2)
    assert entries["in-timedelta"][1] == pytest.approx(now + 120, abs=2)
    assert entries["at"][1] == pytest.approx(when.timestamp(), abs=0.01)
    payload = entries["at"][0]
    assert payload["at"] == payload["enqueued_at"] == pytest.approx(when.timestamp())
    assert r.llen(NS + "queue:default") == 0


def test_enqueue_at_in_the_past_enqueues_now(r: redis.Redis) -> None:
    jobs.record.enqueue_at(datetime.now(UTC) - timedelta(days=1), "late")
    assert queued(r)[0]["args"] == ["late"]
    assert r.zcard(NS + "schedule") == 0


def test_enqueue_at_refuses_a_naive_datetime(r: redis.Redis) -> None:
    with pytest.raises(robin.ConfigurationError, match="no timezone"):
        jobs.record.enqueue_at(datetime.now(), "x")


def test_enqueue_many_pushes_in_bulk_and_returns_every_jid(r: redis.Redis) -> None:
    jids = jobs.record.enqueue_many([(str(i),) for i in range(2500)])
    assert len(jids) == 2500 and len(set(jids)) == 2500
    payloads = queued(r)
    assert [p["args"][0] for p in payloads] == [str(i) for i in range(2500)]
    assert [p["jid"] for p in payloads] == jids


def test_enqueue_many_names_a_bad_item(r: redis.Redis) -> None:
    with pytest.raises(TypeError, match="item 1: int given"):
        jobs.record.enqueue_many([("a",), 5])  # type: ignore[list-item]


def test_non_json_argument_raises_type_error_at_enqueue(r: redis.Redis) -> None:
    with pytest.raises(TypeError, match=r"args\[0\]\['when'\]: datetime is not JSON-serializable"):
        jobs.record.enqueue({"when": datetime.now(UTC)})  # type: ignore[arg-type]
    assert r.llen(NS + "queue:default") == 0


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"retry": -1}, "retry=-1"),
        ({"retry": "3"}, "retry='3'"),
        ({"queue": "bad queue"}, "invalid queue name 'bad queue'"),
        ({"backoff": 5}, "backoff must be a callable"),
        ({"unique_for": 60}, "unique_for requires robin-enterprise"),
        ({"expires_in": 60}, "expires_in requires robin-pro"),
        ({"colour": "red"}, "unknown job option 'colour'"),
    ],
)
def test_invalid_options_fail_at_decoration_time(options: dict, message: str, core_only: None) -> None:
    with pytest.raises(robin.ConfigurationError, match=message):
        robin.job(**options)(lambda: None)


def test_invalid_per_call_option_fails_before_enqueue(r: redis.Redis) -> None:
    with pytest.raises(robin.ConfigurationError, match="unknown job option 'priority'"):
        jobs.record.options(priority=1)


def test_retry_true_means_the_default(r: redis.Redis) -> None:
    @robin.job(retry=True)
    def task() -> None: ...

    assert task.job_options.retry == 25


def test_two_different_functions_cannot_share_a_name() -> None:
    robin.job(name="tests.shared-name")(lambda: 1)
    with pytest.raises(robin.ConfigurationError, match="two different jobs are named"):

        @robin.job(name="tests.shared-name")
        def other() -> None: ...


def test_enqueue_without_a_server_raises_connection_error_with_masked_url() -> None:
    from tests.support.server import free_port

    robin.configure(redis_url=f"redis://app:s3cret@127.0.0.1:{free_port()}/0")
    try:
        with pytest.raises(robin.ConnectionError) as caught:
            jobs.record.enqueue("x")
    finally:
        robin.configure(redis_url="")
    message = str(caught.value)
    assert "s3cret" not in message
    assert "redis://app:***@127.0.0.1" in message
    assert "not reachable" in message and "check the redis_url given to robin.configure()" in message
    assert isinstance(caught.value, ConnectionError)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: jobs.flaky.enqueue("a", 1, 2), "too many positional arguments"),
        (lambda: jobs.flaky.enqueue("a"), "missing a required argument: 'failures'"),
        (lambda: jobs.sleepy.enqueue("a", seconds=1, colour="red"), "unexpected keyword argument 'colour'"),
        (lambda: jobs.flaky.enqueue_in(5, "a"), "missing a required argument: 'failures'"),
        (lambda: jobs.flaky.enqueue_many([("a", 1), ("b",)]), "enqueue_many item 1: cannot enqueue"),
    ],
)
def test_a_call_that_does_not_fit_the_signature_fails_at_enqueue(r: redis.Redis, call, message: str) -> None:
    with pytest.raises(TypeError, match=message) as caught:
        call()
    assert "(the job is tests.apps.jobs." in str(caught.value)
    assert r.llen(NS + "queue:default") == 0 and r.zcard(NS + "schedule") == 0


def test_calls_that_fit_the_signature_are_accepted(r: redis.Redis) -> None:
    jobs.sleepy.enqueue("a", seconds=0.1)
    jobs.record.enqueue("b", any_keyword=1)  # **extra accepts it
    assert r.llen(NS + "queue:default") == 2


def test_a_misspelt_option_gets_a_suggestion() -> None:
    with pytest.raises(robin.ConfigurationError, match="unknown job option 'retries'; did you mean 'retry'"):
        robin.job(retries=3)(lambda: None)


def test_an_unknown_job_message_points_at_a_module_name_mismatch() -> None:
    from robin.execution import unknown_job_message

    message = unknown_job_message("myapp.tests.apps.jobs.record")
    assert "but tests.apps.jobs.record is" in message and "imported the module under another name" in message
    assert "give -r the module path the client imports (myapp.tests.apps.jobs)" in message


def test_enqueue_survives_killed_connections_and_a_flushed_script_cache(r: redis.Redis) -> None:
    """The push path keeps its own encoded command and pooled connections: both can go stale."""
    jobs.record.enqueue("warm")
    r.execute_command("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes")  # the client's pooled connection dies
    r.script_flush()  # and push.lua is gone from the server
    jid = jobs.record.enqueue("é ü 😀 \u2028", nested=["<b>", None, 1.5])  # non-ASCII, escaped to ASCII JSON
    jids = jobs.record.enqueue_many([(f"bulk {i}",) for i in range(1500)])  # two chunks, one push each
    payloads = queued(r)
    assert [p["jid"] for p in payloads] == [payloads[0]["jid"], jid, *jids]
    assert payloads[1]["args"] == ["é ü 😀 \u2028"] and payloads[1]["kwargs"] == {"nested": ["<b>", None, 1.5]}
    assert payloads[-1]["args"] == ["bulk 1499"]
