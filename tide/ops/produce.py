"""Publish generated events, or a file of events, through the never-lose-an-event publisher."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from producers.config import ProducerConfig
from producers.errors import (
    BrokerUnavailableError,
    ProducerError,
    RegistryRequestError,
    RegistryUnavailableError,
    UnknownTopicError,
)
from producers.generators.clicks import clicks
from producers.generators.clock import EventClock
from producers.generators.orders import orders
from producers.http_api import RecordsEndpoint, create_app
from producers.ingest import IngestSummary, Rejected, ingest_jsonl
from producers.publisher import Publisher, PublisherConfig, PublisherStats, build_publisher
from producers.registry_client import RegistryClient
from producers.resilience.breaker import BreakerConfig
from producers.subjects import subject_for
from producers.topics import partitions_of
from schemas.loader import Contract, UnknownContractError, load, load_all
from tide.settings import TideSettings

log = logging.getLogger(__name__)
Generator = Callable[[int, EventClock, int | None], Iterator[tuple[str, dict[str, Any]]]]
GENERATORS: dict[str, Generator] = {"clicks": clicks, "orders": orders}


class OutboxNotEmptyError(ProducerError):
    """Events were kept in the outbox because a dependency is down (nothing is lost)."""


def contract_for(registry: RegistryClient, topic: str) -> Contract:
    """The shipped contract of ``topic`` or, for any other topic, the newest Avro schema of its
    subject ``<topic>-value`` in the registry; UnknownContractError when there is neither."""
    try:
        return load(topic)
    except UnknownContractError as missing:
        subject = f"{topic}-value"
        try:
            latest = registry.version(subject)
        except RegistryUnavailableError as e:
            raise UnknownContractError(
                f"{missing}; nor could the registry at {registry.url} say whether subject "
                f"{subject!r} is registered: it is not reachable"
            ) from e
        except RegistryRequestError as e:
            if e.status_code != 404:
                raise
            raise UnknownContractError(
                f"{missing}; nor is subject {subject!r} registered at {registry.url} "
                f"(register one with `tide schema register {subject} FILE.avsc`)"
            ) from e
    kind = latest.get("schemaType", "AVRO")
    if kind != "AVRO":
        raise UnknownTopicError(
            f"subject {subject!r} holds a {kind} schema; `tide produce` publishes Avro only"
        )
    return Contract(topic, str(latest["schema"]))


def open_publisher(settings: TideSettings, registry: RegistryClient, *extra: Contract) -> Publisher:
    """A publisher for the shipped contracts and ``extra`` ones (registered topics, whose
    subject is always ``<topic>-value``)."""
    strategy = settings.producer.subject_strategy
    contracts = {
        t: (subject_for(strategy, t, c.schema), c.schema_str) for t, c in load_all().items()
    }
    contracts.update({c.topic: (c.subject, c.schema_str) for c in extra})

    def registered(topic: str) -> tuple[str, str]:
        contract = contract_for(registry, topic)
        return contract.subject, contract.schema_str

    config = PublisherConfig(
        ProducerConfig(settings.kafka.bootstrap_servers),
        settings.data_dir / "outbox.sqlite",
        BreakerConfig(
            failure_threshold=settings.producer.breaker_failures,
            reset_timeout_s=settings.producer.breaker_reset_seconds,
        ),
    )
    return build_publisher(config, registry, contracts, resolve=registered)


def _broker_check(settings: TideSettings, topic: str) -> str | None:
    """None if the broker has ``topic`` (UnknownTopicError if it answers without it); else why
    it cannot be asked — the events then go to the outbox, to be replayed once it answers."""
    try:
        partitions_of(settings.kafka.bootstrap_servers, topic, timeout_s=2.0)
    except BrokerUnavailableError as e:
        return str(e)
    return None


def _open_for(
    settings: TideSettings, registry: RegistryClient, topic: str, *extra: Contract
) -> Publisher:
    down = _broker_check(settings, topic)
    publisher = open_publisher(settings, registry, *extra)
    if down is not None:
        log.warning("broker down at start: events go to the outbox", extra={"error": down})
        publisher.broker_down(down)
    return publisher


def _finish(publisher: Publisher, settings: TideSettings) -> PublisherStats:
    stats = publisher.flush()
    left = publisher.pending()
    if left:
        raise OutboxNotEmptyError(
            f"{publisher.last_outage or 'a dependency is down'}: {left} events kept in the "
            f"outbox {settings.data_dir / 'outbox.sqlite'}, replayed by the next `tide produce` "
            "or by `tide produce drain` once Kafka and the registry answer"
        )
    return stats


def generate(
    settings: TideSettings,
    topic: str,
    count: int,
    rate: float = 0.0,
    span_s: float | None = None,
    seed: int | None = None,
    progress: Callable[[int], None] | None = None,
    late_share: float = 0.05,
) -> PublisherStats:
    """Publish ``count`` generated events at ``rate`` events/s (0: unlimited); event times
    span the ``span_s`` seconds up to now, or are the wall clock when no span is given."""
    if topic not in GENERATORS:
        known = ", ".join(GENERATORS)
        raise UnknownTopicError(f"no generator for topic {topic!r} (choose {known})")
    clock = (
        EventClock.spanning(count, span_s, late_share)
        if span_s is not None
        else EventClock.realtime(late_share)
    )
    with RegistryClient(settings.registry.url) as registry:
        publisher = _open_for(settings, registry, topic)
        try:
            publisher.drain()  # what an earlier run left behind goes first
            started = time.monotonic()
            for sent, (key, event) in enumerate(GENERATORS[topic](count, clock, seed), 1):
                publisher.send(topic, key, event)
                if progress is not None and sent % 500 == 0:
                    progress(500)
                if rate > 0 and (ahead := sent / rate - (time.monotonic() - started)) > 0:
                    time.sleep(ahead)  # pacing to the requested rate, not synchronization
            if progress is not None:
                progress(count % 500)
            return _finish(publisher, settings)
        finally:
            publisher.close()


def ingest_file(
    settings: TideSettings,
    path: Path,
    topic: str,
    key_field: str | None = None,
    progress: Callable[[int], None] | None = None,
    rejected: Rejected | None = None,
) -> IngestSummary:
    """Publish every line of ``path`` to ``topic``; refused lines go to ``<topic>.dlq`` (and
    to ``rejected``, with their line numbers and reasons)."""
    with RegistryClient(settings.registry.url) as registry:
        contract = contract_for(registry, topic)
        publisher = _open_for(settings, registry, topic, contract)
        try:
            summary = ingest_jsonl(
                path, topic, contract.schema, publisher, key_field, progress, rejected
            )
            _finish(publisher, settings)
            return summary
        finally:
            publisher.close()


def drain_outbox(settings: TideSettings) -> int:
    """Replay what the outbox holds; returns how many events were delivered."""
    with RegistryClient(settings.registry.url) as registry:
        publisher = open_publisher(settings, registry)
        try:
            replayed = publisher.drain()
            _finish(publisher, settings)
            return replayed
        finally:
            publisher.close()


def _adopt(settings: TideSettings, publisher: Publisher, topic: str) -> dict[str, Any] | None:
    """The schema of a topic not shipped, if its subject is registered and the topic exists."""
    try:
        partitions_of(settings.kafka.bootstrap_servers, topic, timeout_s=2.0)
        serializer = publisher.serializer(topic)
    except (UnknownContractError, UnknownTopicError, BrokerUnavailableError):
        return None
    return serializer.schema


def serve_http(settings: TideSettings, host: str, port: int) -> None:
    """Serve `POST /topics/{topic}` (REST Proxy v2 shape) until Ctrl-C."""
    import uvicorn  # only this command needs the ASGI server

    contracts = load_all()
    with RegistryClient(settings.registry.url) as registry:
        publisher = open_publisher(settings, registry)
        try:
            publisher.drain()
            endpoint = RecordsEndpoint(
                publisher,
                {t: c.schema for t, c in contracts.items()},
                lambda topic: _adopt(settings, publisher, topic),
            )
            app = create_app(endpoint)
            uvicorn.run(app, host=host, port=port, log_level="warning")
        finally:
            publisher.close()
