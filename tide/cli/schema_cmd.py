"""`tide schema ...`: register and list schema versions."""

from __future__ import annotations

from pathlib import Path

import typer

from producers.registry_client import RegistryClient
from tide.cli.context import settings
from tide.cli.output import OutputFormat, emit_table
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
    try:
        text = file.read_text()
    except OSError as e:
        raise TideError(f"cannot read {file}: {e.strerror}") from e
    client = RegistryClient(settings().registry.url)
    schema_id, version = client.register(subject, text)
    emit_table(["subject", "version", "id"], [(subject, version, schema_id)], output)


@app.command("list")
def list_subjects(output: OutputFormat = OUTPUT) -> None:
    """List the registered subjects."""
    client = RegistryClient(settings().registry.url)
    emit_table(["subject"], [(s,) for s in client.subjects()], output)
