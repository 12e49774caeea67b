"""A job that depends on a plug-in the worker lacks is never dropped silently (robin.needs)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis

import robin
from robin import needs, plugins
from tests.apps import jobs
from tests.conftest import results, wait_until
from tests.support.worker import Worker

NS = "{robin}:"


class MarkGizmo(robin.ClientMiddleware):
    """Stands for a plug-in's client middleware: jobs tagged "needs"/"uses" depend on robin-gizmo."""

    def call(self, ctx: robin.EnqueueContext, call_next: Callable[[], str | None]) -> str | None:
        tag = ctx.payload["args"][0]
        if tag.startswith(("needs", "uses")):
            needs.mark(ctx.payload, "gizmos", "robin-gizmo", required=tag.startswith("needs"))
        return call_next()


@pytest.fixture
def marking() -> Iterator[None]:
    robin.client_middleware.add(MarkGizmo)
    yield
    robin.client_middleware.remove(MarkGizmo)


def test_mark_records_the_feature_and_its_distribution() -> None:
    payload: dict[str, Any] = {"job": "j"}
    needs.mark(payload, "batch", "robin-pro", required=True)
    needs.mark(payload, "expires_in", "robin-pro", required=False)
    needs.mark(payload, "unique", "robin-enterprise", required=False)
    assert payload["needs"] == {"batch": "robin-pro"}
    assert payload["uses"] == {"expires_in": "robin-pro", "unique": "robin-enterprise"}


def test_a_loaded_distribution_satisfies_the_check_whatever_its_spelling(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROBIN_DISABLE_PLUGINS", "1")
    plugins.reset_for_tests()
    try:
        payload: dict[str, Any] = {"job": "j"}
        needs.mark(payload, "gizmos", "Robin_Gizmo", required=True)
        with pytest.raises(robin.PluginMissingError, match=r"needs Robin_Gizmo \(gizmos\), which is not loaded"):
            needs.check(payload)
        plugins.register(robin.Plugin(name="Gizmo", robin_major=1), distribution="robin-gizmo", version="1.0.0")
        needs.check(payload)  # no error
    finally:
        plugins.reset_for_tests()


def test_a_worker_without_the_plugin_fails_a_job_that_needs_it_and_runs_one_that_uses_it(
    r: redis.Redis, marking: None, workers: Callable[..., Worker]
) -> None:
    needed = jobs.record.options(retry=0).enqueue("needs-1")
    jobs.record.enqueue("uses-1")
    jobs.record.enqueue("uses-2")
    jobs.record.enqueue("plain")
    worker = workers().ready()
    wait_until(lambda: len(results(r)) == 3 and r.zcard(NS + "dead") == 1)
    assert sorted(e["tag"] for e in results(r)) == ["plain", "uses-1", "uses-2"]
    [dead] = [json.loads(p) for p in r.zrange(NS + "dead", 0, -1)]
    assert dead["jid"] == needed and dead["error_class"] == "robin.PluginMissingError"
    assert "needs robin-gizmo (gizmos), which is not loaded in this worker" in dead["error_message"]
    assert "install robin-gizmo on the workers" in dead["error_message"]
    log = worker.log()
    assert log.count("uses gizmos of robin-gizmo, which is not loaded in this worker: it runs without") == 1
    assert "Traceback" not in log  # the reason is the message, not Robin's own stack
