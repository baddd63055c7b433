"""`POST /topics/{topic}` (REST Proxy v2 shape) on the real broker and registry: per-record
answers with partition and offset, refused records in the DLQ, Confluent-style errors."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
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
from tide.stack.ports import free_port
from tide.stack.process import ServerProcess

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
        with TestClient(create_app(endpoint)) as test_client:
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


def test_serve_recovers_by_itself_after_a_broker_restart(
    fresh_broker: EmbeddedBroker, registry_url: str, tmp_path: Path
) -> None:
    """`tide produce serve` under a broker kill -9 and restart: requests during the outage are
    answered (queued), and after it they are delivered again — without restarting serve."""
    kafka = KafkaSettings(bootstrap_servers=fresh_broker.bootstrap_servers)
    create_pipeline_topics(kafka)
    port = free_port()
    env = {**os.environ, "TIDE_DATA_DIR": str(tmp_path / "serve"),
           "TIDE_KAFKA__BOOTSTRAP_SERVERS": fresh_broker.bootstrap_servers,
           "TIDE_REGISTRY__URL": registry_url}  # fmt: skip
    serve = ServerProcess(
        "serve", [sys.executable, "-m", "tide", "produce", "serve", "--port", str(port)],
        tmp_path / "serve.log", env,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/topics/clicks"
    serve.start(lambda: serve_answers(url), timeout_s=60)
    try:
        sent = 0

        def post() -> list[dict[str, object]]:
            nonlocal sent
            records = [{"key": f"u{sent + i}", "value": {**CLICK, "user_id": f"u{sent + i}"}}
                       for i in range(5)]  # fmt: skip
            sent += 5
            answer = httpx.post(url, json={"records": records}, timeout=60)
            assert answer.status_code == 200, answer.text
            return list(answer.json()["offsets"])

        assert not any(o["queued"] for o in post())
        fresh_broker.kill()
        assert all(o["queued"] for o in post())  # kept on disk, answered
        fresh_broker.start()  # in memory: back empty
        create_pipeline_topics(kafka)
        deadline = time.monotonic() + 60
        while any(o["queued"] for o in post()):
            assert time.monotonic() < deadline, "serve never delivered again"
        for _ in range(5):  # and it stays so: delivered, with offsets
            assert all(not o["queued"] and o["offset"] is not None for o in post())
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        assert "tide_outbox_pending 0" in metrics
        assert len(read(fresh_broker.bootstrap_servers, "clicks")) >= sent - 5  # all but the first
    finally:
        serve.stop()


def serve_answers(url: str) -> bool:
    """True once `tide produce serve` answers at ``url``."""
    try:
        httpx.post(url, json={"records": []}, timeout=1)
    except httpx.HTTPError:
        return False
    return True
