"""`tide demo`: the whole pipeline on the embedded stack, start to finish, on screen."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa
from rich.console import Console
from rich.progress import Progress

from producers.deserializer import AvroDeserializer
from producers.registry_client import RegistryClient
from tide.demo import queries
from tide.demo.printer import WindowPrinter, clicks_line, revenue_line
from tide.demo.sagas import start_sagas, wait_for_outcomes
from tide.demo.window_watch import WindowWatch
from tide.errors import TideError
from tide.ops.lake import land_topic, query_engine
from tide.ops.produce import generate
from tide.ops.schemas import sync_schemas
from tide.ops.topics import create_pipeline_topics
from tide.settings import KafkaSettings, RegistrySettings, StreamSettings, TideSettings
from tide.stack.local import LocalStack
from tide.stack.worker_process import WorkerProcess, worker_env

JOBS = ("clicks_per_minute", "revenue_per_region", "distinct_users_per_page")


@dataclass(frozen=True)
class DemoPlan:
    clicks: int = 20_000
    orders: int = 5_000
    duration_s: float = 30.0
    event_span_s: float = 300.0
    idle_timeout_s: float = 3.0


@dataclass(frozen=True)
class DemoOutcome:
    clicks_produced: int
    clicks_in_windows: int
    clicks_landed: int
    payments_in_windows: int
    payments_landed: int
    top_pages: pa.Table
    revenue: pa.Table


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
            streams=StreamSettings(idle_timeout_seconds=plan.idle_timeout_s),
        )
        for r in sync_schemas(settings.registry.url):
            console.print(f"  schema {r.subject}  version {r.version}  id {r.schema_id}")
        create_pipeline_topics(settings.kafka)
        worker = WorkerProcess(
            worker_env(stack.bootstrap_servers, stack.registry_url, demo_dir, plan.idle_timeout_s),
            demo_dir / "logs" / "worker.log",
            [arg for job in JOBS for arg in ("--job", job)],
        )
        worker.start()
        console.print(
            f"[green]✓[/green] stream worker running {', '.join(JOBS)} (log: {worker.log_path})"
        )
        env = worker_env(stack.bootstrap_servers, stack.registry_url, demo_dir, plan.idle_timeout_s)
        sagas = start_sagas(env, demo_dir)
        console.print(f"[green]✓[/green] order-fulfilment saga running (decline, stock-out and "
                      f"shipping failures on; API {sagas.url})")  # fmt: skip
        try:
            return _run(settings, plan, console, sagas.url)
        finally:
            sagas.stop()
            worker.stop()


def _run(settings: TideSettings, plan: DemoPlan, console: Console, sagas_url: str) -> DemoOutcome:
    registry = RegistryClient(settings.registry.url)
    decoder = AvroDeserializer(registry)
    bs = settings.kafka.bootstrap_servers
    clicks = _Watch(
        WindowWatch(bs, "clicks_per_minute", decoder), WindowPrinter(console, "clicks", clicks_line)
    )
    try:
        revenue = _Watch(
            WindowWatch(bs, "revenue_per_region", decoder),
            WindowPrinter(console, "revenue", revenue_line),
        )
    except BaseException:
        clicks.watch.close()
        raise
    try:
        _produce(settings, plan, console, [clicks, revenue])
        _until(
            lambda: clicks.watch.total("clicks") >= plan.clicks,
            [clicks, revenue],
            90,
            f"window results account for {{}} of {plan.clicks} clicks",
            lambda: clicks.watch.total("clicks"),
        )
        console.print(
            f"[green]✓[/green] {len(clicks.watch.finals)} window results cover all "
            f"{plan.clicks} clicks, one per page and minute"
        )
        landed = land_topic(settings, "orders")
        console.print(
            f"[green]✓[/green] landed {landed.rows} rows of orders in lake table "
            f"{landed.table} ({landed.commits} commit(s))"
        )
        engine = query_engine(settings)
        paid = int(engine.query(queries.PAID_ORDERS).column(0)[0].as_py())
        _until(
            lambda: revenue.watch.total("payments") >= paid,
            [clicks, revenue],
            60,
            f"revenue windows account for {{}} of {paid} payments",
            lambda: revenue.watch.total("payments"),
        )
        cents = revenue.watch.total("revenue_cents")
        console.print(
            f"[green]✓[/green] revenue windows account for all {paid} payments "
            f"({cents / 100:,.2f} EUR), as the lake's orders table does"
        )
        placed = int(engine.query(queries.PLACED_ORDERS).column(0)[0].as_py())
        ended = wait_for_outcomes(sagas_url, placed, 120)
        console.print(
            f"[green]✓[/green] all {placed} sagas ended: {ended.get('CONFIRMED', 0)} confirmed, "
            f"{ended.get('CANCELLED', 0)} cancelled — compensations ran: "
            f"{ended['InventoryReleased']} stock releases, {ended['PaymentRefunded']} refunds "
            "(`tide sagas list --state cancelled` shows them)"
        )
        return _land_and_query(settings, plan, clicks.watch, revenue.watch, console)
    finally:
        clicks.watch.close()
        revenue.watch.close()
        registry.close()


@dataclass
class _Watch:
    watch: WindowWatch
    printer: WindowPrinter

    def poll(self) -> None:
        self.printer.add(self.watch.poll(0.2))


def _produce(
    settings: TideSettings, plan: DemoPlan, console: Console, watches: list[_Watch]
) -> None:
    failure: list[BaseException] = []

    def produce_all() -> None:
        try:
            with Progress(console=console, transient=True) as bar:
                task = bar.add_task("producing clicks", total=plan.clicks)
                generate(
                    settings,
                    "clicks",
                    plan.clicks,
                    plan.clicks / plan.duration_s,
                    plan.event_span_s,
                    None,
                    lambda n: bar.advance(task, n),
                )
                task = bar.add_task("producing orders", total=plan.orders)
                generate(
                    settings,
                    "orders",
                    plan.orders,
                    0.0,
                    plan.event_span_s,
                    None,
                    lambda n: bar.advance(task, n),
                )
        except BaseException as e:
            failure.append(e)

    producer = threading.Thread(target=produce_all, name="demo-producer")
    producer.start()
    while producer.is_alive():
        for w in watches:
            w.poll()
    producer.join()
    if failure:
        raise failure[0]
    console.print(f"[green]✓[/green] produced {plan.clicks} clicks and {plan.orders} order events")


def _until(
    done: Callable[[], bool],
    watches: list[_Watch],
    timeout_s: float,
    failure: str,
    progress: Callable[[], int],
) -> None:
    deadline = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > deadline:
            raise TideError(failure.format(progress()) + " (see the worker log)")
        for w in watches:
            w.poll()
    for w in watches:
        w.poll()
        w.printer.flush()


def _land_and_query(
    settings: TideSettings,
    plan: DemoPlan,
    clicks: WindowWatch,
    revenue: WindowWatch,
    console: Console,
) -> DemoOutcome:
    for topic in ("clicks", "clicks_per_minute", "revenue_per_region"):
        result = land_topic(settings, topic)
        console.print(
            f"[green]✓[/green] landed {result.rows} rows of {topic} in lake table "
            f"{result.table} ({result.commits} commit(s), offsets {result.offsets})"
        )
    engine = query_engine(settings)
    landed = int(engine.query(queries.CLICKS_LANDED).column(0)[0].as_py())
    paid = int(engine.query(queries.PAID_ORDERS).column(0)[0].as_py())
    return DemoOutcome(
        plan.clicks,
        clicks.total("clicks"),
        landed,
        revenue.total("payments"),
        paid,
        engine.query(queries.TOP_PAGES_PER_MINUTE),
        engine.query(queries.REVENUE_PER_MINUTE),
    )
