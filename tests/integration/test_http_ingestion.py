"""`POST /topics/{topic}` (REST Proxy v2 shape) on the real broker and registry: per-record
answers with partition and offset, refused records in the DLQ, Confluent-style errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from producers.config import ProducerConfig
from producers.http_api import RecordsEndpoint, create_app
from producers.publisher import PublisherConfig, build_publisher
from producers.registry_client import RegistryClient
from schemas.loader import load_all
from tests.integration.test_file_ingestion import read
from tide.ops.topics import create_pipeline_topics
from tide.settings import KafkaSettings
from tide.stack.broker import EmbeddedBroker

CLICK = {"event_id": "2f6d3c4e-1a2b-4c3d-8e9f-0a1b2c3d4e5f", "event_time": 1795400000000,
         "user_id": "u1", "session_id": "s1", "page": "/cart", "referrer": {"string": "/"},
         "region": "eu", "device": "MOBILE"}  # fmt: skip


@pytest.fixture
def client(fresh_broker: EmbeddedBroker, registry_url: str, tmp_path: Path) -> Iterator[TestClient]:
    create_pipeline_topics(KafkaSettings(bootstrap_servers=fresh_broker.bootstrap_servers))
    contracts = load_all()
    with RegistryClient(registry_url) as registry:
        publisher = build_publisher(
            PublisherConfig(ProducerConfig(fresh_broker.bootstrap_servers), tmp_path / "ob"),
            registry,
            {t: (c.subject, c.schema_str) for t, c in contracts.items()},
        )
        endpoint = RecordsEndpoint(publisher, {t: c.schema for t, c in contracts.items()})
        with TestClient(create_app(endpoint, set(contracts))) as test_client:
            yield test_client
        publisher.close()


def test_records_answered_one_by_one(client: TestClient, fresh_broker: EmbeddedBroker) -> None:
    records = [
        {"key": "u1", "value": CLICK},
        {"key": "u2", "value": {**CLICK, "device": "FRIDGE"}},
        {"key": "u3", "value": {**CLICK, "user_id": "u3"}},
    ]
    headers = {"Content-Type": "application/vnd.kafka.avro.v2+json"}
    response = client.post(
        "/topics/clicks", content=json.dumps({"records": records}), headers=headers
    )
    assert response.status_code == 200
    offsets = response.json()["offsets"]
    assert [o["error_code"] for o in offsets] == [None, 42203, None]
    assert "FRIDGE" in offsets[1]["error"]
    assert all(isinstance(offsets[i]["offset"], int) for i in (0, 2))
    assert all(offsets[i]["queued"] is False for i in (0, 2))
    assert len(read(fresh_broker.bootstrap_servers, "clicks")) == 2
    dead = read(fresh_broker.bootstrap_servers, "clicks.dlq")
    assert len(dead) == 1
    assert json.loads(dead[0][0])["device"] == "FRIDGE"
    assert dead[0][1]["tide.dlq.source"] == b"http:records[1]"
    metrics = client.get("/metrics").text
    assert 'tide_events_total{outcome="delivered"} 2' in metrics
    assert 'tide_breaker_state{breaker="broker"} 0' in metrics


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        ("/topics/nope", {"records": [{"value": CLICK}]}, 404, 40401),
        ("/topics/clicks", "{broken", 400, 40001),
        ("/topics/clicks", {"records": []}, 422, 42201),
    ],
)
def test_bad_requests(client: TestClient, path: str, body: object, status: int, code: int) -> None:
    content = body if isinstance(body, str) else json.dumps(body)
    response = client.post(path, content=content)
    assert (response.status_code, response.json()["error_code"]) == (status, code)
