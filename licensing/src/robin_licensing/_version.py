"""The version of robin-licensing, from its installed metadata (set in the repository's VERSION file)."""

from importlib import metadata

DISTRIBUTION = "robin-licensing"
__version__ = metadata.version(DISTRIBUTION)
