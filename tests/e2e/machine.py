"""A customer's machine: a fresh virtual environment, outside the repository, fed only wheels."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.support.worker import FAST, ROOT, Worker

PACKAGES = ("core", "licensing", "pro", "enterprise")
WHEEL_NAMES = {"core": "robin", "licensing": "robin_licensing", "pro": "robin_pro", "enterprise": "robin_enterprise"}


def build_wheels(out: Path) -> dict[str, Path]:
    """Build the four wheels exactly as the README's command does; {folder: wheel}."""
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check",
                           "--no-deps", *(f"./{p}" for p in PACKAGES), "-w", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"building the wheels failed:\n{done.stdout}\n{done.stderr}"
    wheels = {p: next(out.glob(f"{WHEEL_NAMES[p]}-*.whl"), None) for p in PACKAGES}
    missing = [p for p, w in wheels.items() if w is None]
    assert not missing, f"no wheel for {missing} in {sorted(x.name for x in out.iterdir())}"
    return {p: w for p, w in wheels.items() if w is not None}


def base_python() -> str:
    """The interpreter the development venv was made from: a new venv from it sees none of ours."""
    return getattr(sys, "_base_executable", None) or shutil.which("python3") or sys.executable


class Machine:
    def __init__(self, root: Path, server_url: str) -> None:
        self.root = root
        self.venv = root / "venv"
        self.app = root / "app"  # the customer's code, and the working directory of every command
        shutil.copytree(Path(__file__).parent / "shop", self.app / "shop")
        done = subprocess.run([base_python(), "-m", "venv", str(self.venv)], capture_output=True, text=True)
        assert done.returncode == 0, f"creating the venv failed: {done.stderr}"
        self.python = str(self.venv / "bin" / "python")
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("ROBIN_", "PYTHON", "VIRTUAL_ENV", "XDG_CONFIG"))}
        env.update(PATH=f"{self.venv / 'bin'}:{env.get('PATH', '')}", VIRTUAL_ENV=str(self.venv),
                   XDG_CONFIG_HOME=str(root / "config"), ROBIN_REDIS_URL=server_url, ROBIN_LICENSE_MODE="test",
                   PYTHONUNBUFFERED="1")
        self.env = env
        self.workers: list[Worker] = []

    def run(self, *command: str, stdin: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(command, cwd=self.app, env=self.env, input=stdin, capture_output=True, text=True,
                              timeout=timeout)

    def ok(self, *command: str, stdin: str | None = None, timeout: float = 300) -> str:
        done = self.run(*command, stdin=stdin, timeout=timeout)
        assert done.returncode == 0, f"{' '.join(command)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def pip(self, *args: str) -> str:
        return self.ok(self.python, "-m", "pip", "--disable-pip-version-check", *args, timeout=600)

    def robin(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return self.run(str(self.venv / "bin" / "robin"), *args, stdin=stdin)

    def code(self, source: str) -> subprocess.CompletedProcess[str]:
        """Run Python code in the customer's venv, in the app's folder."""
        return self.run(self.python, "-c", source)

    def installed(self) -> set[str]:
        listed = json.loads(self.pip("list", "--format", "json"))
        return {p["name"] for p in listed if p["name"].startswith("robin")}

    def worker(self, *modules: str) -> Worker:
        args = [a for m in modules for a in ("-r", m)]
        log = self.root / f"worker-{len(self.workers) + 1}.log"
        worker = Worker(log, *args, *FAST, app="", fast=False, env=self.env, python=self.python, cwd=self.app)
        self.workers.append(worker)
        return worker.ready()

    def kill_workers(self) -> None:
        for worker in self.workers:
            worker.kill()


def wait_for(predicate: Any, what: str, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
