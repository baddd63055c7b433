"""Topics and consumer groups: end offsets, partitions, lag, and the message browser."""

from __future__ import annotations

from dataclasses import asdict
from itertools import islice
from typing import Any

from confluent_kafka import KafkaException

from producers.admin_clients import shared_admin
from producers.errors import BrokerUnavailableError
from tide.console.context import ConsoleContext
from tide.console.errors import BadParameterError
from tide.ops.consume import ConsumeRequest, consume, parse_start
from tide.ops.lag import committed_lag, group_lag, list_groups
from tide.ops.topic_info import describe_topic, list_topics

MAX_MESSAGES = 500
PROBE_S = 1.0  # a broker that is down fails a section in this, not in the tools' 10 s


def broker_answers(bootstrap: str) -> bool:
    """True when a broker at ``bootstrap`` answers a metadata request within ``PROBE_S``, asked
    with the process's client: a new one per section and refresh cost more than the sections."""
    try:
        shared_admin(bootstrap).list_topics(timeout=PROBE_S)
    except KafkaException:
        return False
    return True


def servers(ctx: ConsoleContext) -> str:
    """The bootstrap servers, once a broker there answered a metadata request."""
    bootstrap = ctx.settings.kafka.bootstrap_servers
    if not broker_answers(bootstrap):
        raise BrokerUnavailableError(f"Kafka broker not reachable at {bootstrap}")
    return bootstrap


def topics(ctx: ConsoleContext, internal: bool = False) -> dict[str, Any]:
    found = list_topics(servers(ctx), include_internal=internal)
    return {"topics": [asdict(t) for t in found]}


def topic(ctx: ConsoleContext, name: str) -> dict[str, Any]:
    detail = describe_topic(servers(ctx), name)
    partitions = [{**asdict(p), "messages": p.messages} for p in detail.partitions]
    return {"name": detail.name, "partitions": partitions, "configs": detail.configs}


def messages(
    ctx: ConsoleContext, name: str, start: str, limit: int, partition: int | None
) -> dict[str, Any]:
    """Up to ``limit`` records of ``name`` from ``start`` (beginning, end, an offset or an
    ISO 8601 time), decoded through the registry; never a group member, never a commit."""
    if not 1 <= limit <= MAX_MESSAGES:
        raise BadParameterError(f"limit must be between 1 and {MAX_MESSAGES}, not {limit}")
    request = ConsumeRequest(name, parse_start(start), limit=limit, partition=partition)
    read = consume(servers(ctx), ctx.settings.registry.url, request)
    try:
        records = [r.as_dict() for r in islice(read, limit)]
    finally:
        read.close()
    return {"topic": name, "from": start, "records": records}


def groups(ctx: ConsoleContext) -> dict[str, Any]:
    """Every consumer group with its state and total lag over the partitions it committed."""
    bootstrap = servers(ctx)
    out = []
    for info in list_groups(bootstrap):
        lags = committed_lag(bootstrap, info.group)
        known = [p.lag for p in lags if p.lag is not None]
        out.append({"group": info.group, "state": info.state,
                    "topics": sorted({p.topic for p in lags}),
                    "lag": sum(known) if known else None})  # fmt: skip
    return {"groups": out}


def group(ctx: ConsoleContext, name: str) -> dict[str, Any]:
    lags = group_lag(servers(ctx), name)
    return {"group": name, "partitions": [{**asdict(p), "lag": p.lag} for p in lags]}
