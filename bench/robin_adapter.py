"""Robin (this repository), for the peer harness in ../shared/bench: run with --adapter-dir bench.

Robin's defaults are what is measured: reliable fetch (every job stays in Redis, in its
worker's in-flight list, until acknowledged), heartbeats, stats and metrics all on.
Only per-job INFO logging is off (``--log-level warning``), as for every peer.
"""

import os
import sys

import bench_job

REQUIREMENTS = ["-e", "{adapter_dir}/../core"]
DISTRIBUTIONS = ["robin", "redis", "hiredis"]

NOTES = {
    "drain": "`robin worker` default: 10 threads, reliable fetch (jobs in an in-flight list until acked), "
             "prefetch sized to the jobs' pace; 2p = `-p 2` (a supervisor forks 2 worker processes)",
    "bulk": "`job.enqueue_many()`: one round trip per 1,000 jobs",
    "io": "1 process, `-c 50` threads",
    "latency": "an idle worker blocks (BRPOP) on wake-up tokens that a push to an empty queue leaves: no polling",
}

URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
os.environ.setdefault("ROBIN_REDIS_URL", URL)

import robin  # noqa: E402

robin.configure(redis_url=URL)


@robin.job
def job(kind, i):
    bench_job.run(kind, i)


def enqueue(kind, i):
    job.enqueue(kind, i)


def enqueue_many(kind, indices):
    job.enqueue_many([(kind, i) for i in indices])


def worker_cmds(procs, concurrency):
    cmd = ["env", f"ROBIN_REDIS_URL={URL}", os.path.join(os.path.dirname(sys.executable), "robin"), "worker",
           "-r", "robin_adapter", "--log-level", "warning"]
    if concurrency:
        cmd += ["-c", str(concurrency)]
    if procs > 1:
        cmd += ["-p", str(procs)]
    return [cmd]
