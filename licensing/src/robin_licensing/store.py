"""Where the license key is found, and activating/deactivating it.

Lookup order, first found wins:

1. ``ROBIN_LICENSE`` - the key itself (for containers and CI secrets);
2. ``ROBIN_LICENSE_FILE`` - a file holding the key (e.g. a mounted secret);
3. the per-user file ``$XDG_CONFIG_HOME/robin/license`` (``~/.config/robin/license``),
   which ``robin license activate`` writes;
4. ``/etc/robin/license`` for a whole machine.

Activation verifies the key first, then replaces the per-user file atomically (a
temporary file renamed over it), readable by its owner only (mode 0600).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from robin_licensing import trust
from robin_licensing.errors import LicenseError, LicenseKeyError
from robin_licensing.key import verify
from robin_licensing.license import License

SYSTEM_FILE = Path("/etc/robin/license")


def user_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "robin" / "license"


def find() -> tuple[str, str] | None:
    """``(key, where it was found)``, or None when no key is configured anywhere."""
    key = os.environ.get("ROBIN_LICENSE", "").strip()
    if key:
        return key, "ROBIN_LICENSE"
    path_text = os.environ.get("ROBIN_LICENSE_FILE", "").strip()
    if path_text:
        path = Path(path_text).expanduser()
        try:
            return path.read_text().strip(), f"ROBIN_LICENSE_FILE ({path})"
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
            raise LicenseError(f"ROBIN_LICENSE_FILE={path}: cannot read it ({reason}); fix the path or "
                               f"unset the variable") from None
    for path in (user_file(), SYSTEM_FILE):
        try:
            return path.read_text().strip(), str(path)
        except (FileNotFoundError, NotADirectoryError):
            continue  # nothing there: look further
        except (OSError, UnicodeDecodeError) as exc:  # there, but unreadable: that is the answer
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
            raise LicenseError(f"{path}: cannot read the license key stored there ({reason}); fix its "
                               f"permissions or run `robin license activate -` again") from None
    return None


def check(key: str, source: str = "") -> License:
    """Verify ``key`` against the keys trusted now; return the license or raise why not."""
    payload = verify(key, trust.trusted(), trust.test_kids())
    if payload.get("env") == "test" and not trust.test_mode():
        raise LicenseKeyError("this is a TEST license: it is accepted only when ROBIN_LICENSE_MODE=test")
    return License.from_payload(key.strip(), payload, source)


def load() -> License | None:
    """The configured license, verified; None if there is none; raises if it is invalid."""
    found = find()
    if found is None:
        return None
    key, source = found
    try:
        return check(key, source)
    except LicenseKeyError as exc:
        raise LicenseKeyError(f"the license key in {source} is not valid: {exc}") from None


def activate(key: str) -> tuple[License, License | None]:
    """Verify and store ``key`` for this user; return (new license, the one it replaces)."""
    new = check(key, str(user_file()))
    path = user_file()
    old = None
    with contextlib.suppress(OSError, LicenseError):
        old = check(path.read_text(), str(path))
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".license.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as out:
            out.write(new.key + "\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)  # atomic: a reader sees the old key or the new one, never half
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        raise
    return new, old


def deactivate() -> bool:
    """Remove this user's stored key; False if there was none."""
    try:
        user_file().unlink()
    except FileNotFoundError:
        return False
    return True
