"""The test jobs, plus a fault: the fetcher's thread dies once, on its second batch.

Injected by patching, the way a bug would strike; used to prove that a worker whose
thread died exits non-zero and that its supervisor starts a healthy one.
"""

from __future__ import annotations

import os
from typing import Any

from robin.worker.manager import Manager
from tests.apps.jobs import *  # noqa: F403 - the same registered jobs

_original = Manager._accept
_calls = {"n": 0}


def _accept_with_a_fault(self: Manager, raws: list[bytes]) -> Any:
    if raws and os.environ.get("ROBIN_TEST_FAULT") and not os.path.exists(os.environ["ROBIN_TEST_FAULT"]):
        _calls["n"] += 1
        if _calls["n"] == 2:
            open(os.environ["ROBIN_TEST_FAULT"], "w").close()  # once per test, not once per process
            raise RuntimeError("injected fault in the fetcher")
    return _original(self, raws)


Manager._accept = _accept_with_a_fault  # type: ignore[method-assign]
