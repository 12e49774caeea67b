"""The version of robin-enterprise, from its installed metadata (set in the repository's VERSION file)."""

from importlib import metadata

DISTRIBUTION = "robin-enterprise"
__version__ = metadata.version(DISTRIBUTION)
