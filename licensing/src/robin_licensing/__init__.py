"""Signed license keys for Robin Pro and Enterprise (arrives with its issue)."""
