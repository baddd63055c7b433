"""What the console costs the pipeline, and how fast its pages answer, in one run.

    .venv/bin/python -m bench.console [--events 200000] [--rounds 3] [--topics 50] [--tables 20]

(1) The window job of ``bench.windows`` drains a backlog of N clicks, alternately (ABBA order)
with no console and with `tide console` running, scraping the job's /metrics, and a live page
open: a client in a process of its own reading ``/api/live`` as the page's EventSource does.
Events/s of each, the median of the rounds and their ratio (target: within 5%). The browser
itself runs on the user's machine, so its rendering is not charged to the pipeline here.

(2) With T topics (each holding records under a registered subject) and L landed lake tables:
each section's endpoint (p50/p99 of R calls), the time the live stream takes to deliver every
section to a page newly opened (cold: no other page open, every section computed; warm: one
is), and, where Debian's chromium and chromedriver are installed, the time a headless Chromium
takes from navigation to every section drawn (target: under 300 ms).
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from prometheus_client import start_http_server

from bench.land import raw_produce
from bench.windows import backlog, stack, tide
from producers.generators.clicks import clicks
from producers.generators.clock import EventClock
from producers.registry_client import RegistryClient
from producers.serializer import AvroSerializer
from producers.topics import TopicSpec, ensure_topics
from schemas.loader import load
from streams import metrics
from tide.console.live import SECTIONS
from tide.ops.lake import land_topic
from tide.settings import KafkaSettings, RegistrySettings, TideSettings
from tide.stack.local import BrokerKind
from tide.stack.ports import free_port
from tide.stack.process import ServerProcess

ENDPOINTS = {
    "page (HTML)": "/",
    "overview": "/api/overview",
    "streams": "/api/streams",
    "topics": "/api/topics",
    "groups": "/api/groups",
    "lake": "/api/lake/tables",
    "jobs": "/api/jobs",
    "schemas": "/api/schemas",
}


def nearest_rank(values: list[float], q: float) -> float:
    """The ``q``-th percentile as one of ``values`` (nearest rank: never above the maximum)."""
    ranked = sorted(values)
    return ranked[max(math.ceil(q / 100 * len(ranked)) - 1, 0)]


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def console(data_dir: Path, bs: str, registry_url: str, *workers: str) -> Iterator[tuple[str, int]]:
    """`tide console` over the bench's stack, as its own process; its URL and pid."""
    env = {**os.environ, "TIDE_DATA_DIR": str(data_dir), "TIDE_KAFKA__BOOTSTRAP_SERVERS": bs,
           "TIDE_REGISTRY__URL": registry_url}  # fmt: skip
    port = free_port()
    args = [sys.executable, "-m", "tide", "console", "--port", str(port)]
    for url in workers:
        args += ["--worker", url]
    log = data_dir / f"console-{port}.log"
    server = ServerProcess("console", args, log, env)
    url = f"http://127.0.0.1:{port}"
    server.start(lambda: _answers(url + "/metrics"), timeout_s=60)
    try:
        yield url, server.pid or 0
    except Exception:
        lines = [line for line in log.read_text(errors="replace").splitlines()
                 if "HTTP Request" not in line]  # fmt: skip
        print(f"console (running: {server.running}) log, last lines:", *lines[-30:], sep="\n")
        raise
    finally:
        server.stop()


@contextmanager
def live_page(url: str) -> Iterator[None]:
    """A client of ``/api/live`` in a process of its own, open until the block ends."""
    client = subprocess.Popen(  # noqa: S603 - our own module, our arguments
        [sys.executable, "-m", "bench.console", "--client", url],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        if client.stdout is None or client.stdout.readline().strip() != "open":
            raise RuntimeError("the live client never received its first tick")
        yield
    finally:
        client.terminate()
        client.wait(10)


def client(url: str) -> None:
    """Read ``url``'s live stream until killed; say ``open`` once the first tick arrived."""
    with httpx.stream("GET", url + "/api/live", timeout=httpx.Timeout(10, read=None)) as response:
        said = False
        for line in response.iter_lines():
            if not said and line == "event: tick":
                print("open", flush=True)
                said = True


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pipeline(kind: BrokerKind, n: int, rounds: int) -> None:
    """(1): the window job's events/s without and with the console, same run."""
    with stack(kind) as (bs, registry_url, data_dir):
        backlog(bs, registry_url, "clicks", n)
        port = free_port()
        start_http_server(port, "127.0.0.1", registry=metrics.REGISTRY)
        worker = f"http://127.0.0.1:{port}/metrics"
        tide(bs, registry_url, data_dir, "clicks", n)  # a warm-up, not counted
        figures: dict[bool, list[float]] = {False: [], True: []}
        console_cpu, console_wall = 0.0, 0.0
        for i in range(rounds * 2):
            with_console = i % 4 in (1, 2)  # off, on, on, off, off, on, ...
            if with_console:
                with console(data_dir, bs, registry_url, worker) as (url, pid), live_page(url):
                    cpu, wall = cpu_seconds(pid), time.monotonic()
                    figures[True].append(tide(bs, registry_url, data_dir, "clicks", n)[0])
                    console_cpu += cpu_seconds(pid) - cpu
                    console_wall += time.monotonic() - wall
            else:
                figures[False].append(tide(bs, registry_url, data_dir, "clicks", n)[0])
    off, on = (statistics.median(figures[k]) for k in (False, True))
    print(f"\nwindow job over {n:,} clicks, broker {kind}, {rounds} rounds each "
          "(ABBA order, after a warm-up run)")  # fmt: skip
    print(f"{'run':<34}{'events/s (median)':>18}{'x off':>8}   each run")
    runs = [("no console", figures[False], off), ("console open, live page", figures[True], on)]
    for label, values, median in runs:
        each = " ".join(f"{v:,.0f}" for v in values)
        print(f"{label:<34}{median:>18,.0f}{median / off:>8.2f}   {each}")
    print(
        f"the console's CPU while the job ran with it: {console_cpu / console_wall:.1%} of one core"
    )


def populate(bs: str, registry_url: str, data_dir: Path, topics: int, tables: int) -> None:
    """``topics`` topics of 4 partitions, each with 20 clicks under its own subject, and the
    first ``tables`` of them landed in the lake."""
    names = [f"topic_{i:02d}" for i in range(topics)]
    ensure_topics(bs, [TopicSpec(name, 4) for name in names])
    schema = load("clicks").schema_str
    with RegistryClient(registry_url) as registry:
        for name in names:
            serializer = AvroSerializer(registry, f"{name}-value", schema)
            events = clicks(20, EventClock.spanning(20, 60), seed=1)
            raw_produce(bs, name, [(k, serializer.encode(e)) for k, e in events])
    settings = TideSettings(data_dir=data_dir, kafka=KafkaSettings(bootstrap_servers=bs),
                            registry=RegistrySettings(url=registry_url))  # fmt: skip
    for name in names[:tables]:
        land_topic(settings, name)


def sections_delivered(url: str) -> float:
    """Seconds from opening ``url``'s live stream until every section arrived once."""
    started = time.perf_counter()
    missing = set(SECTIONS)
    with httpx.stream("GET", url + "/api/live", timeout=60) as response:
        for line in response.iter_lines():
            if line.startswith("event: "):
                missing.discard(line.removeprefix("event: "))
                if not missing:
                    break
    return time.perf_counter() - started


def pages(kind: BrokerKind, topics: int, tables: int, repeat: int) -> None:
    """(2): response times with ``topics`` topics and ``tables`` tables."""
    with stack(kind) as (bs, registry_url, data_dir):
        populate(bs, registry_url, data_dir, topics, tables)
        with console(data_dir, bs, registry_url) as (url, _):
            rows: list[tuple[str, list[float]]] = []
            with httpx.Client(base_url=url, timeout=60) as http:
                for name, path in ENDPOINTS.items():
                    http.get(path).raise_for_status()  # a first call: imports, connections
                    times = []
                    for _ in range(repeat):
                        started = time.perf_counter()
                        http.get(path).raise_for_status()
                        times.append(time.perf_counter() - started)
                    rows.append((f"GET {path} ({name})", times))
            cold = []
            for _ in range(5):
                time.sleep(2.5)  # the sections' cache (2 s refresh) expires: a cold page
                cold.append(sections_delivered(url))
            rows.append(("live stream: every section, cache expired", cold))
            with live_page(url):
                warm = [sections_delivered(url) for _ in range(repeat)]
            rows.append(("live stream: every section, another page open", warm))
            drawn = browser_render(url)
            if drawn:
                rows.append(("headless Chromium: navigation to all drawn", drawn))
    print(f"\nconsole pages, {topics} topics, {tables} lake tables, broker {kind}")
    print(f"{'request':<58}{'p50 ms':>8}{'p99 ms':>8}{'max ms':>8}{'n':>5}")
    for label, times in rows:
        ms = [t * 1000 for t in times]
        print(f"{label:<58}{statistics.median(ms):>8.0f}{nearest_rank(ms, 99):>8.0f}"
              f"{max(ms):>8.0f}{len(ms):>5}")  # fmt: skip
    if not drawn:
        print("headless Chromium: not measured (chromium/chromedriver not installed)")


_ALL_DRAWN = """
const done = arguments[arguments.length - 1], ids = arguments[0];
(function check() {
  const drawn = ids.every((id) => {
    const body = document.querySelector("#" + id + " .body");
    return body && body.textContent.trim().length > 0;
  });
  if (drawn) done(performance.now()); else requestAnimationFrame(check);
})();
"""


def browser_render(url: str, times: int = 5) -> list[float]:
    """Seconds from navigation start to every section drawn, in headless Chromium (cold)."""
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        return []
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(shutil.which("chromium"))
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    browser = webdriver.Chrome(service=Service(str(shutil.which("chromedriver"))), options=options)
    browser.set_script_timeout(60)
    try:
        drawn = []
        for _ in range(times):
            browser.get("about:blank")
            time.sleep(2.5)  # the sections' cache expires: each page is a cold one
            browser.get(url + "/")
            drawn.append(float(browser.execute_async_script(_ALL_DRAWN, list(SECTIONS))) / 1000)
        return drawn
    finally:
        browser.quit()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--topics", type=int, default=50)
    parser.add_argument("--tables", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=20, help="calls per endpoint")
    parser.add_argument("--broker", choices=["tansu", "kafka"], default="tansu")
    parser.add_argument("--only", choices=["pages", "pipeline"], help="one part of the two")
    parser.add_argument("--client", help=argparse.SUPPRESS)  # the live page's process
    args = parser.parse_args()
    if args.client:
        client(args.client)
        return
    if args.only != "pipeline":
        pages(args.broker, args.topics, args.tables, args.repeat)
    if args.only != "pages":
        pipeline(args.broker, args.events, args.rounds)


if __name__ == "__main__":
    main()
