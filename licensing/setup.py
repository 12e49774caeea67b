"""Build settings that come from ../VERSION, where the version of all four Robin packages is set.

pyproject.toml cannot read a file outside its folder, so the version, and the range this
package accepts of its sibling Robin packages (the same major version), are filled in
here.  Everything else is in pyproject.toml.
"""

from pathlib import Path

from setuptools import setup

HERE = Path(__file__).resolve().parent


def version() -> str:
    if (HERE / "PKG-INFO").exists():  # building from an sdist: it recorded the version
        return next(line.split(":", 1)[1].strip() for line in (HERE / "PKG-INFO").read_text().splitlines()
                    if line.startswith("Version:"))
    return (HERE.parent / "VERSION").read_text().strip()


VERSION = version()
MAJOR = int(VERSION.split(".")[0])
SAME_MAJOR = f">={MAJOR},<{MAJOR + 1}"

setup(version=VERSION, install_requires=[f"robin{SAME_MAJOR}", "cryptography>=41,<50"])
