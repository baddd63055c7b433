"""A fresh clicks topic on the real broker, landed by `tide jobs submit land` subprocesses and
read back by `tide sql`: what the maintenance tests expire, clean and compact."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Producer
from pyiceberg.table import Table

from lake.tables import load_table
from producers.registry_client import RegistryClient
from producers.serializer import AvroSerializer
from producers.topics import TopicSpec, ensure_topics
from schemas.loader import load
from tests.integration.test_bad_input import run
from tests.unit.lake.samples import click
from tide.ops.lake import catalog, land_topic, query_engine
from tide.settings import KafkaSettings, RegistrySettings, TideSettings


class Landed:
    """Events produced to a fresh 2-partition topic and the lake table landing them."""

    def __init__(self, tmp_path: Path, broker: Any, registry_url: str) -> None:
        self.tmp_path = tmp_path
        self.topic = f"maint_{uuid.uuid4().hex[:8]}"
        ensure_topics(broker.bootstrap_servers, [TopicSpec(self.topic, 2)])
        self.registry = RegistryClient(registry_url)
        self.serializer = AvroSerializer(
            self.registry, f"{self.topic}-value", load("clicks").schema_str
        )
        self.producer = Producer({"bootstrap.servers": broker.bootstrap_servers, "log_level": 0})
        self.env = {"TIDE_KAFKA__BOOTSTRAP_SERVERS": broker.bootstrap_servers,
                    "TIDE_REGISTRY__URL": registry_url}  # fmt: skip
        self.sent: set[str] = set()

    def produce(self, numbers: range) -> None:
        for i in numbers:
            event = click(i)
            self.producer.produce(self.topic, self.serializer.encode(event), partition=i % 2)
            self.sent.add(event["event_id"])
        assert self.producer.flush(30) == 0

    def tide(self, *args: str) -> Any:
        result = run(self.tmp_path, self.env, *args)
        assert result.returncode == 0, result.stderr
        return result

    def land(self, numbers: range) -> None:
        """Produce ``numbers`` and land the topic (the land job, in this process)."""
        self.produce(numbers)
        land_topic(self.settings(), self.topic)

    def settings(self) -> TideSettings:
        kafka = KafkaSettings(bootstrap_servers=self.env["TIDE_KAFKA__BOOTSTRAP_SERVERS"])
        registry = RegistrySettings(url=self.env["TIDE_REGISTRY__URL"])
        return TideSettings(data_dir=self.tmp_path, kafka=kafka, registry=registry)

    def job(self, *args: str) -> dict[str, Any]:
        """`tide jobs submit ARGS -o json --table <topic>`'s result."""
        out = self.tide("jobs", "submit", *args, "--table", self.topic, "-o", "json").stdout
        parsed = json.loads(out)
        assert isinstance(parsed, dict)
        return parsed

    def rows(self) -> list[dict[str, Any]]:
        """Every row of the table, sorted by event id, as DuckDB reads the lake now."""
        engine = query_engine(self.settings())
        try:
            query = f"SELECT * FROM {self.topic} ORDER BY event_id"  # noqa: S608
            return engine.query(query).to_pylist()
        finally:
            engine.close()

    def event_ids(self) -> list[str]:
        return [row["event_id"] for row in self.rows()]

    def table(self) -> Table:
        settings = self.settings()
        return load_table(catalog(settings), settings.lake.namespace, self.topic)

    def close(self) -> None:
        self.registry.close()


@pytest.fixture
def landed(tmp_path: Path, broker: Any, registry_url: str) -> Iterator[Landed]:
    """A ``Landed`` closed however the test ends (its registry client holds a socket)."""
    made = Landed(tmp_path, broker, registry_url)
    yield made
    made.close()
