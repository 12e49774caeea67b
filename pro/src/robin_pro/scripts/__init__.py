"""Robin Pro's Lua scripts: batchlib.lua is prepended to each, core's helpers by core."""

from __future__ import annotations

from importlib import resources

from robin.scripts import Script


def load_script(name: str) -> Script:
    here = resources.files(__name__)
    body = here.joinpath("batchlib.lua").read_text(encoding="utf-8") + "\n" + here.joinpath(name).read_text(
        encoding="utf-8")
    return Script.from_source(f"robin_pro/{name}", body)
