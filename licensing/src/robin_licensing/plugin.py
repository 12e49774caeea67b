"""robin-licensing as a Robin plug-in: it adds ``robin license ...`` to the CLI."""

from __future__ import annotations

from typing import Any

import robin
from robin_licensing._version import __version__


def _add_commands(app: Any) -> None:
    from robin_licensing.cli import add_commands

    add_commands(app)


plugin = robin.Plugin(name="Robin Licensing", robin_major=int(__version__.split(".")[0]), cli=_add_commands)
