"""`tide schema config|mode|delete` and the overview behind `tide schema list`."""

from __future__ import annotations

import typer

from tide.cli.context import settings
from tide.cli.output import OutputFormat, console, emit_object, emit_table
from tide.ops.schema_admin import LEVELS, MODES, RegistryAdmin

OUTPUT = typer.Option(OutputFormat.text, "--output", "-o", help="text or json")
SUBJECT = typer.Argument(None, help="Subject; none: the registry-wide default.")
NEW_MODE = typer.Argument(None, metavar="MODE", help=f"Set it: {', '.join(MODES)}.")


def config(
    subject: str | None = SUBJECT,
    level: str | None = typer.Argument(None, help=f"Set it: {', '.join(LEVELS)}."),
    output: OutputFormat = OUTPUT,
) -> None:
    """Show or set the compatibility level (of SUBJECT, or the global one)."""
    with RegistryAdmin(settings().registry.url) as admin:
        found = admin.level(subject) if level is None else admin.set_level(subject, level)
    emit_object({"subject": subject or "(global)", "compatibility": found}, output)


def mode(
    subject: str | None = SUBJECT,
    new_mode: str | None = NEW_MODE,
    output: OutputFormat = OUTPUT,
) -> None:
    """Show or set the mode (of SUBJECT, or the global one)."""
    with RegistryAdmin(settings().registry.url) as admin:
        found = admin.mode(subject) if new_mode is None else admin.set_mode(subject, new_mode)
    emit_object({"subject": subject or "(global)", "mode": found}, output)


def delete(
    subject: str,
    version: str | None = typer.Argument(None, help="One version (a number or latest)."),
    permanent: bool = typer.Option(False, "--permanent", help="Delete for good (hard delete)."),
    output: OutputFormat = OUTPUT,
) -> None:
    """Delete SUBJECT, or one VERSION of it (soft; --permanent: for good)."""
    with RegistryAdmin(settings().registry.url) as admin:
        versions = admin.delete(subject, version, permanent)
    how = "permanently" if permanent else "soft (--permanent deletes for good)"
    if output is OutputFormat.json:
        emit_object({"subject": subject, "deleted_versions": versions, "permanent": permanent},
                    output)  # fmt: skip
        return
    console.print(f"deleted {subject} version(s) {', '.join(map(str, versions))}, {how}")


def list_subjects(output: OutputFormat = OUTPUT) -> None:
    """The registered subjects: versions, latest id, schema type and compatibility level."""
    with RegistryAdmin(settings().registry.url) as admin:
        rows = [(s.subject, ",".join(map(str, s.versions)), s.latest_id, s.schema_type, s.level)
                for s in admin.summaries()]  # fmt: skip
    emit_table(["subject", "versions", "latest_id", "type", "compatibility"], rows, output)
