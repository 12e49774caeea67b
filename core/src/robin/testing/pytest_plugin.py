"""Robin's pytest plug-in (entry point ``pytest11``): fixtures for tests of code that uses Robin.

========================  =============================================================
``robin_inline``          jobs run at enqueue (yields the :class:`~robin.testing.Inline`)
``robin_fake``            jobs are collected (yields the :class:`~robin.testing.Fake`)
``robin_server``          a real server for the session (a :class:`~robin.testing.ServerProcess`);
                          Robin and ``ROBIN_REDIS_URL`` point at it
``robin_redis``           a redis-py client of that server, emptied before the test
``robin_worker``          starts ``robin worker`` processes: ``robin_worker("myapp.jobs")``
========================  =============================================================

pytest imports this module in every run of every project that has Robin installed, so it
imports only what Robin's own ``import robin.testing`` costs; servers, processes and
redis-py are imported by the fixtures that use them.  See docs/testing.md.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pytest

from robin.testing.fake import Fake, fake
from robin.testing.inline import Inline, inline

if TYPE_CHECKING:
    import redis

    from robin.testing.server import ServerProcess
    from robin.testing.worker import StartWorker, WorkerProcess

MODULES_INI = "robin_worker_modules"


# A name, not a literal: mypy reads a string literal given as addini's `type` as a type
# annotation (pytest types that parameter as a TypeForm too).
LINELIST: Literal["linelist"] = "linelist"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(MODULES_INI, "robin: modules (or .py files) defining jobs that robin_worker workers import "
                  "when the test names none", type=LINELIST, default=[])


@pytest.fixture
def robin_inline() -> Iterator[Inline]:
    """Robin's inline mode for this test: jobs run at enqueue (robin.testing.inline())."""
    with inline() as mode:
        yield mode


@pytest.fixture
def robin_fake() -> Iterator[Fake]:
    """Robin's fake mode for this test: jobs are collected; assert on them, drain() runs them."""
    with fake() as mode:
        yield mode


@pytest.fixture(scope="session")
def robin_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A real Redis-protocol server for the whole session, on a free 127.0.0.1 port; Robin
    (robin.configure) and ROBIN_REDIS_URL point at it until the session ends."""
    from robin import config
    from robin.testing.server import ServerProcess

    server = ServerProcess(tmp_path_factory.mktemp("robin-server")).start()
    previous = config.redis_url()
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("ROBIN_REDIS_URL", server.url)
            config.configure(redis_url=server.url)
            yield server
    finally:
        config.configure(redis_url=previous or "")  # "" forgets the URL: back to the environment's
        server.stop()


@pytest.fixture
def robin_redis(robin_server: ServerProcess) -> Iterator[redis.Redis]:
    """A redis-py client of robin_server, which is empty when the test starts."""
    from robin import config

    robin_server.flush()
    if config.redis_url() != robin_server.url:  # something in the session changed it
        config.configure(redis_url=robin_server.url)
    conn = robin_server.client()
    yield conn
    conn.close()


@pytest.fixture
def robin_worker(robin_server: ServerProcess, request: pytest.FixtureRequest,
                 tmp_path: Path) -> Iterator[StartWorker]:
    """Start real ``robin worker`` processes against robin_server; they stop after the test.

    ``robin_worker("myapp.jobs", queues=["default"], concurrency=5)`` returns the
    :class:`~robin.testing.WorkerProcess` once it is ready; without modules it imports
    those of the ``robin_worker_modules`` ini option.
    """
    from robin import config
    from robin.errors import ConfigurationError
    from robin.testing.worker import WorkerProcess

    configured: list[str] = request.config.getini(MODULES_INI)
    started: list[WorkerProcess] = []

    def start(*modules: str, queues: Sequence[str] = (), concurrency: int | None = None,
              processes: int | None = None, args: Sequence[str] = (), env: Mapping[str, str] | None = None,
              ready: bool = True) -> WorkerProcess:
        chosen = modules or tuple(configured)
        if not chosen:
            raise ConfigurationError(f"robin_worker: no modules to import; name the modules that define your "
                                     f"jobs, robin_worker(\"myapp.jobs\"), or list them in the {MODULES_INI} "
                                     f"option of your pytest configuration")
        worker = WorkerProcess(chosen, url=robin_server.url, namespace=config.namespace(),
                               log_path=tmp_path / f"robin-worker-{len(started) + 1}.log", queues=queues,
                               concurrency=concurrency, processes=processes, args=args, env=env,
                               cwd=request.config.rootpath)
        started.append(worker)
        return worker.wait_until_ready() if ready else worker

    yield start
    for worker in reversed(started):
        worker.stop()
