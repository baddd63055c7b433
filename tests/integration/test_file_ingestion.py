"""`tide produce file`: valid lines are published, refused lines land in <topic>.dlq with the
reason, the source line and the original payload; nothing is silently dropped."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from producers.generators.clock import EventClock
from producers.generators.orders import orders
from tide.ops.topics import create_pipeline_topics
from tide.settings import KafkaSettings
from tide.stack.broker import EmbeddedBroker


def avro_json(event: dict[str, object]) -> str:
    name, body = event["payload"]  # type: ignore[misc]
    out = {**event, "event_id": str(event["event_id"]), "payload": {name: body},
           "event_time": int(event["event_time"].timestamp() * 1000)}  # type: ignore[attr-defined]  # fmt: skip
    return json.dumps(out)


def read(bootstrap: str, topic: str) -> list[tuple[bytes, dict[str, bytes]]]:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "r",
                         "enable.partition.eof": True})  # fmt: skip
    pending = set(range(4))
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in pending])
    out = []
    while pending:
        for m in consumer.consume(100, timeout=1.0):
            if m.error() is not None:
                pending.discard(m.partition() or 0)
            else:
                out.append((m.value() or b"", dict(m.headers() or [])))
    consumer.close()
    return out


def test_file_with_bad_lines(
    fresh_broker: EmbeddedBroker, registry_url: str, tmp_path: Path
) -> None:
    create_pipeline_topics(KafkaSettings(bootstrap_servers=fresh_broker.bootstrap_servers))
    good = [avro_json(e) for _, e in orders(3, EventClock.spanning(3, 60), seed=5)]
    wrong_type = good[0].replace('"region": "', '"region": 7, "was": "')
    lines = [good[0], "{not json", good[1], '{"event_id": "x"}', good[2], wrong_type]
    source = tmp_path / "orders.jsonl"
    source.write_text("\n".join(lines) + "\n")
    env = {**os.environ, "TIDE_DATA_DIR": str(tmp_path / "data"),
           "TIDE_KAFKA__BOOTSTRAP_SERVERS": fresh_broker.bootstrap_servers,
           "TIDE_REGISTRY__URL": registry_url}  # fmt: skip
    rejects = tmp_path / "rejects.jsonl"
    result = subprocess.run(
        [sys.executable, "-m", "tide", "produce", "file", str(source), "--topic", "orders",
         "-o", "json", "--rejects", str(rejects)],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    refused = len(lines) - 3
    shown = summary.pop("first_rejects")
    assert summary == {"lines": len(lines), "accepted": 3, "dead_lettered": refused,
                       "dlq_topic": "orders.dlq", "rejects_file": str(rejects)}  # fmt: skip
    assert [r["line"] for r in shown] == [2, 4, 6]
    # the reasons name the field, what the schema expects and what the value is
    assert "event_time: missing" in shown[1]["reason"]
    assert "region: expected string, got number 7" in shown[2]["reason"]
    written = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert [(w["line"], w["reason"], w["input"]) for w in written] == [
        (r["line"], r["reason"], lines[r["line"] - 1]) for r in shown
    ]
    assert len(read(fresh_broker.bootstrap_servers, "orders")) == 3
    dead = read(fresh_broker.bootstrap_servers, "orders.dlq")
    assert sorted(v for v, _ in dead) == sorted(line.encode() for line in lines if line not in good)
    by_payload = dict(dead)
    assert b"not JSON" in by_payload[b"{not json"]["tide.dlq.reason"]
    assert by_payload[b"{not json"]["tide.dlq.source"] == f"{source}:2".encode()
