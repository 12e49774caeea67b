"""The commands, run for real: robin license ... and the vendor's robin-license."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.licensing.conftest import TEST_SIGNING_KEY
from tests.support.worker import ROOT, subprocess_env


def run(*args: str, stdin: str | None = None, env: dict[str, str] | None = None,
        program: str = "robin") -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "robin", *args] if program == "robin" else [
        sys.executable, "-c", "from robin_licensing.vendor import main; main()", *args]
    return subprocess.run(command, capture_output=True, text=True, input=stdin, cwd=ROOT, timeout=60,
                          env=subprocess_env(**(env or {})))


@pytest.fixture
def home(licensing_home: Path) -> dict[str, str]:
    return {"XDG_CONFIG_HOME": os.environ["XDG_CONFIG_HOME"], "ROBIN_LICENSE_MODE": "test"}


def test_activate_from_stdin_stores_the_key_privately(home: dict[str, str], key: Callable[..., str]) -> None:
    text = key(customer="Acme Inc")
    done = run("license", "activate", "-", stdin=text + "\n", env=home)
    assert done.returncode == 0, done.stderr
    assert "activated: Robin Pro, TEST license, licensed to Acme Inc" in done.stdout
    stored = Path(home["XDG_CONFIG_HOME"]) / "robin" / "license"
    assert stored.read_text().strip() == text
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert text not in done.stdout + done.stderr  # the key is never printed back


def test_status_shows_the_license_but_never_the_key(home: dict[str, str], key: Callable[..., str]) -> None:
    text = key(customer="Acme Inc", tier="enterprise", max_processes=8)
    run("license", "activate", text, env=home)
    done = run("license", "status", env=home)
    assert done.returncode == 0, done.stderr
    assert "Robin Enterprise (TEST license: not for production)" in done.stdout
    assert "customer:    Acme Inc <ops@acme.test>" in done.stdout and "fingerprint: sha256:" in done.stdout
    assert "processes:   up to 8" in done.stdout and "TEST license" in done.stderr
    assert text not in done.stdout + done.stderr
    data = json.loads(run("license", "status", "--json", env=home).stdout)
    assert data["active"] and data["tier"] == "enterprise" and data["test"] and "limiters" in data["features"]
    assert text not in json.dumps(data)


def test_status_exits_non_zero_without_a_usable_license(home: dict[str, str], key: Callable[..., str]) -> None:
    none = run("license", "status", env=home)
    assert none.returncode == 1 and "no license is active" in none.stderr
    expired = run("license", "status", env={**home, "ROBIN_LICENSE": key(expires_at="2020-01-01")})
    assert expired.returncode == 1 and "expired" in expired.stdout


def test_activate_refuses_an_invalid_key_and_keeps_the_old_one(home: dict[str, str], key: Callable[..., str]) -> None:
    good = key()
    run("license", "activate", good, env=home)
    kid_end = good.index(".", 7) + 1
    altered = good[:kid_end + 10] + ("A" if good[kid_end + 10] != "A" else "B") + good[kid_end + 11:]
    bad = run("license", "activate", altered, env=home)
    assert bad.returncode == 1 and "robin: error: the key's signature does not match" in bad.stderr
    assert (Path(home["XDG_CONFIG_HOME"]) / "robin" / "license").read_text().strip() == good


def test_activate_warns_when_features_are_lost(home: dict[str, str], key: Callable[..., str]) -> None:
    run("license", "activate", key(tier="enterprise"), env=home)
    done = run("license", "activate", key(tier="pro"), env=home)
    assert done.returncode == 0
    assert "warning: the new license does not include enterprise, limiters, periodic, unique" in done.stderr


def test_deactivate_removes_the_stored_key(home: dict[str, str], key: Callable[..., str]) -> None:
    run("license", "activate", key(), env=home)
    done = run("license", "deactivate", env=home)
    assert done.returncode == 0 and "removed" in done.stdout
    assert not (Path(home["XDG_CONFIG_HOME"]) / "robin" / "license").exists()
    assert run("license", "status", env=home).returncode == 1


def test_a_test_key_outside_test_mode_says_so(home: dict[str, str], key: Callable[..., str]) -> None:
    done = run("license", "activate", key(), env={**home, "ROBIN_LICENSE_MODE": ""})
    assert done.returncode == 1 and "TEST license key: it is accepted only when ROBIN_LICENSE_MODE=test" in done.stderr


def test_without_robin_licensing_the_command_says_what_to_install() -> None:
    done = run("license", "status", env={"ROBIN_DISABLE_PLUGINS": "1"})
    assert done.returncode == 1 and "`robin license` comes with robin-licensing" in done.stderr


def test_a_refused_robin_licensing_is_not_called_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    from robin import cli, plugins

    refusal = ("plug-in robin-licensing 2.0.0 is built for robin 2.x, but robin 1.0.0 is installed; refusing to "
               "load it: upgrade robin (pip install 'robin>=2,<3') or install robin-licensing 1.x")
    monkeypatch.setattr(plugins, "problems", lambda: [refusal])
    monkeypatch.setattr(cli, "_command_names", set)  # as in a process where it did not load
    message = cli._missing_plugin(["license", "status"])
    assert message == ("`robin license` comes with robin-licensing (part of Robin Pro and Enterprise), which is "
                       f"installed but not loaded: {refusal}")


def test_vendor_keygen_issue_and_inspect(tmp_path: Path, home: dict[str, str]) -> None:
    made = run("keygen", "--out", str(tmp_path / "keys"), program="vendor")
    assert made.returncode == 0, made.stderr
    kid = made.stdout.strip()
    private = tmp_path / "keys" / "signing-key.pem"
    assert len(kid) == 16 and stat.S_IMODE(private.stat().st_mode) == 0o600
    assert private.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert (tmp_path / "keys" / "public-key.pem").read_text().startswith("-----BEGIN PUBLIC KEY-----")
    again = run("keygen", "--out", str(tmp_path / "keys"), program="vendor")
    assert again.returncode == 1 and "refusing to overwrite" in again.stderr
    issued = run("issue", "--signing-key", str(TEST_SIGNING_KEY), "--customer", "Acme Inc", "--email", "a@acme.test",
                 "--tier", "enterprise", "--expires", "2030-01-31", "--features", "x,y", "--max-processes", "5",
                 "--env", "test", program="vendor")
    assert issued.returncode == 0, issued.stderr
    inspected = run("inspect", "-", stdin=issued.stdout, env=home, program="vendor")
    payload = json.loads(inspected.stdout)
    assert payload["customer"] == "Acme Inc" and payload["features"] == ["x", "y"] and payload["max_processes"] == 5
    assert payload["expires_at"] == "2030-01-31" and payload["env"] == "test"
    foreign = run("issue", "--signing-key", str(private), "--customer", "X", "--email", "x@x.test", "--tier", "pro",
                  "--expires", "2030-01-01", program="vendor")
    unknown = run("inspect", foreign.stdout.strip(), env=home, program="vendor")
    assert unknown.returncode == 1 and f"unknown signing key (kid {kid})" in unknown.stderr
    wrong = run("issue", "--signing-key", str(TEST_SIGNING_KEY), "--customer", "X", "--email", "x@x.test",
                "--tier", "gold", "--expires", "2030-01-01", program="vendor")
    assert wrong.returncode == 1 and "--tier gold: use pro or enterprise" in wrong.stderr


def test_an_unreadable_license_file_is_a_clear_license_error(home: dict[str, str], tmp_path: Path) -> None:
    stored = Path(home["XDG_CONFIG_HOME"]) / "robin" / "license"
    stored.mkdir(parents=True)  # a directory where the key should be: unreadable as a file
    done = run("license", "status", env=home)
    assert done.returncode == 1
    assert f"{stored}: cannot read the license key stored there (Is a directory)" in done.stderr
    assert "not reachable" not in done.stderr  # not mistaken for a server problem
    batch = subprocess.run([sys.executable, "-c", "from robin_pro import Batch; Batch()"], capture_output=True,
                           text=True, cwd=ROOT, timeout=60, env=subprocess_env(**home))
    assert "robin_licensing.errors.LicenseError: Robin Pro is required for batches, and " in batch.stderr
    bad_file = run("license", "status", env={**home, "ROBIN_LICENSE_FILE": str(tmp_path)})
    assert f"ROBIN_LICENSE_FILE={tmp_path}: cannot read it (Is a directory)" in bad_file.stderr
