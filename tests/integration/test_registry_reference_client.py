"""Confluent's own client and serializers work against our registry, unmodified, over HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from confluent_kafka.schema_registry import (
    Schema,
    SchemaReference,
    SchemaRegistryClient,
    SchemaRegistryError,
)
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import Message
from grpc_tools import protoc

from producers.errors import RegistryRequestError
from producers.generators.clicks import clicks
from producers.generators.clock import EventClock
from producers.registry_client import RegistryClient
from registry.api.auth import hash_password
from schemas.loader import load
from tests.integration.registry_cluster import Cluster
from tide.stack.broker import EmbeddedBroker
from tide.stack.ports import free_port
from tide.stack.registry_process import RegistryProcess


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


ADDRESS = json.dumps(
    {"type": "record", "name": "Address", "namespace": "acme",
     "fields": [{"name": "city", "type": "string"}]}
)  # fmt: skip
CUSTOMER = json.dumps(
    {"type": "record", "name": "Customer", "namespace": "acme",
     "fields": [{"name": "name", "type": "string"}, {"name": "home", "type": "acme.Address"}]}
)  # fmt: skip


def test_reference_client_with_schema_references(registry_url: str) -> None:
    ctx = SerializationContext("customers", MessageField.VALUE)
    record = {"name": "Ada", "home": {"city": "London"}}
    with SchemaRegistryClient({"url": registry_url}) as client:
        client.register_schema("acme.Address", Schema(ADDRESS, "AVRO"))
        ref = SchemaReference("acme.Address", "acme.Address", 1)
        customer = Schema(CUSTOMER, "AVRO", [ref])
        schema_id = client.register_schema("customers-value", customer)
        assert client.get_schema(schema_id).references[0].subject == "acme.Address"
        conf = {"auto.register.schemas": False, "use.latest.version": True}
        serializer = AvroSerializer(client, customer, conf=conf)
        data = serializer(record, ctx)
    assert data is not None and int.from_bytes(data[1:5], "big") == schema_id
    with SchemaRegistryClient({"url": registry_url}) as other:
        assert AvroDeserializer(other)(data, ctx) == record
        with pytest.raises(SchemaRegistryError) as refused:
            other.delete_version("acme.Address", 1)
    assert refused.value.error_code == 42206


def test_reference_client_with_basic_auth(tmp_path: Path) -> None:
    users = json.dumps({"alice": hash_password("wonderland")})
    server = RegistryProcess(free_port(), tmp_path / "r.sqlite", tmp_path / "logs",
                             env={"TIDE_REGISTRY__USERS": users})  # fmt: skip
    server.start()
    try:
        conf = {"url": server.url, "basic.auth.user.info": "alice:wonderland"}
        with SchemaRegistryClient(conf) as client:
            schema_id = client.register_schema("s-value", Schema(ADDRESS, "AVRO"))
            assert json.loads(client.get_schema(schema_id).schema_str) == json.loads(ADDRESS)
            assert client.get_subjects() == ["s-value"]
        wrong = {"url": server.url, "basic.auth.user.info": "alice:guess"}
        with SchemaRegistryClient(wrong) as intruder, pytest.raises(SchemaRegistryError) as e:
            intruder.get_subjects()
        assert e.value.http_status_code == 401
        # Tide's own clients take the credentials from the URL (TIDE_REGISTRY__URL)
        with RegistryClient(server.url.replace("http://", "http://alice:wonderland@")) as ours:
            assert ours.url == server.url  # the password never reaches logs and messages
            assert ours.register("s-value", ADDRESS)[0] == schema_id
        with RegistryClient(server.url) as anonymous, pytest.raises(RegistryRequestError) as no:
            anonymous.register("s-value", ADDRESS)
        assert "401" in str(no.value)
    finally:
        server.stop()


def test_reference_client_against_a_follower_of_the_kafka_backed_store(
    fresh_broker: EmbeddedBroker, tmp_path: Path
) -> None:
    cluster = Cluster(fresh_broker.bootstrap_servers, tmp_path)
    try:
        members = [cluster.add(), cluster.add()]
        primary = cluster.primary()
        follower = next(m for m in members if m.url != primary)
        with SchemaRegistryClient({"url": follower.url}) as client:
            schema_id = client.register_schema("f-value", Schema(ADDRESS, "AVRO"))  # forwarded
            assert client.lookup_schema("f-value", Schema(ADDRESS, "AVRO")).version == 1
            assert client.set_compatibility("f-value", "FULL") == {"compatibility": "FULL"}
            assert client.get_compatibility("f-value") == "FULL"  # read-your-write
        with SchemaRegistryClient({"url": primary}) as client:
            assert client.get_schema(schema_id).schema_type == "AVRO"
            assert client.get_latest_version("f-value").schema_id == schema_id
    finally:
        cluster.stop()


def test_reference_json_schema_serializers_and_compatibility(registry_url: str) -> None:
    click = {
        "$schema": "http://json-schema.org/draft-07/schema#", "title": "Click", "type": "object",
        "properties": {"page": {"type": "string"}, "n": {"type": "integer"}},
        "required": ["page"], "additionalProperties": False,
    }  # fmt: skip
    ctx = SerializationContext("json-clicks", MessageField.VALUE)
    with SchemaRegistryClient({"url": registry_url}) as client:
        data = JSONSerializer(json.dumps(click), client)({"page": "/", "n": 3}, ctx)
        assert data is not None
        latest = client.get_latest_version("json-clicks-value")
        assert latest.schema.schema_type == "JSON"
        assert int.from_bytes(data[1:5], "big") == latest.schema_id
        assert JSONDeserializer(None, schema_registry_client=client)(data, ctx) == {
            "page": "/", "n": 3,
        }  # fmt: skip
        stricter = {**click, "required": ["page", "n"]}  # old data may lack n
        assert client.test_compatibility("json-clicks-value",
                                         Schema(json.dumps(stricter), "JSON")) is False  # fmt: skip
        looser = {**click, "properties": {**click["properties"], "ref": {"type": "string"}}}
        assert client.test_compatibility("json-clicks-value",
                                         Schema(json.dumps(looser), "JSON")) is True  # fmt: skip


ADDRESS_PROTO = 'syntax = "proto3";\npackage acme;\nmessage Address { string city = 1; }\n'
CUSTOMER_PROTO = """syntax = "proto3";
package acme;
import "acme/address.proto";
message Customer { string name = 1; Address home = 2; map<string, int32> visits = 3; }
"""


def _message_class(tmp_path: Path) -> type[Message]:
    """``acme.Customer``, compiled now by protoc (grpcio-tools) into a pool of its own."""
    (tmp_path / "acme").mkdir()
    (tmp_path / "acme" / "address.proto").write_text(ADDRESS_PROTO)
    (tmp_path / "acme" / "customer.proto").write_text(CUSTOMER_PROTO)
    out = tmp_path / "set.pb"
    assert protoc.main(["protoc", f"-I{tmp_path}", "--include_imports",
                        f"--descriptor_set_out={out}", "acme/customer.proto"]) == 0  # fmt: skip
    pool = descriptor_pool.DescriptorPool()
    for file in descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes()).file:
        pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("acme.Customer"))


def test_reference_protobuf_serializers_register_imports_and_round_trip(
    registry_url: str, tmp_path: Path
) -> None:
    customer = _message_class(tmp_path)
    message = customer(name="Ada", home={"city": "London"}, visits={"/": 3})
    ctx = SerializationContext("proto-customers", MessageField.VALUE)
    with SchemaRegistryClient({"url": registry_url}) as client:
        data = ProtobufSerializer(customer, client)(message, ctx)
        latest = client.get_latest_version("proto-customers-value")
        assert latest.schema.schema_type == "PROTOBUF"
        assert [(r.name, r.subject) for r in latest.schema.references] == [
            ("acme/address.proto", "acme/address.proto")
        ]
        imported = client.get_latest_version("acme/address.proto")
        assert "message Address" in imported.schema.schema_str
    assert data is not None and int.from_bytes(data[1:5], "big") == latest.schema_id
    with SchemaRegistryClient({"url": registry_url}) as other:
        decoded = ProtobufDeserializer(customer, {}, other)(data, ctx)
    assert decoded == message
