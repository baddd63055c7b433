"""Session fixtures: Apache Kafka (KRaft) on loopback, 1 and 3 nodes, by tide.stack.kafka.

Each skips with the reason when Kafka cannot run here (no Java 17, or `make kafka` not run).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tide.stack.kafka import KafkaCluster
from tide.stack.kafka_dist import kafka_unavailable_reason

# A crashed node is fenced, and its partitions move, after the session timeout (9 s by
# default); shorter here so a failover test does not spend its time waiting.
FAST_FAILOVER = {"broker.session.timeout.ms": "4000", "broker.heartbeat.interval.ms": "500"}


def _cluster(
    tmp_path_factory: pytest.TempPathFactory, name: str, nodes: int
) -> Iterator[KafkaCluster]:
    reason = kafka_unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    cluster = KafkaCluster(tmp_path_factory.mktemp(name), nodes=nodes, extra_config=FAST_FAILOVER)
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def kafka1(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaCluster]:
    """A one-node Kafka (replication 1) for the session; tests use their own topic names."""
    yield from _cluster(tmp_path_factory, "kafka1", 1)


@pytest.fixture(scope="session")
def kafka3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaCluster]:
    """A three-node Kafka (replication 3, min ISR 2); a test that kills a node restarts it."""
    yield from _cluster(tmp_path_factory, "kafka3", 3)
