"""``python -m robin``: the same as the ``robin`` command."""

from robin.cli import main

if __name__ == "__main__":
    main()
