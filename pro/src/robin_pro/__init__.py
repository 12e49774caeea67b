"""Robin Pro (arrives with its issue)."""
