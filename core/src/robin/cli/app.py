"""The typer application that every command module adds to."""

from __future__ import annotations

from dataclasses import dataclass

import typer

from robin._version import __version__


@dataclass
class State:
    debug: bool = False


state = State()

app = typer.Typer(
    name="robin",
    help="Robin: fast, reliable background jobs for Python.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain click help: flags read as flags (no "<bool>" placeholders)
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"robin {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks of errors."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print Robin's version and exit."),
) -> None:
    state.debug = debug
