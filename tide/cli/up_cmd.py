"""`tide up`: the embedded stack (broker, registry, one worker) until Ctrl-C."""

from __future__ import annotations

import threading
from enum import StrEnum

import typer

from tide.cli.context import settings
from tide.cli.output import console
from tide.ops.schemas import sync_schemas
from tide.ops.topics import create_pipeline_topics
from tide.settings import KafkaSettings
from tide.stack.local import BrokerKind, LocalStack
from tide.stack.worker_process import WorkerProcess, worker_env


class BrokerChoice(StrEnum):
    tansu = "tansu"
    kafka = "kafka"


BROKER = typer.Option(
    BrokerChoice.tansu,
    "--broker",
    help="tansu: embedded, in memory. kafka: Apache Kafka (`make kafka`), durable in the data dir.",
)


def up(
    worker: bool = typer.Option(True, help="Also run one stream worker."),
    broker: BrokerChoice = BROKER,
) -> None:
    """Start broker and registry on the configured ports; other tide commands find them there."""
    s = settings()
    broker_port = int(s.kafka.bootstrap_servers.split(",")[0].rsplit(":", 1)[-1])
    kind: BrokerKind = "kafka" if broker is BrokerChoice.kafka else "tansu"
    with LocalStack(s.data_dir.resolve(), broker_port, s.registry.port, kind) as stack:
        console.print(f"broker   {stack.bootstrap_servers}  ({stack.broker_description})")
        console.print(f"registry {stack.registry_url}")
        for r in sync_schemas(stack.registry_url):
            console.print(f"  schema {r.subject}  version {r.version}  id {r.schema_id}")
        create_pipeline_topics(KafkaSettings(bootstrap_servers=stack.bootstrap_servers))
        process = None
        if worker:
            env = worker_env(
                stack.bootstrap_servers,
                stack.registry_url,
                s.data_dir.resolve(),
                s.streams.idle_timeout_seconds,
            )
            process = WorkerProcess(env, s.data_dir.resolve() / "logs" / "worker.log")
            process.start()
            console.print(f"worker   running (log: {process.log_path})")
        console.print("ready: try `tide produce clicks --count 10000` — Ctrl-C stops everything")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            console.print("stopping…")
        finally:
            if process is not None:
                process.stop()
