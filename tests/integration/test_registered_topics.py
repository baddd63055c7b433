"""Any topic whose subject is registered can be produced to — by `tide produce file` and by
`tide produce serve` — not only the topics whose schemas ship in `schemas/`."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import fastavro
import httpx

from producers import wire
from producers.registry_client import RegistryClient
from producers.topics import TopicSpec, ensure_topics
from tests.integration.test_file_ingestion import read
from tests.integration.test_http_ingestion import serve_answers
from tide.stack.broker import EmbeddedBroker
from tide.stack.ports import free_port
from tide.stack.process import ServerProcess

SENSOR = {
    "type": "record", "name": "Reading", "namespace": "plant",
    "fields": [{"name": "sensor_id", "type": "string"}, {"name": "celsius", "type": "double"}],
}  # fmt: skip


def registered_topic(broker: EmbeddedBroker, registry_url: str) -> tuple[str, int]:
    topic = f"sensors_{uuid.uuid4().hex[:8]}"
    ensure_topics(broker.bootstrap_servers, [TopicSpec(topic, 4)])
    with RegistryClient(registry_url) as registry:
        schema_id, _ = registry.register(f"{topic}-value", json.dumps(SENSOR))
    return topic, schema_id


def env_for(broker: EmbeddedBroker, registry_url: str, data: Path) -> dict[str, str]:
    return {**os.environ, "TIDE_DATA_DIR": str(data),
            "TIDE_KAFKA__BOOTSTRAP_SERVERS": broker.bootstrap_servers,
            "TIDE_REGISTRY__URL": registry_url}  # fmt: skip


def decoded(value: bytes) -> tuple[int, dict[str, object]]:
    schema_id, body = wire.split(value)
    record = fastavro.schemaless_reader(io.BytesIO(bytes(body)), fastavro.parse_schema(SENSOR))
    assert isinstance(record, dict)
    return schema_id, record


def test_a_file_goes_to_a_topic_known_only_to_the_registry(
    fresh_broker: EmbeddedBroker, registry_url: str, tmp_path: Path
) -> None:
    topic, schema_id = registered_topic(fresh_broker, registry_url)
    ensure_topics(fresh_broker.bootstrap_servers, [TopicSpec(f"{topic}.dlq", 4)])
    lines = [{"sensor_id": "s1", "celsius": 21.5}, {"sensor_id": "s2", "celsius": "warm"},
             {"sensor_id": "s3", "celsius": -3.0}]  # fmt: skip
    source = tmp_path / "readings.jsonl"
    source.write_text("".join(json.dumps(line) + "\n" for line in lines))
    result = subprocess.run(
        [sys.executable, "-m", "tide", "produce", "file", str(source), "--topic", topic,
         "--key-field", "sensor_id", "-o", "json"],
        env=env_for(fresh_broker, registry_url, tmp_path / "d"), capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["accepted"], summary["dead_lettered"]) == (2, 1)
    assert summary["first_rejects"][0]["line"] == 2
    assert 'celsius: expected double, got string "warm"' in summary["first_rejects"][0]["reason"]
    published = sorted(
        (decoded(v) for v, _ in read(fresh_broker.bootstrap_servers, topic)),
        key=lambda d: str(d[1]["sensor_id"]),
    )
    assert published == [(schema_id, lines[0]), (schema_id, lines[2])]


def test_a_topic_neither_shipped_nor_registered_is_refused_naming_the_subject(
    fresh_broker: EmbeddedBroker, registry_url: str, tmp_path: Path
) -> None:
    source = tmp_path / "x.jsonl"
    source.write_text('{"a": 1}\n')
    result = subprocess.run(
        [sys.executable, "-m", "tide", "produce", "file", str(source), "--topic", "nosuch"],
        env=env_for(fresh_broker, registry_url, tmp_path / "d"), capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    line = result.stderr.strip().splitlines()[-1]
    assert "no schema for topic 'nosuch'" in line
    assert "nor is subject 'nosuch-value' registered" in line


def test_serve_accepts_a_registered_topic_and_404s_an_unknown_one(
    fresh_broker: EmbeddedBroker, registry_url: str, tmp_path: Path
) -> None:
    topic, schema_id = registered_topic(fresh_broker, registry_url)
    port = free_port()
    serve = ServerProcess(
        "serve", [sys.executable, "-m", "tide", "produce", "serve", "--port", str(port)],
        tmp_path / "serve.log", env_for(fresh_broker, registry_url, tmp_path / "serve"),
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}/topics"
    serve.start(lambda: serve_answers(f"{base}/clicks"), timeout_s=60)
    try:
        records = [{"key": "s9", "value": {"sensor_id": "s9", "celsius": 4.25}}]
        answer = httpx.post(f"{base}/{topic}", json={"records": records}, timeout=30)
        assert answer.status_code == 200, answer.text
        (offset,) = answer.json()["offsets"]
        assert offset["offset"] is not None and not offset["queued"]
        (value, _), = read(fresh_broker.bootstrap_servers, topic)  # fmt: skip
        assert decoded(value) == (schema_id, records[0]["value"])
        unknown = httpx.post(f"{base}/nosuch_{topic}", json={"records": records}, timeout=30)
        assert unknown.status_code == 404
        assert unknown.json()["error_code"] == 40401
    finally:
        serve.stop()
