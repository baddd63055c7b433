"""The Faust application of the stream worker and its agents."""

from __future__ import annotations

import logging
from typing import Any

import faust

from producers.deserializer import AvroDeserializer
from producers.registry_client import RegistryClient
from producers.serializer import AvroSerializer
from schemas.loader import load
from streams.clicks_per_minute import ClicksPerMinute
from streams.config import WorkerConfig

log = logging.getLogger(__name__)


def create_app(config: WorkerConfig) -> faust.App:
    """A Faust app counting clicks per page per event-time window (at-least-once)."""
    app = faust.App(
        config.app_id,
        broker=f"kafka://{config.bootstrap_servers}",
        value_serializer="raw",
        key_serializer="raw",
        store="memory://",
        datadir=str(config.data_dir / "streams"),
        topic_partitions=config.partitions,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        # Short group timeouts: a crashed worker's partitions move within seconds.
        broker_session_timeout=config.session_timeout_s,
        broker_heartbeat_interval=config.session_timeout_s / 4,
        broker_rebalance_timeout=config.session_timeout_s * 2,
        web_enabled=config.web_port > 0,
        web_port=config.web_port or 6066,
        web_host="127.0.0.1",
    )
    registry = RegistryClient(config.registry_url)
    contract = load(config.output_topic)
    logic = ClicksPerMinute(
        AvroDeserializer(registry),
        AvroSerializer(registry, contract.subject, contract.schema_str),
        config.window_s,
        config.lateness_s,
        config.idle_close_s,
    )
    source = app.topic(config.source_topic, value_serializer="raw", key_serializer="raw")
    output = app.topic(config.output_topic, value_serializer="raw", key_serializer="raw")
    late = app.topic(config.late_topic, value_serializer="raw", key_serializer="raw")

    async def send(key: str, value: bytes) -> None:
        await output.send(key=key.encode(), value=value)

    @app.agent(source, name="clicks-per-minute")
    async def count_clicks(stream: Any) -> None:
        async for event in stream.events():
            partition = event.message.partition
            if not await logic.on_click(partition, event.value, send):
                await late.send(
                    key=event.key,
                    value=event.value,
                    headers={
                        "tide.reason": b"window closed",
                        "tide.partition": str(partition).encode(),
                    },
                )

    @app.timer(1.0)
    async def close_idle_windows() -> None:
        await logic.close_idle(send)

    @app.on_partitions_revoked.connect  # type: ignore[arg-type]  # faust types its signals loosely
    async def on_revoked(sender: Any, *args: Any, signal: Any, **kwargs: Any) -> None:
        revoked: set[Any] = args[0] if args else kwargs.get("revoked", set())
        logic.revoke({tp.partition for tp in revoked if tp.topic == config.source_topic})

    return app


def run_worker(config: WorkerConfig, loglevel: str = "INFO") -> None:
    """Run the worker until SIGINT/SIGTERM (blocking)."""
    app = create_app(config)
    log.info(
        "worker starting",
        extra={"broker": config.bootstrap_servers, "source": config.source_topic},
    )
    worker = faust.Worker(app, loglevel=loglevel, quiet=True)
    worker.execute_from_commandline()
