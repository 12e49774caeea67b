"""The version of robin-pro, from its installed metadata (set in the repository's VERSION file)."""

from importlib import metadata

DISTRIBUTION = "robin-pro"
__version__ = metadata.version(DISTRIBUTION)
