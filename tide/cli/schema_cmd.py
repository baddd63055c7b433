"""`tide schema ...`: register, check, show and diff schema versions (list, config, mode and
delete: ``schema_admin_cmd``)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from producers.registry_client import RegistryClient
from tide.cli import schema_admin_cmd
from tide.cli.context import settings
from tide.cli.output import OutputFormat, console, emit_object, emit_table
from tide.errors import TideError
from tide.ops import schema_diff
from tide.ops.schemas import sync_schemas

app = typer.Typer(help="Register, check and list schema versions.", no_args_is_help=True)
OUTPUT = typer.Option(OutputFormat.text, "--output", "-o", help="text or json")
TYPE = typer.Option(
    None, "--type", "-t", help="AVRO or JSON (default: JSON for a .json file, else AVRO)."
)


@app.command()
def sync(output: OutputFormat = OUTPUT) -> None:
    """Register every contract shipped in schemas/ (idempotent)."""
    done = sync_schemas(settings().registry.url)
    rows = [(r.subject, r.version, r.schema_id) for r in done]
    emit_table(["subject", "version", "id"], rows, output, "schemas registered")


@app.command()
def register(
    subject: str, file: Path, output: OutputFormat = OUTPUT, schema_type: str | None = TYPE
) -> None:
    """Register the schema in FILE (Avro or JSON Schema) under SUBJECT."""
    with RegistryClient(settings().registry.url) as client:
        schema_id, version = client.register(subject, _read(file), _type(file, schema_type))
    emit_table(["subject", "version", "id"], [(subject, version, schema_id)], output)


def _type(file: Path, given: str | None) -> str:
    if given is None:
        return "JSON" if file.suffix.lower() == ".json" else "AVRO"
    if given.upper() not in ("AVRO", "JSON"):
        raise TideError(f"unknown schema type {given!r}: use AVRO or JSON")
    return given.upper()


def _read(file: Path) -> str:
    try:
        return file.read_text()
    except OSError as e:
        raise TideError(f"cannot read {file}: {e.strerror}") from e


@app.command()
def check(
    subject: str, file: Path, output: OutputFormat = OUTPUT, schema_type: str | None = TYPE
) -> None:
    """Would FILE be accepted as the next version of SUBJECT? Prints the reasons if not."""
    with RegistryClient(settings().registry.url) as client:
        reasons = client.check(subject, _read(file), _type(file, schema_type))
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


@app.command()
def diff(subject: str, v1: str, v2: str, output: OutputFormat = OUTPUT) -> None:
    """What changed from version V1 to V2 of SUBJECT, and whether each reads the other's data."""
    with RegistryClient(settings().registry.url) as client:
        compared = schema_diff.compare(client, subject, v1, v2)
    if output is OutputFormat.json:
        emit_object(compared.to_json(), output)
        return
    old, new, changes = compared.old, compared.new, compared.changes
    backward, forward = compared.backward, compared.forward
    console.print(f"{subject}: version {old['version']} (id {old['id']}) -> "
                  f"version {new['version']} (id {new['id']})", highlight=False)  # fmt: skip
    for change in changes:
        detail = "" if change.old is None and change.new is None else (
            f": {_show(change.old)} -> {_show(change.new)}"
        )  # fmt: skip
        console.print(f"  {change.path}  {change.kind}{detail}", highlight=False)
    if not changes:
        console.print("  no differences")
    for name, what, verdict in (
        ("backward", f"v{new['version']} reads v{old['version']} data", backward),
        ("forward", f"v{old['version']} reads v{new['version']} data", forward),
    ):
        state = {True: "compatible", False: "INCOMPATIBLE", None: "not checked"}[verdict.compatible]
        console.print(f"{name} ({what}): {state}", highlight=False)
        for message in verdict.messages:
            console.print(f"  {message}", highlight=False)


def _show(value: object) -> str:
    return "-" if value is None else json.dumps(value) if not isinstance(value, str) else value


app.command("list")(schema_admin_cmd.list_subjects)
app.command("config")(schema_admin_cmd.config)
app.command("mode")(schema_admin_cmd.mode)
app.command("delete")(schema_admin_cmd.delete)
