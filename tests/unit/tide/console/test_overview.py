"""The overview and the workers' discovery read what a running `tide up` wrote (stack.json and
the worker's log), as `tide status` does."""

from __future__ import annotations

import os
from pathlib import Path

from tide.console.context import ConsoleContext
from tide.console.overview import overview
from tide.console.worker_metrics import discovered
from tide.settings import KafkaSettings, RegistrySettings, TideSettings
from tide.stack.supervision import write_state

STARTS = (
    "2026-12-02T10:00:00.000Z info streams.app worker starting jobs=a metrics=http://127.0.0.1:4101/metrics\n"
    "2026-12-02T10:05:00.000Z info streams.app worker starting jobs=a metrics=http://127.0.0.1:4102/metrics\n"
)


def _stack(data_dir: Path) -> None:
    log = data_dir / "logs" / "worker.log"
    log.parent.mkdir(parents=True)
    log.write_text(STARTS)
    children = [
        {"name": "broker", "address": "127.0.0.1:1", "state": "running", "pid": os.getpid(),
         "restarts": 0},
        {"name": "worker", "address": str(log), "state": "running", "pid": os.getpid(),
         "restarts": 1},
        {"name": "registry", "address": "http://127.0.0.1:1", "state": "dead", "pid": None,
         "restarts": 2},
    ]  # fmt: skip
    write_state(data_dir / "stack.json", children, 1_796_000_000.0)


def test_the_overview_shows_every_child_of_tide_up_with_its_health(tmp_path: Path) -> None:
    _stack(tmp_path)
    settings = TideSettings(
        data_dir=tmp_path,
        kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1"),
        registry=RegistrySettings(url="http://127.0.0.1:1"),
    )
    shown = overview(ConsoleContext(settings, ["http://127.0.0.1:4200/metrics"]))
    assert shown["tide_up"]["pid"] == os.getpid()
    assert shown["tide_up"]["started_at_ms"] == 1_796_000_000_000
    health = {c["name"]: c["health"] for c in shown["tide_up"]["children"]}
    assert health == {"broker": "not answering", "worker": "healthy",
                      "registry": "down (restarting)"}  # fmt: skip
    configured = {p["name"]: p["address"] for p in shown["configured"]}
    assert configured["worker metrics"] == "http://127.0.0.1:4200/metrics"


def test_the_worker_of_tide_up_is_found_at_its_last_start(tmp_path: Path) -> None:
    _stack(tmp_path)
    assert discovered(tmp_path) == ["http://127.0.0.1:4102/metrics"]


def test_without_tide_up_there_is_nothing_to_show_of_it(tmp_path: Path) -> None:
    settings = TideSettings(data_dir=tmp_path, kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1"))
    assert overview(ConsoleContext(settings))["tide_up"] is None
    assert discovered(tmp_path) == []
