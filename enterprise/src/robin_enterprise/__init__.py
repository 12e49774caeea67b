"""Robin Enterprise (arrives with its issue)."""
