"""Bad input gets one readable line naming the problem and a non-zero exit, never a traceback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from confluent_kafka import Producer

from producers.errors import SchemaValidationError
from producers.registry_client import RegistryClient
from producers.serializer import AvroSerializer
from producers.topics import TopicSpec, ensure_topics
from schemas.loader import load
from tide.stack.broker import EmbeddedBroker
from tide.stack.ports import free_port
from tide.stack.registry_process import RegistryProcess, registry_answers

CLICK = {"event_id": "2f6d3c4e-1a2b-4c3d-8e9f-0a1b2c3d4e5f", "event_time": 1795400000000,
         "user_id": "u1", "session_id": "s1", "page": "/cart", "referrer": None, "region": "eu",
         "device": "MOBILE"}  # fmt: skip


def run(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "TIDE_DATA_DIR": str(tmp_path), **env}
    return subprocess.run(
        [sys.executable, "-m", "tide", *args],
        env=full, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def assert_refused(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("error:"), result.stderr
    for needle in needles:
        assert needle in line, line


def test_unknown_topic(tmp_path: Path, broker: EmbeddedBroker, registry_url: str) -> None:
    env = {"TIDE_KAFKA__BOOTSTRAP_SERVERS": broker.bootstrap_servers,
           "TIDE_REGISTRY__URL": registry_url}  # fmt: skip
    result = run(tmp_path, env, "jobs", "submit", "land", "--topic", "no-such-topic")
    assert_refused(result, "'no-such-topic' does not exist")


def test_registry_down(tmp_path: Path, broker: EmbeddedBroker) -> None:
    ensure_topics(broker.bootstrap_servers, [TopicSpec("clicks", 1)])
    url = f"http://127.0.0.1:{free_port()}"
    env = {"TIDE_KAFKA__BOOTSTRAP_SERVERS": broker.bootstrap_servers, "TIDE_REGISTRY__URL": url}
    assert_refused(
        run(tmp_path, env, "produce", "clicks", "-n", "5"), "registry not reachable", url
    )
    assert_refused(run(tmp_path, env, "schema", "sync"), "registry not reachable")


def test_broker_down_at_start_keeps_the_events_in_the_outbox(
    tmp_path: Path, registry_url: str
) -> None:
    port = free_port()
    address = f"127.0.0.1:{port}"
    env = {"TIDE_KAFKA__BOOTSTRAP_SERVERS": address, "TIDE_REGISTRY__URL": registry_url}
    result = run(tmp_path, env, "produce", "clicks", "-n", "5")
    assert_refused(result, "not reachable", address, "5 events kept in the outbox")
    broker = EmbeddedBroker(port, tmp_path / "broker")  # the broker comes up afterwards
    broker.start()
    try:
        ensure_topics(address, [TopicSpec("clicks", 1)])
        drained = run(tmp_path, env, "produce", "drain")
        assert drained.returncode == 0, drained.stderr
        assert "5 events replayed" in drained.stdout
    finally:
        broker.stop()


def test_landing_after_the_in_memory_broker_restarted_stops_at_once_naming_the_gap(
    tmp_path: Path, registry_url: str
) -> None:
    """The lake goes on from offsets the restarted (empty) broker's topic no longer holds:
    `jobs submit land` used to wait for them forever; it now refuses before reading."""
    port = free_port()
    env = {"TIDE_KAFKA__BOOTSTRAP_SERVERS": f"127.0.0.1:{port}", "TIDE_REGISTRY__URL": registry_url}
    for produced in (400, 30):
        broker = EmbeddedBroker(port, tmp_path / "broker")
        broker.start()
        try:
            ensure_topics(broker.bootstrap_servers, [TopicSpec("clicks", 2)])
            made = run(tmp_path, env, "produce", "clicks", "-n", str(produced))
            assert made.returncode == 0, made.stderr
            landed = run(tmp_path, env, "jobs", "submit", "land", "--topic", "clicks")
        finally:
            broker.stop()
    assert_refused(landed, "clicks[0]: the lake (clicks) goes on from offset",
                   "the topic now holds offsets 0..", "--table NAME")  # fmt: skip


def test_landing_a_dead_letter_topic_stops_at_its_first_raw_record_naming_it(
    tmp_path: Path, broker: EmbeddedBroker, registry_url: str
) -> None:
    """Two Avro clicks, then a refused input as it came: the clicks are landed, and the job stops
    with one line naming the record's offset and how to read it instead."""
    topic = f"raw_{uuid.uuid4().hex[:8]}.dlq"
    ensure_topics(broker.bootstrap_servers, [TopicSpec(topic, 1)])
    contract = load("clicks")
    with RegistryClient(registry_url) as registry:
        serializer = AvroSerializer(registry, contract.subject, contract.schema_str)
        values = [serializer.encode(click) for click in (CLICK, {**CLICK, "user_id": "u2"})]
    producer = Producer({"bootstrap.servers": broker.bootstrap_servers, "log_level": 0})
    for value in [*values, b'{"device": "FRIDGE"}']:
        producer.produce(topic, value, partition=0)
    assert producer.flush(10) == 0
    env = {"TIDE_KAFKA__BOOTSTRAP_SERVERS": broker.bootstrap_servers,
           "TIDE_REGISTRY__URL": registry_url}  # fmt: skip
    result = run(tmp_path, env, "jobs", "submit", "land", "--topic", topic)
    assert_refused(result, f"{topic}[0] offset 2 is not a registry-encoded Avro record",
                   f"`tide consume {topic}`")  # fmt: skip
    table = topic.replace(".", "_")
    counted = run(tmp_path, env, "sql", f"SELECT count(*) AS n FROM {table}", "-o", "json")  # noqa: S608
    assert counted.returncode == 0, counted.stderr
    assert json.loads(counted.stdout) == [{"n": 2}]


@pytest.mark.parametrize(
    ("sql", "needle"),
    [
        ("SELEC 1", "syntax error"),
        ("SELECT * FROM no_such_table", "no_such_table"),
        ("CREATE TABLE t (x INT)", "CREATE"),
    ],
)
def test_bad_sql(tmp_path: Path, sql: str, needle: str) -> None:
    assert_refused(run(tmp_path, {}, "sql", sql), needle)


def test_invalid_event_is_refused_naming_the_field(registry_url: str) -> None:
    contract = load("clicks")
    registry = RegistryClient(registry_url)
    serializer = AvroSerializer(registry, contract.subject, contract.schema_str)
    with registry, pytest.raises(SchemaValidationError, match=r"device"):
        serializer.encode(
            {"event_id": "x", "event_time": 0, "user_id": "u", "session_id": "s", "page": "/",
             "referrer": None, "region": "eu", "device": "FRIDGE"}
        )  # fmt: skip


def test_a_client_gone_mid_request_is_one_log_line(tmp_path: Path) -> None:
    registry = RegistryProcess(free_port(), tmp_path / "r.sqlite", tmp_path / "logs")
    registry.start()
    try:
        host, port = registry.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port))) as s:  # promises 1,000 bytes, sends 10
            s.sendall(
                b"POST /subjects/gone/versions HTTP/1.1\r\nHost: x\r\n"
                b'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"schema":'
            )
        log = tmp_path / "logs" / f"registry-{port}.log"
        deadline = time.monotonic() + 30
        while "client went away" not in log.read_text():
            assert time.monotonic() < deadline, log.read_text()[-2000:]
            time.sleep(0.05)  # polling interval of the condition
        assert "Traceback" not in log.read_text()
        assert registry_answers(registry.url)  # and it goes on serving
    finally:
        registry.stop()
