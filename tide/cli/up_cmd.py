"""`tide up`: the embedded stack (broker, registry, one worker, the order command API and read
models, the web console), supervised, until Ctrl-C or `tide down`."""

from __future__ import annotations

import signal
import threading
import time
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

import typer

from tide.cli.context import settings
from tide.cli.output import console
from tide.ops.schemas import sync_schemas
from tide.ops.topics import create_pipeline_topics
from tide.settings import KafkaSettings, TideSettings
from tide.stack.errors import StackError
from tide.stack.fresh import fresh_start
from tide.stack.local import BrokerKind, LocalStack
from tide.stack.port_check import ensure_free
from tide.stack.service_process import ServiceProcess
from tide.stack.supervision import Child, Supervisor, read_state, write_state
from tide.stack.worker_process import WorkerProcess, worker_env


class BrokerChoice(StrEnum):
    tansu = "tansu"
    kafka = "kafka"


BROKER = typer.Option(
    BrokerChoice.tansu,
    "--broker",
    help="tansu: embedded, in memory. kafka: Apache Kafka (`make kafka`), durable in the data dir.",
)
POLL_S = 0.5


def up(
    worker: bool = typer.Option(True, help="Also run one stream worker."),
    orders: bool = typer.Option(
        True,
        help="Also run the order command API and the read models (TIDE_ORDERS__PORT, "
        "TIDE_ORDERS__PROJECTIONS_PORT: 8093, 8092).",
    ),
    console_on: bool = typer.Option(
        True, "--console/--no-console", help="Also run the web console (TIDE_CONSOLE__PORT: 8088)."
    ),
    broker: BrokerChoice = BROKER,
    fresh: bool = typer.Option(False, "--fresh", help="Start clean: drop records, lake, state."),
) -> None:
    """Start broker and registry on the configured ports; other tide commands find them there.

    Every child is watched: a death is reported and the child restarted (with backoff).
    """
    s = settings()
    data_dir = s.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    running = read_state(data_dir / "stack.json")
    if running is not None:
        raise StackError(
            f"a `tide up` (pid {running['pid']}) already runs for {data_dir}: see `tide status`, "
            "stop it with `tide down`"
        )
    if fresh:
        removed = fresh_start(data_dir)
        console.print(f"fresh start: removed {', '.join(removed) or 'nothing (already clean)'}")
    broker_port = int(s.kafka.bootstrap_servers.split(",")[0].rsplit(":", 1)[-1])
    ports = {"broker": broker_port, "registry": s.registry.port}
    services_at: dict[str, tuple[list[str], int]] = {}
    if orders:
        services_at["orders"] = (["orders", "serve"], s.orders.port)
        services_at["projections"] = (["projections", "serve"], s.orders.projections_port)
    if console_on:
        services_at["console"] = (["console"], s.console.port)
    ensure_free({**ports, **{name: port for name, (_, port) in services_at.items()}})
    kind: BrokerKind = "kafka" if broker is BrokerChoice.kafka else "tansu"
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda _n, _f: stop.set())  # `tide down`
    with LocalStack(data_dir, broker_port, s.registry.port, kind) as stack:
        console.print(f"broker   {stack.bootstrap_servers}  ({stack.broker_description})")
        console.print(f"registry {stack.registry_url}")
        for r in sync_schemas(stack.registry_url):
            console.print(f"  schema {r.subject}  version {r.version}  id {r.schema_id}")
        create_pipeline_topics(KafkaSettings(bootstrap_servers=stack.bootstrap_servers))
        process = _worker(s, stack) if worker else None
        services = _services(s, stack, services_at)
        children = _children(stack, process) + [_child(svc) for svc in services]
        console.print("ready: try `tide produce clicks --count 10000` — Ctrl-C or `tide down` "
                      "stops everything, `tide status` shows it")  # fmt: skip
        try:
            _supervise(Supervisor(children), data_dir, stop)
        finally:
            console.print("stopping…")
            (data_dir / "stack.json").unlink(missing_ok=True)
            for service in services:
                service.stop()
            if process is not None:
                process.stop()


def _worker(s: TideSettings, stack: LocalStack) -> WorkerProcess:
    data_dir = s.data_dir.resolve()
    env = worker_env(
        stack.bootstrap_servers, stack.registry_url, data_dir, s.streams.idle_timeout_seconds
    )
    process = WorkerProcess(env, data_dir / "logs" / "worker.log")
    process.start()
    console.print(f"worker   running (log: {process.log_path})")
    return process


def _services(
    s: TideSettings, stack: LocalStack, wanted: dict[str, tuple[list[str], int]]
) -> list[ServiceProcess]:
    """The order command API and the read models (each a member of its group on `orders`), and
    the web console: ``wanted`` maps each to its command and port."""
    data_dir = s.data_dir.resolve()
    env = worker_env(
        stack.bootstrap_servers, stack.registry_url, data_dir, s.streams.idle_timeout_seconds
    )
    services = []
    for name, (args, port) in wanted.items():
        service = ServiceProcess(name, args, port, env, data_dir / "logs" / f"{name}.log")
        service.start()
        console.print(f"{name:<8} {service.url}  (log: {data_dir / 'logs' / f'{name}.log'})")
        services.append(service)
    return services


def _child(service: ServiceProcess) -> Child:
    return Child(service.name, service.url, lambda: service.running, service.start,
                 lambda: service.pid)  # fmt: skip


def _children(stack: LocalStack, process: WorkerProcess | None) -> list[Child]:
    def restart_broker() -> None:
        stack.broker.stop()
        stack.broker.start()
        if not stack.broker_durable:  # in memory: it came back empty
            create_pipeline_topics(KafkaSettings(bootstrap_servers=stack.bootstrap_servers))

    def restart_registry() -> None:
        stack.registry.stop()
        stack.registry.start()

    children = [
        Child("broker", stack.bootstrap_servers, stack.broker.alive, restart_broker,
              lambda: stack.broker.pid),
        Child("registry", stack.registry_url, lambda: stack.registry.process.running,
              restart_registry, lambda: stack.registry.process.pid),
    ]  # fmt: skip
    if process is not None:
        children.append(Child("worker", str(process.log_path), lambda: process.running,
                              process.start, lambda: process.pid))  # fmt: skip
    return children


def _supervise(supervisor: Supervisor, data_dir: Path, stop: threading.Event) -> None:
    """Poll the children until Ctrl-C or SIGTERM; report every event with its time."""
    state = data_dir / "stack.json"
    started = time.time()
    previous: list[dict[str, object]] = []
    try:
        while not stop.is_set():
            for event in supervisor.poll():
                now = datetime.now(UTC).strftime("%H:%M:%S")
                console.print(f"{now} {event}", highlight=False)
            snapshot = supervisor.snapshot()
            if snapshot != previous:
                write_state(state, snapshot, started)
                previous = snapshot
            stop.wait(POLL_S)
    except KeyboardInterrupt:
        return
