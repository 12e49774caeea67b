"""Example jobs, used by the demo (``python3 dev.py demo``) and the README.

Run a worker for them with ``robin worker -r jobs`` from this folder.
"""

from __future__ import annotations

import asyncio
import logging
import sys

import robin

log = logging.getLogger(__name__)
_attempts: dict[str, int] = {}


def say(text: str) -> None:
    """Print one line in one write, so lines of jobs running at once do not interleave."""
    sys.stdout.write(f"    {text}\n")
    sys.stdout.flush()


@robin.job
def greet(name: str) -> None:
    """The simplest job: runs in one of the worker's threads."""
    say(f"greet: hello, {name}!")


@robin.job(queue="critical", retry=3)
async def crunch(n: int) -> None:
    """An async job: runs on the worker's event loop, next to the thread pool."""
    await asyncio.sleep(0.05)  # stands in for awaiting an HTTP call or a database
    say(f"crunch: {n} squared is {n * n} (async)")


@robin.job
def resize(image_id: int, width: int = 800) -> None:
    say(f"resize: image {image_id} to {width} px")


@robin.job(retry=5, backoff=lambda attempt, exc: 1)
def upload(filename: str) -> None:
    """Fails on its first attempt, like a flaky network would; the retry succeeds."""
    _attempts[filename] = _attempts.get(filename, 0) + 1
    if _attempts[filename] == 1:
        log.info("uploading %s fails this time", filename)
        raise ConnectionResetError(f"the storage server hung up while uploading {filename}")
    say(f"upload: {filename} uploaded on attempt {_attempts[filename]}")
