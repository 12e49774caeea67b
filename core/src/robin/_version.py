"""The version of Robin.  Robin, Robin Pro, Robin Enterprise and robin-licensing share it."""

__version__ = "1.0.0"
