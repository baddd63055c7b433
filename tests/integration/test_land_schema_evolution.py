"""Landing across schema versions: a compatible newer writer evolves the lake table in the same
run, older and newer records land side by side; an incompatible one stops the job naming the
field, with what was landed before it intact. Real broker, registry, catalog and CLI."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from confluent_kafka import Producer

from producers.registry_client import RegistryClient
from producers.serializer import AvroSerializer
from producers.topics import TopicSpec, ensure_topics
from schemas.loader import load
from tests.integration.test_bad_input import CLICK, assert_refused, run
from tide.stack.broker import EmbeddedBroker


def _with_field(field: dict[str, Any]) -> str:
    schema = load("clicks").schema
    return json.dumps({**schema, "fields": [*schema["fields"], field]})


def _retyped(name: str, avro_type: str) -> str:
    schema = load("clicks").schema
    fields = [{**f, "type": avro_type} if f["name"] == name else f for f in schema["fields"]]
    return json.dumps({**schema, "fields": fields})


V2 = _with_field({"name": "campaign", "type": ["null", "string"], "default": None})


class Topic:
    """A fresh topic whose subject starts at the shipped clicks schema (v1)."""

    def __init__(self, broker: EmbeddedBroker, registry_url: str, partitions: int) -> None:
        self.name = f"clicks_{uuid.uuid4().hex[:8]}"
        self.subject = f"{self.name}-value"
        self.registry_url = registry_url
        ensure_topics(broker.bootstrap_servers, [TopicSpec(self.name, partitions)])
        self.registry = RegistryClient(registry_url)
        self.producer = Producer({"bootstrap.servers": broker.bootstrap_servers, "log_level": 0})
        self.env = {"TIDE_KAFKA__BOOTSTRAP_SERVERS": broker.bootstrap_servers,
                    "TIDE_REGISTRY__URL": registry_url}  # fmt: skip
        self.v1 = self.writer(load("clicks").schema_str)

    def writer(self, schema_str: str) -> AvroSerializer:
        serializer = AvroSerializer(self.registry, self.subject, schema_str)
        _ = serializer.schema_id  # registered now: the registry is the authority
        return serializer

    def send(self, serializer: AvroSerializer, partition: int, **extra: Any) -> str:
        event_id = str(uuid.uuid4())
        click = {**CLICK, "event_id": event_id, "user_id": f"u{partition}", **extra}
        self.producer.produce(self.name, serializer.encode(click), partition=partition)
        return event_id

    def flush(self) -> None:
        assert self.producer.flush(10) == 0

    def close(self) -> None:
        self.registry.close()

    def sql(self, tmp_path: Path, query: str) -> list[dict[str, Any]]:
        result = run(tmp_path, self.env, "sql", query, "-o", "json")
        assert result.returncode == 0, result.stderr
        rows: list[dict[str, Any]] = json.loads(result.stdout)
        return rows


@pytest.fixture
def topics(broker: EmbeddedBroker, registry_url: str) -> Iterator[Callable[[int], Topic]]:
    made: list[Topic] = []

    def make(partitions: int) -> Topic:
        made.append(Topic(broker, registry_url, partitions))
        return made[-1]

    yield make
    for topic in made:
        topic.close()


def test_a_newer_compatible_schema_mid_stream_evolves_the_table_and_lands_every_event(
    tmp_path: Path, topics: Callable[[int], Topic]
) -> None:
    topic = topics(2)
    expected: dict[str, str | None] = {}
    for i in range(4):
        expected[topic.send(topic.v1, i % 2)] = None
    v2 = topic.writer(V2)  # registered mid-stream
    assert v2.schema_id != topic.v1.schema_id
    for i in range(8):  # interleaved within each partition
        if i % 2:
            expected[topic.send(v2, i % 2, campaign=f"c{i}")] = f"c{i}"
        else:
            expected[topic.send(topic.v1, i % 2)] = None
    topic.flush()
    first = run(tmp_path, topic.env, "jobs", "submit", "land", "--topic", topic.name)
    assert first.returncode == 0, first.stderr
    for i in range(4):  # older writers go on after the table evolved, in a later run
        event_id = topic.send(topic.v1 if i % 2 else v2, i % 2, **({} if i % 2 else
                              {"campaign": "late"}))  # fmt: skip
        expected[event_id] = None if i % 2 else "late"
    topic.flush()
    second = run(tmp_path, topic.env, "jobs", "submit", "land", "--topic", topic.name)
    assert second.returncode == 0, second.stderr

    rows = topic.sql(tmp_path, f"SELECT event_id, campaign, page, device FROM {topic.name}")  # noqa: S608
    assert {r["event_id"]: r["campaign"] for r in rows} == expected
    assert len(rows) == len(expected) == 16
    assert {(r["page"], r["device"]) for r in rows} == {(CLICK["page"], CLICK["device"])}
    nulls = topic.sql(tmp_path, f"SELECT count(*) AS n FROM {topic.name} WHERE campaign IS NULL")  # noqa: S608
    assert nulls == [{"n": sum(v is None for v in expected.values())}]


def test_an_incompatible_change_stops_landing_naming_the_field_and_keeps_what_was_landed(
    tmp_path: Path, topics: Callable[[int], Topic]
) -> None:
    topic = topics(1)
    landed = [topic.send(topic.v1, 0) for _ in range(3)]
    topic.flush()
    first = run(tmp_path, topic.env, "jobs", "submit", "land", "--topic", topic.name)
    assert first.returncode == 0, first.stderr
    # The registry accepts anything for this subject now; the lake cannot store it.
    httpx.put(f"{topic.registry_url}/config/{topic.subject}", json={"compatibility": "NONE"})
    v3 = topic.writer(_retyped("region", "int"))
    landed += [topic.send(topic.v1, 0) for _ in range(2)]  # landed before the refusal
    topic.send(v3, 0, region=7)
    topic.send(topic.v1, 0)
    topic.flush()
    result = run(tmp_path, topic.env, "jobs", "submit", "land", "--topic", topic.name)
    assert_refused(result, f"{topic.name}[0] offset 5", f"schema id {v3.schema_id}",
                   "field region changed type incompatibly", "string", "int32",
                   "what was landed before it stays landed")  # fmt: skip
    rows = topic.sql(tmp_path, f"SELECT event_id, region FROM {topic.name}")  # noqa: S608
    assert sorted(r["event_id"] for r in rows) == sorted(landed)
    again = run(tmp_path, topic.env, "jobs", "submit", "land", "--topic", topic.name)
    assert_refused(again, f"{topic.name}[0] offset 5", "field region")
