#!/usr/bin/env python3
"""Development tasks for Robin.  Needs only Python 3.11+ to start.

    python3 dev.py demo        run the demo: example jobs on the embedded server
    python3 dev.py test [ARGS] lint, type-check and run the test suite (ARGS go to pytest)
    python3 dev.py lint        ruff and mypy only
    python3 dev.py wheels      build the wheels into dist/
    python3 dev.py bench [ARGS]  Robin's benchmark (bench/bench.py; ARGS go to it)
    python3 dev.py bench-peers [ARGS]  Robin and the Python peers in one run (bench/peers.py)
    python3 dev.py bench-soak [ARGS]   worker memory over 1,000,000 jobs, idle cost (bench/soak.py)

The first run creates .venv/ with every package of this repository installed in
editable mode, plus the development tools; later runs reuse it and reinstall only when
a pyproject.toml, a setup.py or VERSION changed.
"""

from __future__ import annotations

import sys

if sys.version_info < (3, 11):  # noqa: UP036 - say so before tomllib fails to import
    sys.exit(f"dev.py: Python 3.11 or newer is needed; this is {sys.version.split()[0]}")

import hashlib
import os
import shutil
import subprocess
import tomllib
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"
STAMP = VENV / ".robin-dev-stamp"
PACKAGES = {"core": "core[embedded]", "licensing": "licensing", "pro": "pro", "enterprise": "enterprise"}


def say(message: str) -> None:
    print(f"dev.py: {message}", flush=True)


def run(*command: str | Path, env: dict[str, str] | None = None) -> None:
    done = subprocess.run([str(c) for c in command], cwd=ROOT, env=env)
    if done.returncode != 0:
        sys.exit(done.returncode)


def installable() -> list[str]:
    """The packages of this repository that exist (later issues add some)."""
    return [f"./{spec}" for folder, spec in PACKAGES.items() if (ROOT / folder / "pyproject.toml").exists()]


def fingerprint() -> str:
    digest = hashlib.sha256()
    build_files = sorted([*ROOT.glob("*/pyproject.toml"), *ROOT.glob("*/setup.py")])
    for path in [*build_files, ROOT / "pyproject.toml", ROOT / "VERSION", Path(__file__)]:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def ensure_venv() -> None:
    wanted = fingerprint()
    if STAMP.exists() and STAMP.read_text() == wanted and (BIN / "python").exists():
        return
    if not (BIN / "python").exists():
        say(f"creating {VENV.relative_to(ROOT)}/ (first run only)")
        try:
            venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
        except Exception as exc:  # Debian without python3-venv lands here
            shutil.rmtree(VENV, ignore_errors=True)
            sys.exit(f"dev.py: cannot create a virtual environment ({exc}); on Debian/Ubuntu install "
                     f"python3-venv first (apt-get install python3-venv)")
    dev = tomllib.loads((ROOT / "pyproject.toml").read_text())["dependency-groups"]["dev"]
    say("installing Robin's packages (editable) and the development tools")
    args = []
    for spec in installable():
        args += ["-e", spec]
    run(BIN / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *args, *dev)
    STAMP.write_text(wanted)


def lint() -> None:
    say("ruff")
    run(BIN / "ruff", "check", ".")
    say("mypy")
    run(BIN / "mypy")


def main(argv: list[str]) -> None:
    task = argv[0] if argv else "help"
    if task in ("help", "-h", "--help"):
        print(__doc__)
        return
    tasks = ("demo", "test", "lint", "wheels", "bench", "bench-peers", "bench-soak")
    if task not in tasks:
        sys.exit(f"dev.py: unknown task {task!r}; tasks: {', '.join(tasks)}")
    ensure_venv()
    env = dict(os.environ)
    if task == "demo":
        run(BIN / "python", "examples/demo.py", *argv[1:], env=env)
    elif task in ("bench", "bench-peers", "bench-soak"):
        script = {"bench": "bench.py", "bench-peers": "peers.py", "bench-soak": "soak.py"}[task]
        run(BIN / "python", f"bench/{script}", *argv[1:], env=env)
    elif task == "lint":
        lint()
    elif task == "test":
        lint()
        say("pytest")
        run(BIN / "python", "-m", "pytest", *argv[1:], env=env)
    elif task == "wheels":
        out = ROOT / "dist"
        folders = [f"./{folder}" for folder in PACKAGES if (ROOT / folder / "pyproject.toml").exists()]
        run(BIN / "python", "-m", "pip", "wheel", "--quiet", "--no-deps", *folders, "-w", out)
        say(f"wheels in {out.relative_to(ROOT)}/: " + ", ".join(sorted(p.name for p in out.glob("*.whl"))))


if __name__ == "__main__":
    main(sys.argv[1:])
