"""`tide schema ...`: register and list schema versions."""

from __future__ import annotations

from pathlib import Path

import typer

from producers.registry_client import RegistryClient
from tide.cli.context import settings
from tide.cli.output import OutputFormat, console, emit_object, emit_table
from tide.errors import TideError
from tide.ops.schemas import sync_schemas

app = typer.Typer(help="Register, check and list schema versions.", no_args_is_help=True)
OUTPUT = typer.Option(OutputFormat.text, "--output", "-o", help="text or json")


@app.command()
def sync(output: OutputFormat = OUTPUT) -> None:
    """Register every contract shipped in schemas/ (idempotent)."""
    done = sync_schemas(settings().registry.url)
    rows = [(r.subject, r.version, r.schema_id) for r in done]
    emit_table(["subject", "version", "id"], rows, output, "schemas registered")


@app.command()
def register(subject: str, file: Path, output: OutputFormat = OUTPUT) -> None:
    """Register the Avro schema in FILE under SUBJECT."""
    with RegistryClient(settings().registry.url) as client:
        schema_id, version = client.register(subject, _read(file))
    emit_table(["subject", "version", "id"], [(subject, version, schema_id)], output)


@app.command("list")
def list_subjects(output: OutputFormat = OUTPUT) -> None:
    """List the registered subjects."""
    with RegistryClient(settings().registry.url) as client:
        emit_table(["subject"], [(s,) for s in client.subjects()], output)


def _read(file: Path) -> str:
    try:
        return file.read_text()
    except OSError as e:
        raise TideError(f"cannot read {file}: {e.strerror}") from e


@app.command()
def check(subject: str, file: Path, output: OutputFormat = OUTPUT) -> None:
    """Would FILE be accepted as the next version of SUBJECT? Prints the reasons if not."""
    with RegistryClient(settings().registry.url) as client:
        reasons = client.check(subject, _read(file))
    if output is OutputFormat.json:
        emit_object({"subject": subject, "is_compatible": not reasons, "messages": reasons}, output)
    elif not reasons:
        console.print(f"compatible: {file} can be registered under {subject}")
    if reasons:
        for reason in reasons if output is OutputFormat.text else []:
            console.print(f"incompatible: {reason}", highlight=False)
        raise typer.Exit(1)


@app.command()
def show(
    subject: str, version: str = typer.Argument("latest"), output: OutputFormat = OUTPUT
) -> None:
    """A version of SUBJECT (default: latest), with its id and schema."""
    with RegistryClient(settings().registry.url) as client:
        found = client.version(subject, version)
    if output is OutputFormat.json:
        emit_object(found, output)
        return
    console.print(f"{found['subject']} version {found['version']} id {found['id']}")
    console.print_json(found["schema"])
