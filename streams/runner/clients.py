"""Kafka clients and topics of a job runner."""

from __future__ import annotations

import uuid

from confluent_kafka import Consumer, Producer

from producers.topics import TopicSpec, ensure_topics
from streams.jobs.base import WindowJob
from streams.runner.settings import RunnerSettings


def job_topics(
    job: WindowJob, partitions: int, replication: int, source_partitions: int
) -> list[TopicSpec]:
    """Output, late, dead-letter, exchange (one partition) and checkpoint topics of ``job``."""
    return [
        TopicSpec(job.output_topic, partitions, replication, compacted=True),
        TopicSpec(job.late_topic, partitions, replication),
        TopicSpec(job.dlq_topic, partitions, replication),
        TopicSpec(job.exchange_topic, 1, replication),
        TopicSpec(job.checkpoint_topic, source_partitions + 1, replication, compacted=True),
    ]


def ensure_job_topics(job: WindowJob, settings: RunnerSettings, source_partitions: int) -> None:
    ensure_topics(
        settings.bootstrap_servers,
        job_topics(job, settings.partitions, settings.replication_factor, source_partitions),
    )


def producer(settings: RunnerSettings, job: WindowJob) -> Producer:
    # a fresh transactional id per runner: zombies are fenced by the group generation (KIP-447)
    transactional = (
        {
            "transactional.id": f"tide-{job.name}-{uuid.uuid4().hex}",
            "transaction.timeout.ms": 60_000,
        }
        if settings.exactly_once
        else {}
    )
    return Producer(
        {
            **transactional,
            "bootstrap.servers": settings.bootstrap_servers,
            "client.id": f"tide-{job.name}",
            "acks": "all",
            "enable.idempotence": True,
            "linger.ms": 5,
            "compression.type": "lz4",
            "log_level": 3,
        }
    )


def group_consumer(settings: RunnerSettings, job: WindowJob, group_id: str) -> Consumer:
    """A group member: cooperative rebalancing, so a rebalance moves only what moves."""
    return member_consumer(
        settings.bootstrap_servers,
        group_id,
        f"tide-{job.name}",
        settings.session_timeout_s,
        {
            "max.poll.interval.ms": 600_000,
            "fetch.max.bytes": 52_428_800,
            "max.partition.fetch.bytes": 4_194_304,
        },
    )


def member_consumer(
    bootstrap_servers: str,
    group_id: str,
    client_id: str,
    session_timeout_s: float,
    extra: dict[str, object] | None = None,
) -> Consumer:
    """A member of ``group_id`` that restores its own positions (no auto commit, no trust in
    committed offsets), sees ends of partitions, and rebalances cooperatively."""
    session_ms = int(session_timeout_s * 1000)
    return Consumer(
        {
            "bootstrap.servers": bootstrap_servers,
            "group.id": group_id,
            "client.id": client_id,
            "partition.assignment.strategy": "cooperative-sticky",
            "enable.auto.commit": False,
            "enable.partition.eof": True,
            "auto.offset.reset": "earliest",
            "session.timeout.ms": session_ms,
            "heartbeat.interval.ms": max(session_ms // 4, 100),
            "log_level": 3,
            **(extra or {}),
        }
    )
