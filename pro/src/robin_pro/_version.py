"""The version of Robin Pro (the same as Robin's)."""

__version__ = "1.0.0"
