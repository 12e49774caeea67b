"""What a worker costs over time: memory over a long drain, and Redis traffic when idle.

    python3 dev.py bench-soak [--jobs 1000000] [--idle-seconds 30] [--json out.json]

* memory: N jobs queued (``enqueue_many``), one ``robin worker`` with the defaults drains
  them; its resident set size (VmRSS) is sampled every half second.  Reported: RSS after
  the warm-up (the first 10 % of the jobs), at the end, the largest, and the growth after
  the warm-up, which must stay under 10 MB (flat: nothing accumulates per job).
* idle: one worker with nothing to do; after a 3 s settle, the server's per-command
  statistics are reset and read again ``--idle-seconds`` later.  Reported: commands per
  second the idle worker causes, by command (heartbeats, the scheduled-set poll, the
  blocking wait that wakes it up).

Uses the same private valkey-server and job body as bench.py.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from bench import COUNTER, Bench


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def memory(bench: Bench) -> dict[str, Any]:
    bench.fresh()
    n = bench.jobs
    for chunk in range(0, n, 1000):
        bench.job.enqueue_many([(i,) for i in range(chunk, min(chunk + 1000, n))])
    worker = bench.spawn()
    samples: list[tuple[int, float]] = []  # (jobs done, RSS MB)
    started = time.perf_counter()
    try:
        while True:
            done = int(bench.r.get(COUNTER) or 0)
            samples.append((done, rss_mb(worker.pid)))
            if done >= n:
                break
            if worker.poll() is not None:
                raise RuntimeError(f"the worker exited early (code {worker.returncode}) at {done}/{n}")
            time.sleep(0.5)
    finally:
        bench.stop(worker)
    elapsed = time.perf_counter() - started
    warm = next(mb for done, mb in samples if done >= n // 10)
    return {"jobs": n, "seconds": elapsed, "rss_after_warmup_mb": warm, "rss_end_mb": samples[-1][1],
            "rss_max_mb": max(mb for _, mb in samples), "growth_after_warmup_mb": samples[-1][1] - warm,
            "samples": samples[:: max(1, len(samples) // 40)]}


def idle(bench: Bench, seconds: float) -> dict[str, Any]:
    bench.fresh()
    worker = bench.spawn()
    try:
        time.sleep(3)  # start-up, first heartbeat, scripts loaded
        bench.r.execute_command("CONFIG", "RESETSTAT")
        time.sleep(seconds)
        stats = bench.r.info("commandstats")
    finally:
        bench.stop(worker)
    calls = {name.removeprefix("cmdstat_"): int(v["calls"]) for name, v in stats.items()}
    calls.pop("info", None)  # this script's own reading
    calls.pop("config|resetstat", None)
    total = sum(calls.values())
    return {"seconds": seconds, "commands_per_s": total / seconds,
            "by_command_per_s": {k: round(v / seconds, 2) for k, v in sorted(calls.items(), key=lambda kv: -kv[1])}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=1_000_000)
    parser.add_argument("--idle-seconds", type=float, default=30.0)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    bench = Bench(args.jobs)
    results: dict[str, Any] = {}
    try:
        results["idle"] = idle(bench, args.idle_seconds)
        results["memory"] = memory(bench)
    finally:
        bench.close()
    quiet = results["idle"]
    print(f"idle worker: {quiet['commands_per_s']:.2f} Redis commands/s over {quiet['seconds']:.0f} s "
          f"({', '.join(f'{k} {v}' for k, v in quiet['by_command_per_s'].items())})")
    mem = results["memory"]
    print(f"memory over {mem['jobs']:,} jobs ({mem['seconds']:.0f} s): RSS {mem['rss_after_warmup_mb']:.1f} MB "
          f"after warm-up, {mem['rss_end_mb']:.1f} MB at the end, max {mem['rss_max_mb']:.1f} MB; "
          f"growth after warm-up {mem['growth_after_warmup_mb']:+.1f} MB")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
