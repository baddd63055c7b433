"""Apache Kafka on loopback (tide.stack.kafka): failover, transactions, durable storage.

Real brokers, real clients: what the embedded Tansu cannot show. Every wait is for a
condition (delivery reports, metadata, end of partition), never a fixed sleep.
"""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    KafkaError,
    Message,
    Producer,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient, NewTopic

from tide.stack.errors import KafkaUnavailableError
from tide.stack.kafka import KafkaCluster
from tide.stack.kafka_dist import kafka_unavailable_reason

RECORDS = 20_000


def wait_for(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)  # polling interval of the condition


def create_topic(bootstrap: str, partitions: int, replication: int, min_isr: int) -> str:
    """A new topic, returned once every partition has a leader and its full ISR."""
    topic = f"t-{uuid.uuid4().hex[:10]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    config = {"min.insync.replicas": str(min_isr)}
    new = NewTopic(topic, num_partitions=partitions, replication_factor=replication, config=config)
    admin.create_topics([new])[topic].result(30)

    def ready() -> bool:
        found = admin.list_topics(topic, timeout=5).topics[topic]
        parts = found.partitions.values()
        return len(parts) == partitions and all(
            p.leader >= 0 and len(p.isrs) == replication for p in parts
        )

    wait_for(ready, 30, f"topic {topic} with full ISR")
    return topic


def partition_leader(bootstrap: str, topic: str, partition: int) -> int:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    leader: int = admin.list_topics(topic, timeout=10).topics[topic].partitions[partition].leader
    return leader


def read_to_end(
    bootstrap: str, topic: str, partitions: int, isolation: str = "read_uncommitted"
) -> list[bytes]:
    """Every value in ``topic`` from the beginning to the end of each partition."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"reader-{uuid.uuid4().hex[:8]}",
            "enable.auto.commit": False,
            "enable.partition.eof": True,
            "isolation.level": isolation,
        }
    )
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
    values: list[bytes] = []
    at_end: set[int] = set()
    deadline = time.monotonic() + 60
    try:
        while len(at_end) < partitions:
            assert time.monotonic() < deadline, f"end of {topic} not reached: {at_end}"
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            error = msg.error()
            if error is not None and error.code() == KafkaError._PARTITION_EOF:
                at_end.add(msg.partition())
                continue
            assert error is None, error
            value = msg.value()
            assert value is not None
            values.append(value)
    finally:
        consumer.close()
    return values


def test_acked_records_survive_a_crash_of_the_leader_exactly_once(kafka3: KafkaCluster) -> None:
    topic = create_topic(kafka3.bootstrap_servers, partitions=3, replication=3, min_isr=2)
    producer = Producer(
        {
            "bootstrap.servers": kafka3.bootstrap_servers,
            "acks": "all",
            "enable.idempotence": True,
            "linger.ms": 5,
            "message.timeout.ms": 120_000,
        }
    )
    acked: list[bytes] = []
    failed: list[KafkaError] = []

    def report(err: KafkaError | None, msg: Message) -> None:
        if err is None:
            value = msg.value()
            assert value is not None
            acked.append(value)
        else:
            failed.append(err)

    def send(numbers: range) -> None:
        for i in numbers:
            producer.produce(topic, str(i).encode(), key=str(i).encode(), on_delivery=report)
            producer.poll(0)

    send(range(RECORDS // 2))
    wait_for(lambda: producer.poll(0.1) >= 0 and len(acked) >= RECORDS // 4, 60, "first acks")
    victim = kafka3.index_of(partition_leader(kafka3.bootstrap_servers, topic, 0))
    kafka3.kill(victim)
    assert not kafka3.running(victim)
    send(range(RECORDS // 2, RECORDS))
    assert producer.flush(150) == 0, "records still undelivered"
    survivors = ",".join(kafka3.node_bootstrap(i) for i in range(3) if i != victim)
    assert partition_leader(survivors, topic, 0) != kafka3.node_id(victim)
    kafka3.restart(victim)
    assert kafka3.running(victim)

    assert not failed, failed[:5]
    assert len(acked) == RECORDS
    read = read_to_end(kafka3.bootstrap_servers, topic, partitions=3)
    assert len(read) == len(set(read)), "a record was written twice"
    assert set(read) == set(acked)


def test_read_committed_sees_only_committed_transactions(kafka1: KafkaCluster) -> None:
    topic = create_topic(kafka1.bootstrap_servers, partitions=1, replication=1, min_isr=1)
    producer = Producer(
        {
            "bootstrap.servers": kafka1.bootstrap_servers,
            "transactional.id": f"tx-{uuid.uuid4().hex[:8]}",
        }
    )
    producer.init_transactions(30)
    committed = [f"committed-{i}".encode() for i in range(50)]
    aborted = [f"aborted-{i}".encode() for i in range(50)]
    producer.begin_transaction()
    for value in committed:
        producer.produce(topic, value)
    producer.commit_transaction(30)
    producer.begin_transaction()
    for value in aborted:
        producer.produce(topic, value)
    assert producer.flush(30) == 0
    producer.abort_transaction(30)

    assert read_to_end(kafka1.bootstrap_servers, topic, 1, "read_committed") == committed
    assert read_to_end(kafka1.bootstrap_servers, topic, 1, "read_uncommitted") == (
        committed + aborted
    )


def test_a_cluster_started_again_on_its_folder_keeps_records_and_ports(tmp_path: Path) -> None:
    reason = kafka_unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    first = KafkaCluster(tmp_path, nodes=1)
    first.start()
    try:
        topic = create_topic(first.bootstrap_servers, partitions=1, replication=1, min_isr=1)
        producer = Producer({"bootstrap.servers": first.bootstrap_servers, "acks": "all"})
        values = [f"kept-{i}".encode() for i in range(200)]
        for value in values:
            producer.produce(topic, value)
        assert producer.flush(30) == 0
    finally:
        first.stop()
    assert not first.running(0)

    second = KafkaCluster(tmp_path, nodes=1)
    assert second.bootstrap_servers == first.bootstrap_servers
    assert second.cluster_id == first.cluster_id
    second.start()
    try:
        assert read_to_end(second.bootstrap_servers, topic, 1) == values
    finally:
        second.stop()


def test_without_java_kafka_is_unavailable_with_a_reason(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", "")
    reason = kafka_unavailable_reason()
    assert reason is not None
    assert "java" in reason
    with pytest.raises(KafkaUnavailableError, match="java"):
        KafkaCluster(tmp_path)
    assert not (tmp_path / "cluster.json").exists()


@pytest.mark.skipif(shutil.which("java") is None, reason="java not on PATH")
def test_without_fetched_jars_the_reason_says_make_kafka(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TIDE_KAFKA_HOME", str(tmp_path / "empty"))
    reason = kafka_unavailable_reason()
    assert reason is not None
    assert "make kafka" in reason
