"""The version of Robin Enterprise (the same as Robin's)."""

__version__ = "1.0.0"
