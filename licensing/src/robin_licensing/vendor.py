"""``robin-license``: the vendor's tool to make signing keys and issue license keys.

    robin-license keygen --out DIR
    robin-license issue --signing-key FILE --customer NAME --email EMAIL --tier pro
                        --expires 2027-11-29 [--features a,b] [--max-processes N] [--env test]
    robin-license inspect KEY|-

The production signing key never leaves the vendor; the repository holds only its
public half (keys/production.pem) and, for the test suite, the test key pair.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import typer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from robin_licensing import store
from robin_licensing.cli import read_key
from robin_licensing.errors import LicenseError
from robin_licensing.key import FORMAT_VERSION, PRODUCT, kid_of, sign
from robin_licensing.license import TIERS

app = typer.Typer(name="robin-license", help="Make signing keys and issue Robin license keys (vendor tool).",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False, rich_markup_mode=None)


@app.command()
def keygen(out: Path = typer.Option(..., "--out", help="Folder for the key pair (created if missing).")) -> None:
    """Write a new Ed25519 key pair: signing-key.pem (PKCS#8, mode 0600) and public-key.pem."""
    out.mkdir(parents=True, exist_ok=True)
    private_path, public_path = out / "signing-key.pem", out / "public-key.pem"
    for path in (private_path, public_path):
        if path.exists():
            raise LicenseError(f"{path} exists; refusing to overwrite a key (move it away first)")
    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(private_pem)
    public_path.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                          serialization.PublicFormat.SubjectPublicKeyInfo))
    typer.echo(kid_of(key.public_key()))
    typer.echo(f"wrote {private_path} (keep it secret) and {public_path}", err=True)


@app.command()
def issue(
    signing_key: Path = typer.Option(..., "--signing-key", help="PEM PKCS#8 Ed25519 private key."),
    customer: str = typer.Option(..., "--customer"),
    email: str = typer.Option(..., "--email"),
    tier: str = typer.Option(..., "--tier", help="pro or enterprise."),
    expires: str = typer.Option(..., "--expires", metavar="YYYY-MM-DD", help="Last day covered (UTC)."),
    features: str = typer.Option("", "--features", help="Extra features, comma-separated."),
    max_processes: int | None = typer.Option(None, "--max-processes", min=1),
    env: str = typer.Option("production", "--env", help="production or test."),
) -> None:
    """Print a new license key signed with the given key."""
    if tier not in TIERS:
        raise LicenseError(f"--tier {tier}: use pro or enterprise")
    if env not in ("production", "test"):
        raise LicenseError(f"--env {env}: use production or test")
    if "@" not in email:
        raise LicenseError(f"--email {email}: not an email address")
    try:
        expires_on = date.fromisoformat(expires)
    except ValueError:
        raise LicenseError(f"--expires {expires}: use YYYY-MM-DD") from None
    if expires_on < datetime.now(UTC).date():
        typer.echo(f"warning: --expires {expires} is in the past", err=True)
    try:
        private = serialization.load_pem_private_key(signing_key.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise LicenseError(f"--signing-key {signing_key}: cannot load it ({exc})") from None
    if not isinstance(private, Ed25519PrivateKey):
        raise LicenseError(f"--signing-key {signing_key}: not an Ed25519 private key")
    payload = {
        "v": FORMAT_VERSION, "product": PRODUCT, "id": "lic_" + secrets.token_hex(8), "customer": customer,
        "email": email, "tier": tier, "features": [f.strip() for f in features.split(",") if f.strip()],
        "issued_at": datetime.now(UTC).replace(microsecond=0).isoformat(), "expires_at": expires_on.isoformat(),
        "max_processes": max_processes, "env": env,
    }
    typer.echo(sign(private, payload))


@app.command()
def inspect(key: str = typer.Argument(..., help="A license key, or - to read it from stdin.")) -> None:
    """Print a key's verified payload, or why it is not valid (exit 1)."""
    try:
        license_ = store.check(read_key(key), "the command line")
    except LicenseError as exc:
        typer.echo(f"not valid: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(json.dumps(license_.payload, indent=2, ensure_ascii=False))
    if license_.is_test:
        typer.echo("(a TEST license: accepted only with ROBIN_LICENSE_MODE=test)", err=True)


def main() -> None:
    try:
        app()
    except LicenseError as exc:
        print(f"robin-license: error: {exc}", file=sys.stderr)
        sys.exit(1)
