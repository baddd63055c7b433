"""Session fixtures: Apache Kafka (KRaft) on loopback, 1 and 3 nodes, by tide.stack.kafka.

Each skips with the reason when Kafka cannot run here (no Java 17, or `make kafka` not run).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tide.stack.broker import EmbeddedBroker
from tide.stack.kafka import KafkaCluster
from tide.stack.kafka_dist import kafka_unavailable_reason
from tide.stack.ports import free_port

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


BROKERS = ["tansu", "kafka"]
# The long crash tests run on Apache Kafka in `make test` (their short siblings cover both
# brokers' paths there) and on both under `make chaos` (TIDE_CHAOS=1).
LONG_BROKERS = BROKERS if os.environ.get("TIDE_CHAOS") == "1" else ["kafka"]


@pytest.fixture(scope="session", params=BROKERS)
def data_broker(request: pytest.FixtureRequest) -> Any:
    """The session's embedded broker, then the session's one-node Kafka: a test on the data
    path runs on both (topics are the test's own)."""
    return request.getfixturevalue("broker" if request.param == "tansu" else "kafka1")


@pytest.fixture(scope="session", params=LONG_BROKERS)
def long_data_broker(request: pytest.FixtureRequest) -> Any:
    """Apache Kafka; the embedded broker too under `make chaos`."""
    return request.getfixturevalue("broker" if request.param == "tansu" else "kafka1")


@pytest.fixture(params=BROKERS)
def fresh_data_broker(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """A broker of the test's own (for the pipeline's fixed topic names), Tansu then Kafka."""
    broker: Any
    if request.param == "tansu":
        broker = EmbeddedBroker(free_port(), tmp_path / "broker")
    else:
        reason = kafka_unavailable_reason()
        if reason is not None:
            pytest.skip(reason)
        broker = KafkaCluster(tmp_path / "kafka", nodes=1, extra_config=FAST_FAILOVER)
    broker.start()
    yield broker
    broker.stop()
