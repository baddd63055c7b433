"""`tide demo`: the whole pipeline on the embedded stack, start to finish, on screen."""

from __future__ import annotations

import shutil
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyarrow as pa
from rich.console import Console
from rich.progress import Progress

from producers.deserializer import AvroDeserializer
from producers.registry_client import RegistryClient
from tide.demo import queries
from tide.demo.window_watch import WindowWatch
from tide.errors import TideError
from tide.ops.lake import land_topic, query_engine
from tide.ops.produce import generate
from tide.ops.schemas import sync_schemas
from tide.ops.topics import create_pipeline_topics
from tide.settings import KafkaSettings, RegistrySettings, StreamSettings, TideSettings
from tide.stack.local import LocalStack
from tide.stack.worker_process import WorkerProcess, worker_env


@dataclass(frozen=True)
class DemoPlan:
    clicks: int = 20_000
    orders: int = 5_000
    duration_s: float = 30.0
    event_span_s: float = 300.0
    idle_close_s: float = 3.0


@dataclass(frozen=True)
class DemoOutcome:
    clicks_produced: int
    clicks_in_windows: int
    clicks_landed: int
    top_pages: pa.Table
    orders_per_region: pa.Table


def run_demo(base: TideSettings, plan: DemoPlan, console: Console) -> DemoOutcome:
    demo_dir = (base.data_dir / "demo").resolve()
    shutil.rmtree(demo_dir, ignore_errors=True)  # the demo broker is in memory: start clean
    with LocalStack(demo_dir) as stack:
        console.print(f"[green]✓[/green] broker (Tansu, in-memory) at {stack.bootstrap_servers}")
        console.print(f"[green]✓[/green] schema registry at {stack.registry_url}")
        settings = TideSettings(
            data_dir=demo_dir,
            kafka=KafkaSettings(bootstrap_servers=stack.bootstrap_servers),
            registry=RegistrySettings(url=stack.registry_url),
            streams=StreamSettings(idle_close_seconds=plan.idle_close_s),
        )
        for r in sync_schemas(settings.registry.url):
            console.print(f"  schema {r.subject}  version {r.version}  id {r.schema_id}")
        create_pipeline_topics(settings.kafka)
        worker = WorkerProcess(
            worker_env(stack.bootstrap_servers, stack.registry_url, demo_dir, plan.idle_close_s),
            demo_dir / "logs" / "worker.log",
        )
        worker.start()
        console.print(f"[green]✓[/green] stream worker started (log: {worker.log_path})")
        try:
            windowed = _produce_and_watch(settings, plan, console)
        finally:
            worker.stop()
        return _land_and_query(settings, plan, windowed, console)


def _produce_and_watch(settings: TideSettings, plan: DemoPlan, console: Console) -> int:
    """Produce clicks (and orders) while printing window results; returns clicks windowed."""
    failure: list[BaseException] = []

    def produce_all() -> None:
        try:
            with Progress(console=console) as bar:
                task = bar.add_task("producing clicks", total=plan.clicks)
                generate(settings, "clicks", plan.clicks, plan.clicks / plan.duration_s,
                         plan.event_span_s, None, lambda n: bar.advance(task, n))  # fmt: skip
                task = bar.add_task("producing orders", total=plan.orders)
                generate(settings, "orders", plan.orders, 0.0, plan.event_span_s, None,
                         lambda n: bar.advance(task, n))  # fmt: skip
        except BaseException as e:
            failure.append(e)

    producer = threading.Thread(target=produce_all, name="demo-producer")
    producer.start()
    registry = RegistryClient(settings.registry.url)
    watch = WindowWatch(settings.kafka.bootstrap_servers, "clicks_per_minute",
                        AvroDeserializer(registry))  # fmt: skip
    deadline = time.monotonic() + plan.duration_s + 90
    printer = _WindowPrinter(console)
    try:
        while watch.tally.total < plan.clicks and time.monotonic() < deadline:
            printer.add(watch.poll())
            if failure:
                raise failure[0]
        printer.flush()
    finally:
        producer.join()
        watch.close()
        registry.close()
    if failure:
        raise failure[0]
    if watch.tally.total != plan.clicks:
        raise TideError(
            f"window results account for {watch.tally.total} of {plan.clicks} clicks "
            f"(see the worker log under {settings.data_dir / 'logs'})"
        )
    console.print(
        f"[green]✓[/green] {watch.tally.results} window results cover all "
        f"{watch.tally.total} clicks"
    )
    return watch.tally.total


class _WindowPrinter:
    """One line per closed window of a source partition, printed once all its results are in."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._open: dict[tuple[datetime, int, str], list[dict[str, Any]]] = defaultdict(list)

    def add(self, results: list[dict[str, Any]]) -> None:
        touched = {(r["window_start"], r["source_partition"], r["closed_by"]) for r in results}
        self.flush(keep=touched)  # a group that got nothing new in this poll is complete
        for r in results:
            self._open[(r["window_start"], r["source_partition"], r["closed_by"])].append(r)

    def flush(self, keep: set[tuple[datetime, int, str]] | None = None) -> None:
        for key in sorted(k for k in self._open if not keep or k not in keep):
            start, partition, reason = key
            rows = self._open.pop(key)
            top = max(rows, key=lambda r: r["clicks"])
            self._console.print(
                f"  window {start:%H:%M}-{rows[0]['window_end']:%H:%M} p{partition} "
                f"closed by {reason.lower():<9} {sum(r['clicks'] for r in rows):>5} clicks, "
                f"{len(rows):>2} pages, top {top['page']} ({top['clicks']})",
                highlight=False,
                soft_wrap=True,
            )


def _land_and_query(
    settings: TideSettings, plan: DemoPlan, windowed: int, console: Console
) -> DemoOutcome:
    for topic in ("clicks", "orders", "clicks_per_minute"):
        result = land_topic(settings, topic)
        console.print(
            f"[green]✓[/green] landed {result.rows} rows of {topic} in lake table "
            f"{result.table} ({result.commits} commit(s), offsets {result.offsets})"
        )
    engine = query_engine(settings)
    landed = int(engine.query(queries.CLICKS_LANDED).column(0)[0].as_py())
    top = engine.query(queries.TOP_PAGES_PER_MINUTE)
    regions = engine.query(queries.ORDERS_PER_REGION)
    return DemoOutcome(plan.clicks, windowed, landed, top, regions)
