"""Limits shared by the worker and the data API."""

DAY = 86_400.0
DEAD_MAX_JOBS = 10_000          # the dead set keeps at most this many jobs...
DEAD_MAX_AGE = 180 * DAY        # ...and none older than this (seconds)
