"""Durations as people read them: one wording for the CLI and the dashboard."""

from __future__ import annotations


def duration(seconds: float) -> str:
    """``12 ms``, ``3 s``, ``4 min``, ``2.5 h``, ``3 days`` (the sign is dropped)."""
    seconds = abs(seconds)
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 172_800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.0f} days"
