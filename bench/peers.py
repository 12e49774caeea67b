"""Robin and the Python peers, side by side, in one run of the shared harness.

    python3 dev.py bench-peers [--jobs 20000] [--peers robin,huey,...] [harness options]

Runs ``../shared/bench/run_peers.py`` as it is, with ``--adapter-dir bench`` (this
folder's ``robin_adapter.py``: Robin installed editable from ``core/``, measured with its
defaults), and writes three files to ``bench/results/``:

* ``peers-<date>.json``  every raw sample (the harness' own JSON);
* ``peers-<date>.md``    the harness' tables, preceded by a description of the machine;
* the same report on stdout.

Robin's modules are compiled to bytecode first, as ``pip install`` does for a regular
install: an editable install otherwise recompiles them at every worker start when
``PYTHONDONTWRITEBYTECODE`` is set, which would be measured as start-up time.

Extra arguments go to the harness (``--repeats``, ``--budget``, ``--server-bin``, ...).
A run at the default 20,000 jobs with every peer takes about 9 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import compileall
import datetime
import os
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
HARNESS = ROOT.parent / "shared" / "bench" / "run_peers.py"


def machine() -> str:
    """A few lines that say what the numbers were measured on."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal:"))
        memory = f"{mem_kb / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration, ValueError):
        memory = "unknown memory"
    return (f"- machine: {os.cpu_count()} CPUs ({cpu}), {memory}, {platform.system()} {platform.release()}\n"
            f"- Python {platform.python_version()} ({sys.executable})\n"
            f"- server: the harness' private valkey-server on loopback, persistence off")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=20000)
    parser.add_argument("--peers", help="adapters to run, e.g. robin,huey,dramatiq [robin and every peer]")
    parser.add_argument("--name", default=datetime.date.today().isoformat(),
                        help="results go to bench/results/peers-NAME.{json,md} [today's date]")
    args, harness_args = parser.parse_known_args()
    if not HARNESS.exists():
        sys.exit(f"bench-peers: the shared harness is not at {HARNESS}; this command needs the "
                 f"../shared/bench folder beside the checkout")
    compileall.compile_dir(ROOT / "core" / "src", quiet=1)
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    json_path, md_path = out / f"peers-{args.name}.json", out / f"peers-{args.name}.md"
    command = [sys.executable, str(HARNESS), "--adapter-dir", str(HERE), "--jobs", str(args.jobs),
               "--out", str(json_path), *(["--peers", args.peers] if args.peers else []), *harness_args]
    print("running:", " ".join(command), flush=True)
    run = subprocess.run(command, stdout=subprocess.PIPE, text=True)
    header = (f"# Robin and the peers, {args.name}\n\n"
              f"`python3 dev.py bench-peers --jobs {args.jobs}` ({' '.join(harness_args) or 'harness defaults'})\n\n"
              f"{machine()}\n\n")
    report = header + run.stdout
    md_path.write_text(report)
    print(report)
    print(f"bench-peers: wrote {md_path.relative_to(ROOT)} and {json_path.relative_to(ROOT)}")
    sys.exit(run.returncode)


if __name__ == "__main__":
    main()
