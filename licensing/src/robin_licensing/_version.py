"""The version of robin-licensing (the same as Robin's)."""

__version__ = "1.0.0"
