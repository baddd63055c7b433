"""Operator tools against the real broker and registry: `tide topics`, `tide consume`, `tide lag`.

Records are produced in batches (one flush), so the embedded broker's ListOffsets answer (the
base of the last batch plus one) would under-count: the end offsets shown must be the real ones.
The offset tests run on both brokers (``data_broker``: Tansu, then a one-node Apache Kafka).
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, Producer, TopicPartition

from producers.registry_client import RegistryClient
from producers.serializer import AvroSerializer
from producers.topics import TopicSpec, ensure_topics
from schemas.loader import load
from tests.integration.test_bad_input import assert_refused
from tide.stack.broker import EmbeddedBroker

T0 = 1_796_000_000_000  # 2026-11-30T...Z, event and record times of the produced records


def tide_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "tide", *args]


def environment(tmp_path: Path, broker: Any, registry_url: str) -> dict[str, str]:
    return {**os.environ, "TIDE_DATA_DIR": str(tmp_path), "COLUMNS": "200",
            "TIDE_KAFKA__BOOTSTRAP_SERVERS": broker.bootstrap_servers,
            "TIDE_REGISTRY__URL": registry_url}  # fmt: skip


def tide(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(tide_cmd(*args), env=env, capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    return result.stdout


def json_lines(result: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in ok(result).splitlines() if line.strip()]


def new_topic(broker: Any, partitions: int, suffix: str = "") -> str:
    topic = f"ops_{uuid.uuid4().hex[:8]}{suffix}"
    ensure_topics(broker.bootstrap_servers, [TopicSpec(topic, partitions)])
    return topic


def produce(broker: Any, topic: str, records: list[tuple[int, bytes | None, bytes]]) -> None:
    """(partition, key, value) records, all in one flush: batches of several records."""
    producer = Producer({"bootstrap.servers": broker.bootstrap_servers, "linger.ms": 50,
                         "log_level": 0})  # fmt: skip
    for i, (partition, key, value) in enumerate(records):
        producer.produce(topic, value, key, partition=partition, timestamp=T0 + i * 1000)
    assert producer.flush(30) == 0


def click(i: int) -> dict[str, Any]:
    return {"event_id": str(uuid.UUID(int=i + 1)), "event_time": T0 + i, "user_id": f"user-{i}",
            "session_id": f"s-{i}", "page": f"/product/{i}", "referrer": None, "region": "eu",
            "device": "MOBILE"}  # fmt: skip


def test_consume_decodes_avro_and_shows_foreign_records_raw(
    tmp_path: Path, broker: EmbeddedBroker, registry_url: str
) -> None:
    topic = new_topic(broker, 2)
    contract = load("clicks")
    with RegistryClient(registry_url) as registry:
        serializer = AvroSerializer(registry, f"{topic}-value", contract.schema_str)
        avro = [(i % 2, f"user-{i}".encode(), serializer.header() + serializer.body(click(i)))
                for i in range(6)]  # fmt: skip
    foreign = [(0, None, b"plain text, no schema"), (1, b"k", b"\x00\xff\xfe\xfd")]
    produce(broker, topic, avro + foreign)
    env = environment(tmp_path, broker, registry_url)

    records = json_lines(tide(env, "consume", topic, "-o", "json"))
    assert len(records) == 8
    decoded = {r["value"]["page"]: r for r in records if r["value_encoding"] == "avro"}
    assert sorted(decoded) == [f"/product/{i}" for i in range(6)]
    first = decoded["/product/0"]
    assert first["key"] == "user-0"
    assert first["value"]["device"] == "MOBILE"
    assert first["value"]["event_id"] == str(uuid.UUID(int=1))
    assert first["value"]["event_time"].startswith("2026-")
    assert first["schema_id"] == serializer.schema_id
    assert first["timestamp"].endswith("Z")
    by_value = {r["value_encoding"]: r for r in records if r["value_encoding"] != "avro"}
    assert by_value["text"]["value"] == "plain text, no schema"
    assert by_value["base64"]["value"] == "AP/+/Q=="  # 0x00 then no valid schema id: raw
    assert by_value["base64"]["key"] == "k"

    text = ok(tide(env, "consume", topic))
    assert '"page": "/product/3"' in text
    assert "plain text, no schema" in text


def test_consume_decodes_json_schema_payloads(
    tmp_path: Path, broker: EmbeddedBroker, registry_url: str
) -> None:
    topic = new_topic(broker, 1)
    schema = {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
              "properties": {"sku": {"type": "string"}, "qty": {"type": "integer"}}}  # fmt: skip
    with RegistryClient(registry_url) as registry:
        schema_id, _ = registry.register(f"{topic}-value", json.dumps(schema), "JSON")
    header = b"\x00" + schema_id.to_bytes(4, "big")
    produce(broker, topic, [(0, b"a", header + b'{"sku": "A-1", "qty": 3}')])
    (record,) = json_lines(tide(environment(tmp_path, broker, registry_url),
                                "consume", topic, "-o", "json"))  # fmt: skip
    assert record["value"] == {"sku": "A-1", "qty": 3}
    assert record["value_encoding"] == "json"
    assert record["schema_id"] == schema_id


def test_dead_letters_are_shown_with_their_reason(
    tmp_path: Path, broker: EmbeddedBroker, registry_url: str
) -> None:
    topic = f"ops_{uuid.uuid4().hex[:8]}"
    ensure_topics(broker.bootstrap_servers, [TopicSpec(topic, 2), TopicSpec(f"{topic}.dlq", 2)])
    with RegistryClient(registry_url) as registry:
        registry.register(f"{topic}-value", load("clicks").schema_str)
    good = {**click(7), "referrer": {"string": "/home"}}
    bad = {**click(8), "device": "FRIDGE"}
    source = tmp_path / "clicks.jsonl"
    source.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n")
    env = environment(tmp_path, broker, registry_url)
    ok(tide(env, "produce", "file", str(source), "--topic", topic))

    (letter,) = json_lines(tide(env, "consume", f"{topic}.dlq", "-o", "json"))
    assert "device" in letter["headers"]["tide.dlq.reason"]
    assert letter["headers"]["tide.dlq.source"].endswith(":2")
    assert json.loads(letter["value"])["device"] == "FRIDGE"  # the original line, as text
    assert letter["value_encoding"] == "text"
    text = ok(tide(env, "consume", f"{topic}.dlq"))
    assert "tide.dlq.reason=" in text and "FRIDGE" in text
    (landed,) = json_lines(tide(env, "consume", topic, "-o", "json"))
    assert landed["value"]["referrer"] == "/home"
    assert landed["value"]["user_id"] == "user-7"


def test_from_offset_time_and_count(
    tmp_path: Path, broker: EmbeddedBroker, registry_url: str
) -> None:
    topic = new_topic(broker, 1, ".late")
    produce(broker, topic, [(0, None, f"m{i}".encode()) for i in range(10)])
    env = environment(tmp_path, broker, registry_url)

    picked = json_lines(tide(env, "consume", topic, "--from", "4", "-n", "3", "-o", "json"))
    assert [(r["offset"], r["value"]) for r in picked] == [(4, "m4"), (5, "m5"), (6, "m6")]
    assert len(json_lines(tide(env, "consume", topic, "-n", "2", "-o", "json"))) == 2
    assert json_lines(tide(env, "consume", topic, "--from", "end", "-o", "json")) == []
    assert json_lines(tide(env, "consume", topic, "--from", "99", "-o", "json")) == []

    at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime((T0 + 7000) / 1000))
    later = json_lines(tide(env, "consume", topic, "--from", at, "-o", "json"))
    assert [r["value"] for r in later] == ["m7", "m8", "m9"]
    assert later[0]["timestamp"] == at.replace("Z", ".000Z")

    assert_refused(tide(env, "consume", topic, "--partition", "3"), topic, "no partition 3")
    assert_refused(tide(env, "consume", topic, "--from", "yesterday"), "yesterday")
    assert_refused(tide(env, "consume", "ops_no_such_topic"), "'ops_no_such_topic' does not exist")


def test_follow_shows_new_records_and_stops_on_ctrl_c(
    tmp_path: Path, broker: EmbeddedBroker, registry_url: str
) -> None:
    topic = new_topic(broker, 2)
    produce(broker, topic, [(0, None, b"before")])
    env = environment(tmp_path, broker, registry_url)
    process = subprocess.Popen(tide_cmd("consume", topic, "--follow", "-o", "json"),
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    try:
        assert json.loads(next_line(process))["value"] == "before"
        produce(broker, topic, [(1, None, b"after")])
        assert json.loads(next_line(process))["value"] == "after"
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode in (0, 130), stderr
    assert b"Traceback" not in stderr


def next_line(process: subprocess.Popen[bytes], timeout_s: float = 30.0) -> bytes:
    """The next line the process prints, waited for until it comes (or the timeout)."""
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        assert selector.select(timeout_s), "no output within the timeout"
    return process.stdout.readline()


def test_topics_list_and_describe_show_the_real_end_offsets(
    tmp_path: Path, data_broker: Any, registry_url: str
) -> None:
    broker = data_broker
    topic = new_topic(broker, 3)
    internal = f"_tide_{uuid.uuid4().hex[:8]}"
    ensure_topics(broker.bootstrap_servers, [TopicSpec(internal, 1)])
    produce(broker, topic, [(0, None, b"x")] * 7 + [(2, None, b"y")] * 5)
    env = environment(tmp_path, broker, registry_url)

    described = json.loads(ok(tide(env, "topics", "describe", topic, "-o", "json")))
    ends = [(p["partition"], p["begin_offset"], p["end_offset"], p["messages"])
            for p in described["partitions"]]  # fmt: skip
    assert ends == [(0, 0, 7, 7), (1, 0, 0, 0), (2, 0, 5, 5)]
    assert all(p["replicas"] == [p["leader"]] == p["isr"] for p in described["partitions"])
    assert set(described["configs"]) == {"cleanup.policy", "retention.ms"}
    text = ok(tide(env, "topics", "describe", topic))
    assert "cleanup.policy=" in text and "end_offset" in text

    listed = {t["topic"]: t for t in json.loads(ok(tide(env, "topics", "list", "-o", "json")))}
    assert listed[topic] == {"topic": topic, "partitions": 3, "replication": 1, "end_offsets": 12}
    assert internal not in listed
    everything = json.loads(ok(tide(env, "topics", "list", "--all", "-o", "json")))
    assert internal in {t["topic"] for t in everything}
    assert topic in ok(tide(env, "topics", "list"))

    assert_refused(tide(env, "topics", "describe", "ops_missing"), "'ops_missing' does not exist")


def test_lag_shows_committed_against_end_offsets(
    tmp_path: Path, data_broker: Any, registry_url: str
) -> None:
    broker = data_broker
    topic = new_topic(broker, 2)
    produce(broker, topic, [(0, None, b"a")] * 10 + [(1, None, b"b")] * 4)
    group = f"ops-group-{uuid.uuid4().hex[:8]}"
    consumer = Consumer({"bootstrap.servers": broker.bootstrap_servers, "group.id": group,
                         "enable.auto.commit": False, "log_level": 0})  # fmt: skip
    try:
        consumer.commit(offsets=[TopicPartition(topic, 0, 6), TopicPartition(topic, 1, 4)],
                        asynchronous=False)  # fmt: skip
    finally:
        consumer.close()
    env = environment(tmp_path, broker, registry_url)

    rows = json.loads(ok(tide(env, "lag", group, "-o", "json")))
    assert rows == [
        {"topic": topic, "partition": 0, "committed": 6, "end": 10, "lag": 4},
        {"topic": topic, "partition": 1, "committed": 4, "end": 4, "lag": 0},
    ]
    groups = {g["group"]: g for g in json.loads(ok(tide(env, "lag", "-o", "json")))}
    assert group in groups
    assert "committed" in ok(tide(env, "lag", group))
    assert group in ok(tide(env, "lag"))
    assert_refused(tide(env, "lag", "ops-no-such-group"), "'ops-no-such-group' does not exist")
