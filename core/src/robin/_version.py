"""The version of Robin, read from the installed distribution's metadata.

The one place it is set is the file VERSION at the root of the repository, shared by
robin, robin-licensing, robin-pro and robin-enterprise (each package's setup.py reads it).
"""

from importlib import metadata
from pathlib import Path


def _installed_version() -> str:
    try:
        return metadata.version("robin")
    except metadata.PackageNotFoundError:  # imported straight from a source checkout, not installed
        checkout = Path(__file__).resolve().parents[3] / "VERSION"
        return checkout.read_text().strip() if checkout.exists() else "0+unknown"


__version__ = _installed_version()
