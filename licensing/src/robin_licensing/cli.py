"""``robin license activate | status | deactivate``: the customer's commands.

Added to the ``robin`` command through core's plug-in seam (see plugin.py).  The key
itself is never printed: status shows its SHA-256 fingerprint.
"""

from __future__ import annotations

import json
import os
import sys

import typer

from robin_licensing import gate, store
from robin_licensing.errors import LicenseError
from robin_licensing.gate import PRODUCTS

group = typer.Typer(help="Activate and inspect the Robin Pro/Enterprise license.", no_args_is_help=True)


def read_key(key: str) -> str:
    """The key given, or read from stdin for ``-`` (so it stays out of shell history)."""
    if key != "-":
        return key
    if sys.stdin.isatty():
        typer.echo("Paste the license key (one line), then press Enter:", err=True)
        return sys.stdin.readline().strip()
    return next((line.strip() for line in sys.stdin if line.strip()), "")


@group.command()
def activate(key: str = typer.Argument(..., help="The license key, or - to read it from stdin.")) -> None:
    """Verify a license key and store it for this user (file mode 0600)."""
    new, old = store.activate(read_key(key))
    gate.refresh()
    now = gate.clock()
    typer.echo(f"activated: {PRODUCTS[new.tier]}, {new.describe()} ({new.days_left(now)} days left)")
    typer.echo(f"stored in {store.user_file()} (readable by you only)")
    if old is not None:
        lost = sorted(old.features - new.features)
        if lost:
            typer.echo(f"warning: the new license does not include {', '.join(lost)}, which the one it replaces "
                       f"did", err=True)
    for variable in ("ROBIN_LICENSE", "ROBIN_LICENSE_FILE"):
        if os.environ.get(variable):
            typer.echo(f"note: {variable} is set and takes precedence over the stored key", err=True)
    for warning in new.warnings(now):
        typer.echo(f"warning: {warning}", err=True)


@group.command()
def status(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Show the active license; exit 0 only if one is active and usable."""
    now = gate.clock()
    try:
        license_ = store.load()
    except LicenseError as exc:
        _report({"active": False, "error": str(exc)}, as_json, f"no valid license: {exc}")
        raise typer.Exit(1) from None
    if license_ is None:
        _report({"active": False, "error": "no license key found"}, as_json,
                "no license is active: activate one with `robin license activate -` (then paste the key), or set "
                "ROBIN_LICENSE")
        raise typer.Exit(1)
    usable = license_.usable(now)
    info = {"active": usable, **license_.to_dict(now)}
    if as_json:
        typer.echo(json.dumps(info, indent=2))
    else:
        test = " (TEST license: not for production)" if license_.is_test else ""
        typer.echo(f"{PRODUCTS[license_.tier]}{test}")
        typer.echo(f"  customer:    {license_.customer} <{license_.email}>")
        typer.echo(f"  license id:  {license_.id}")
        typer.echo(f"  features:    {', '.join(sorted(license_.features))}")
        typer.echo(f"  expires:     {license_.expires_on} ({license_.days_left(now)} days left, "
                   f"{license_.phase(now)})")
        if license_.max_processes is not None:
            typer.echo(f"  processes:   up to {license_.max_processes}")
        typer.echo(f"  found in:    {license_.source}")
        typer.echo(f"  fingerprint: sha256:{license_.fingerprint}")
        for warning in license_.warnings(now):
            typer.echo(f"warning: {warning}", err=True)
    if not usable:
        raise typer.Exit(1)


@group.command()
def deactivate() -> None:
    """Remove this user's stored license key."""
    if store.deactivate():
        typer.echo(f"removed {store.user_file()}")
    else:
        typer.echo(f"no key was stored in {store.user_file()}")
    gate.refresh()
    for variable in ("ROBIN_LICENSE", "ROBIN_LICENSE_FILE"):
        if os.environ.get(variable):
            typer.echo(f"note: {variable} is still set and still provides a license", err=True)


def _report(data: dict[str, object], as_json: bool, text: str) -> None:
    if as_json:
        typer.echo(json.dumps(data, indent=2))
    else:
        typer.echo(text, err=True)


def add_commands(app: typer.Typer) -> None:
    app.add_typer(group, name="license")
