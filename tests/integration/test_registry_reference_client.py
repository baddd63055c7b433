"""Confluent's own client and serializers work against our registry, unmodified, over HTTP."""

from __future__ import annotations

import json

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from producers.generators.clicks import clicks
from producers.generators.clock import EventClock
from schemas.loader import load


def test_reference_client_lifecycle(registry_url: str) -> None:
    contract = load("clicks")
    subject = "reference-client-value"
    schema = Schema(contract.schema_str, "AVRO")
    with SchemaRegistryClient({"url": registry_url}) as client:
        schema_id = client.register_schema(subject, schema)
    with SchemaRegistryClient({"url": registry_url}) as fresh:  # no cache: asks the server
        assert fresh.register_schema(subject, schema) == schema_id
        found = fresh.lookup_schema(subject, schema)
        assert (found.schema_id, found.version) == (schema_id, 1)
        assert fresh.get_schema(schema_id).schema_type == "AVRO"
        latest = fresh.get_latest_version(subject)
        assert (latest.schema_id, latest.version) == (schema_id, 1)
        assert fresh.get_versions(subject) == [1]
        assert subject in fresh.get_subjects()
        assert fresh.set_compatibility(subject, "FULL") == {"compatibility": "FULL"}
        assert fresh.get_compatibility(subject) == "FULL"
        evolved = json.loads(contract.schema_str)
        evolved["fields"].append({"name": "campaign", "type": ["null", "string"], "default": None})
        assert fresh.test_compatibility(subject, Schema(json.dumps(evolved), "AVRO")) is True
        evolved["fields"].append({"name": "required", "type": "string"})
        assert fresh.test_compatibility(subject, Schema(json.dumps(evolved), "AVRO")) is False
        assert fresh.delete_version(subject, 1) == 1
        assert fresh.delete_subject(subject, permanent=True) == [1]
        assert subject not in fresh.get_subjects()


def test_reference_serializers_round_trip_with_our_ids(registry_url: str) -> None:
    contract = load("clicks")
    ctx = SerializationContext("clicks", MessageField.VALUE)
    _, record = next(clicks(1, EventClock.spanning(1, 10), seed=5))
    with SchemaRegistryClient({"url": registry_url}) as client:
        data = AvroSerializer(client, contract.schema_str)(record, ctx)
        registered = client.get_latest_version("clicks-value")
    assert data is not None
    assert data[0] == 0
    assert int.from_bytes(data[1:5], "big") == registered.schema_id
    with SchemaRegistryClient({"url": registry_url}) as other:
        decoded = AvroDeserializer(other)(data, ctx)
    assert decoded is not None
    assert {**decoded, "event_id": str(decoded["event_id"])} == record  # uuid decodes as UUID
