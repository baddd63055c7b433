"""Any record's bytes shown for people: registry-decoded when in the Confluent wire format.

A value (or key) that starts with magic byte 0 and a schema id the registry knows is decoded
with that writer schema: Avro through fastavro, a JSON Schema payload as the JSON it is. Anything
else — a dead letter's original line, a foreign producer's bytes, a body that does not decode —
is shown as UTF-8 text when it is that, else as base64; a foreign record never stops a reader.
``producers.deserializer`` is not used: it refuses non-record schemas and JSON Schema payloads.
"""

from __future__ import annotations

import base64
import io
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import fastavro

from producers import wire
from producers.errors import RegistryRequestError, WireFormatError
from producers.registry_client import RegistryClient

Reader = tuple[str, Any]  # ("avro", parsed schema) or ("json", None) or ("unknown", reason)


@dataclass(frozen=True)
class Shown:
    """Decoded bytes: how they were read (avro, json, text, base64, null), the schema id if any."""

    encoding: str
    value: Any
    schema_id: int | None = None


class RecordDecoder:
    """Decodes keys and values; writer schemas are fetched by id once and parsed once."""

    def __init__(self, registry: RegistryClient) -> None:
        self._registry = registry
        self._readers: dict[int, Reader] = {}

    def show(self, data: bytes | None) -> Shown:
        if data is None:
            return Shown("null", None)
        try:
            schema_id, body = wire.split(data)
        except WireFormatError:
            return raw(data)
        kind, reader = self._reader(schema_id)
        decoded = _decode(kind, reader, bytes(body))
        return raw(data) if decoded is None else Shown(kind, decoded, schema_id)

    def _reader(self, schema_id: int) -> Reader:
        if schema_id not in self._readers:
            try:
                schema_str = self._registry.schema_by_id(schema_id)
            except RegistryRequestError as e:
                if e.status_code != 404:
                    raise
                self._readers[schema_id] = ("unknown", f"schema id {schema_id} not registered")
            else:
                self._readers[schema_id] = _reader_of(schema_str)
        return self._readers[schema_id]


def _reader_of(schema_str: str) -> Reader:
    """Avro when fastavro parses the schema (and it is no JSON Schema), else JSON Schema."""
    try:
        schema = json.loads(schema_str)
    except ValueError:
        return ("unknown", "schema is not JSON")  # e.g. Protobuf: shown raw
    if isinstance(schema, dict) and ("$schema" in schema or "properties" in schema):
        return ("json", None)
    try:
        return ("avro", fastavro.parse_schema(schema))
    except Exception:  # any schema fastavro refuses is not Avro
        return ("json", None)


def _decode(kind: str, reader: Any, body: bytes) -> Any | None:
    """The decoded body, or None when it does not decode with its writer schema."""
    try:
        if kind == "avro":
            stream = io.BytesIO(body)
            record = fastavro.schemaless_reader(stream, reader, None, return_record_name=True,
                                                return_record_name_override=True)  # fmt: skip
            return None if stream.tell() != len(body) else plain(record)
        if kind == "json":
            return json.loads(body.decode("utf-8"))
    except Exception:  # a body that does not decode is shown raw, never fatal
        return None
    return None


def raw(data: bytes) -> Shown:
    try:
        return Shown("text", data.decode("utf-8"))
    except UnicodeDecodeError:
        return Shown("base64", base64.b64encode(data).decode("ascii"))


def text_or_base64(data: bytes | str | None) -> str | None:
    """A header value: its UTF-8 text, else ``base64:`` and its base64."""
    if data is None or isinstance(data, str):
        return data
    shown = raw(data)
    return shown.value if shown.encoding == "text" else f"base64:{shown.value}"


def plain(value: Any) -> Any:
    """Avro's Python values as JSON ones: times in ISO 8601, bytes as text or base64."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, datetime) and value.utcoffset() == timedelta(0):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes):
        return text_or_base64(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def iso_ms(timestamp_ms: int) -> str:
    """A Kafka timestamp in ISO 8601, UTC, to the millisecond."""
    moment = datetime.fromtimestamp(timestamp_ms / 1000, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
