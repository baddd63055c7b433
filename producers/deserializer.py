"""Decode Confluent wire-format messages with the writer schema fetched by id from the registry."""

from __future__ import annotations

import io
import json
from typing import Any

import fastavro

from producers import wire
from producers.errors import WireFormatError
from producers.registry_client import RegistryClient


class AvroDeserializer:
    """Decoder of any subject's events; writer schemas are parsed once per id.

    Unions of several records decode to ``(record fullname, record)`` tuples so the branch is
    not lost (fastavro's ``return_record_name``); ``[null, record]`` unions decode plainly.
    """

    def __init__(self, registry: RegistryClient) -> None:
        self._registry = registry
        self._parsed: dict[int, Any] = {}

    def writer_schema(self, schema_id: int) -> dict[str, Any]:
        schema: dict[str, Any] = json.loads(self._registry.schema_by_id(schema_id))
        return schema

    def decode(self, message: bytes) -> dict[str, Any]:
        schema_id, body = wire.split(message)
        parsed = self._parsed.get(schema_id)
        if parsed is None:
            parsed = self._parsed[schema_id] = fastavro.parse_schema(self.writer_schema(schema_id))
        record = fastavro.schemaless_reader(
            io.BytesIO(body),
            parsed,
            None,
            return_record_name=True,
            return_record_name_override=True,
        )
        if not isinstance(record, dict):
            raise WireFormatError(f"schema {schema_id} does not describe a record")
        return record

    def schema_id_of(self, message: bytes) -> int:
        return wire.split(message)[0]
