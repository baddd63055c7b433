"""Validate events against their schema and encode them in the Confluent wire format."""

from __future__ import annotations

import io
import json
from typing import Any

import fastavro
from fastavro.validation import ValidationError, validate

from producers import wire
from producers.avro_json_errors import first_mismatch
from producers.errors import SchemaValidationError
from producers.registry_client import RegistryClient


class AvroSerializer:
    """Encoder of one subject's events; the schema id is fetched from the registry once."""

    def __init__(self, registry: RegistryClient, subject: str, schema_str: str) -> None:
        self.subject = subject
        self._registry = registry
        self._schema_str = schema_str
        self._parsed = fastavro.parse_schema(json.loads(schema_str))
        self._header: bytes | None = None

    @property
    def schema(self) -> dict[str, Any]:
        """The schema as written (not fastavro's parsed form)."""
        parsed: dict[str, Any] = json.loads(self._schema_str)
        return parsed

    @property
    def schema_id(self) -> int:
        return self._registry.id_for(self.subject, self._schema_str)

    def validate(self, event: dict[str, Any]) -> None:
        """Raise SchemaValidationError naming the field and the expected type."""
        try:
            validate(event, self._parsed, raise_errors=True)
        except ValidationError as e:
            reason = first_mismatch(event, self._parsed, json_encoded=False) or _describe(e)
            raise SchemaValidationError(f"{self.subject}: {reason}") from e

    def body(self, event: dict[str, Any]) -> bytes:
        """The Avro body of ``event``; an event that does not fit the schema is refused.

        Encoding is the check (as in Confluent's serializer, with strict field matching); only a
        refused event pays for fastavro's slower validator, to name the field and type. A float
        given for an int/long is truncated by the writer, not refused.
        """
        out = io.BytesIO()
        try:
            fastavro.schemaless_writer(out, self._parsed, event, strict_allow_default=True)
        except (TypeError, ValueError, KeyError, AttributeError, OverflowError) as e:
            self.validate(event)  # raises with the field and type when it can say
            raise SchemaValidationError(f"{self.subject}: {e}") from e
        return out.getvalue()

    @property
    def header_known(self) -> bool:
        return self._header is not None

    def header(self) -> bytes:
        """Magic byte and schema id (the id is fetched from the registry once)."""
        if self._header is None:
            self._header = wire.header(self.schema_id)
        return self._header

    def encode(self, event: dict[str, Any]) -> bytes:
        body = self.body(event)
        return self.header() + body


def _describe(error: ValidationError) -> str:
    """fastavro reports 'field is <value> of type <type> expected <schema>': keep it to one line."""
    return "; ".join(str(item).replace("\n", " ") for item in error.errors) or str(error)
