"""The `tide` command: one entry point, a subcommand per room, errors as one readable line."""

from __future__ import annotations

import os
import sys
from importlib import import_module
from importlib.metadata import version

import typer

from tide import logs
from tide.cli.output import errors
from tide.errors import TideError

# name -> (module, attribute, a group of subcommands or one command). A run imports only the
# module of the command it names (a full import of every room costs about 2 s per `tide` call);
# `tide --help` and unknown names import them all.
COMMANDS: dict[str, tuple[str, str, bool]] = {
    "schema": ("tide.cli.schema_cmd", "app", True),
    "registry": ("tide.cli.registry_cmd", "app", True),
    "jobs": ("tide.cli.jobs_cmd", "app", True),
    "produce": ("tide.cli.produce_cmd", "app", True),
    "projections": ("tide.cli.projections_cmd", "app", True),
    "orders": ("tide.cli.orders_cmd", "app", True),
    "sagas": ("tide.cli.sagas_cmd", "app", True),
    "worker": ("tide.cli.worker_cmd", "worker", False),
    "sql": ("tide.cli.sql_cmd", "app", True),
    "lake": ("tide.cli.lake_cmd", "app", True),
    "up": ("tide.cli.up_cmd", "up", False),
    "status": ("tide.cli.status_cmd", "status", False),
    "down": ("tide.cli.status_cmd", "down", False),
    "demo": ("tide.cli.demo_cmd", "demo", False),
    "topics": ("tide.cli.topics_cmd", "app", True),
    "consume": ("tide.cli.consume_cmd", "consume_cmd", False),
    "lag": ("tide.cli.lag_cmd", "lag", False),
    "console": ("tide.cli.console_cmd", "console", False),
}

app = typer.Typer(
    name="tide",
    help="Tide: schema registry, validated producers, stream workers and an Iceberg lake.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _show_version(wanted: bool) -> None:
    if wanted:
        typer.echo(f"tide {version('tide')}")
        raise typer.Exit()


@app.callback()
def _options(
    _version: bool = typer.Option(
        False, "--version", callback=_show_version, is_eager=True, help="Show the version, exit."
    ),
) -> None:
    """Tide: schema registry, validated producers, stream workers and an Iceberg lake."""


def register(names: list[str]) -> None:
    """Add the commands ``names`` (in COMMANDS) to ``app``."""
    for name in names:
        module, attribute, group = COMMANDS[name]
        target = getattr(import_module(module), attribute)
        if group:
            app.add_typer(target, name=name)
        else:
            app.command(name)(target)


def _wanted(argv: list[str]) -> list[str]:
    """The one command named by ``argv`` when it names one, else all of them."""
    first = next((a for a in argv if not a.startswith("-")), None)
    if first is None and "--version" in argv:
        return []
    return [first] if first in COMMANDS else list(COMMANDS)


def main() -> None:
    logs.configure(os.environ.get("TIDE_LOG_LEVEL", "WARNING"))
    try:
        register(_wanted(sys.argv[1:]))
        app()
    except TideError as e:
        errors.print(f"[red]error:[/red] {e}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as e:
        if os.environ.get("TIDE_DEBUG"):
            raise
        errors.print(
            f"[red]internal error:[/red] {type(e).__name__}: {e} "
            "(TIDE_DEBUG=1 shows the traceback)",
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(70)
