"""Our encoder's bytes equal confluent-kafka's reference AvroSerializer's (same schema id)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import fastavro
import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer as ReferenceSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from producers import wire
from producers.errors import WireFormatError
from producers.generators.clicks import clicks
from producers.generators.clock import EventClock
from schemas.loader import load


def _ours(schema_id: int, schema_str: str, record: dict[str, object]) -> bytes:
    parsed = fastavro.parse_schema(load("clicks").schema)
    out = io.BytesIO(wire.header(schema_id))
    out.seek(0, io.SEEK_END)
    fastavro.schemaless_writer(out, parsed, record)
    return out.getvalue()


def test_bytes_equal_reference_serializer() -> None:
    contract = load("clicks")
    client = SchemaRegistryClient.new_client({"url": "mock://wire-format"})
    schema_id = client.register_schema(contract.subject, Schema(contract.schema_str, "AVRO"))
    reference = ReferenceSerializer(
        client,
        contract.schema_str,
        conf={"auto.register.schemas": False, "use.latest.version": True},
    )
    ctx = SerializationContext("clicks", MessageField.VALUE)
    for _, record in clicks(50, EventClock.spanning(50, 60), seed=7):
        expected = reference(record, ctx)
        assert _ours(schema_id, contract.schema_str, record) == expected
        assert expected[0] == 0
        assert int.from_bytes(expected[1:5], "big") == schema_id


def test_split_reads_header() -> None:
    message = wire.header(258) + b"body"
    schema_id, body = wire.split(message)
    assert schema_id == 258
    assert bytes(body) == b"body"


@pytest.mark.parametrize(
    ("message", "reason"),
    [(b"\x00\x00", "shorter than the 5-byte header"), (b"\x01\x00\x00\x00\x01x", "magic byte 1")],
)
def test_split_refuses_foreign_bytes(message: bytes, reason: str) -> None:
    with pytest.raises(WireFormatError, match=reason):
        wire.split(message)


def test_event_time_is_timestamp_millis() -> None:
    _, record = next(clicks(1, EventClock.spanning(1, 1), seed=1))
    assert isinstance(record["event_time"], datetime)
    assert record["event_time"].tzinfo is UTC
