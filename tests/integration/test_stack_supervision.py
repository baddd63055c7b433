"""`tide up` as a user runs it: a taken port is refused by name; a child killed -9 is reported
and restarted; `tide status` in another terminal shows what runs; `tide down` stops it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from producers.topics import partitions_of
from tide.stack.kafka_dist import kafka_unavailable_reason
from tide.stack.ports import free_port


class Up:
    """A `tide up --no-worker --no-orders --no-console` (unless ``extra`` has ``--orders``: then
    with the order services and the console) subprocess whose
    output is collected line by line."""

    def __init__(self, env: dict[str, str], *extra: str) -> None:
        self.env = env
        services = [] if "--orders" in extra else ["--no-orders", "--no-console"]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tide", "up", "--no-worker", *services, *extra], env=env,
            text=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._collect, daemon=True)
        self._reader.start()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        self.process.wait(60)
        self._reader.join(10)
        assert self.process.stdout is not None
        self.process.stdout.close()

    def _collect(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, what: str, timeout_s: float = 90.0) -> None:
        until(lambda: any(what in line for line in self.lines), timeout_s, what, self.output)

    def output(self) -> str:
        return "\n".join(self.lines)


def until(check: Callable[[], bool], timeout_s: float, what: str, show: Callable[[], str]) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, f"no {what!r} within {timeout_s} s:\n{show()}"
        time.sleep(0.1)  # polling interval of the condition


def tide(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tide", *args], env=env, capture_output=True,
                          text=True, timeout=120, check=False)  # fmt: skip


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    registry = free_port()
    return {**os.environ, "TIDE_DATA_DIR": str(tmp_path / "data"),
            "TIDE_KAFKA__BOOTSTRAP_SERVERS": f"127.0.0.1:{free_port()}",
            "TIDE_REGISTRY__PORT": str(registry),
            "TIDE_ORDERS__PORT": str(free_port()),
            "TIDE_ORDERS__PROJECTIONS_PORT": str(free_port()),
            "TIDE_CONSOLE__PORT": str(free_port()),
            "TIDE_REGISTRY__URL": f"http://127.0.0.1:{registry}"}  # fmt: skip


@pytest.fixture
def up(env: dict[str, str]) -> Iterator[Up]:
    running = Up(env, "--orders")  # the stack with the order services and the console
    try:
        running.wait_for("ready:")
        yield running
    finally:
        running.close()


def parts(env: dict[str, str]) -> dict[str, dict[str, object]]:
    shown = tide(env, "status", "-o", "json")
    return {p["part"]: p for p in json.loads(shown.stdout)}


def test_a_taken_port_is_refused_naming_it_and_its_holder(env: dict[str, str]) -> None:
    port = int(env["TIDE_REGISTRY__PORT"])
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        result = subprocess.run([sys.executable, "-m", "tide", "up"], env=env, text=True,
                                capture_output=True, timeout=60, check=False)  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    line = result.stderr.strip().splitlines()[-1]
    assert f"port {port} (registry) is taken by pid {os.getpid()}" in line
    assert "ready" not in result.stdout


def test_a_killed_child_is_reported_and_restarted_and_status_and_down_work(
    up: Up, env: dict[str, str]
) -> None:
    before = parts(env)
    shown = ("broker", "registry", "orders", "projections", "console")
    assert {p: before[p]["health"] for p in shown} == dict.fromkeys(shown, "healthy")
    console = f"http://127.0.0.1:{env['TIDE_CONSOLE__PORT']}"
    assert f"console  {console}" in up.output()  # printed with its address
    stack = httpx.get(f"{console}/api/overview", timeout=30).json()["tide_up"]
    assert {c["name"]: c["health"] for c in stack["children"]} == dict.fromkeys(shown, "healthy")
    port = env["TIDE_ORDERS__PORT"]
    placed = httpx.post(f"http://127.0.0.1:{port}/orders", json={
        "customer_id": "c1", "region": "eu",
        "items": [{"sku": "S", "quantity": 1, "unit_price_cents": 5}]}, timeout=60)  # fmt: skip
    assert placed.status_code == 201, placed.text  # the stack's order API takes commands
    again = tide(env, "up", "--no-worker")  # one `tide up` per data dir
    assert again.returncode == 1 and "already runs" in again.stderr
    os.kill(int(str(before["broker"]["pid"])), signal.SIGKILL)
    up.wait_for("broker died")
    up.wait_for("broker back at")
    until(lambda: parts(env)["broker"]["restarts"] == 1, 30, "restarts 1", up.output)
    assert parts(env)["broker"]["health"] == "healthy"
    bootstrap = env["TIDE_KAFKA__BOOTSTRAP_SERVERS"]
    assert len(partitions_of(bootstrap, "clicks")) > 0  # the empty broker got its topics back
    os.kill(int(str(parts(env)["registry"]["pid"])), signal.SIGKILL)
    up.wait_for("registry back at")
    assert tide(env, "status").returncode == 0
    stopped = tide(env, "down")
    assert stopped.returncode == 0, stopped.stderr + up.output()
    assert up.process.wait(30) == 0
    gone = tide(env, "status")
    assert gone.returncode == 1 and "no `tide up` runs" in gone.stderr


def test_registry_serve_says_where_it_listens(env: dict[str, str]) -> None:
    port = free_port()
    argv = [sys.executable, "-m", "tide", "registry", "serve", "--port", str(port)]
    with subprocess.Popen(argv, env=env, text=True, stdout=subprocess.PIPE) as serve:
        assert serve.stdout is not None
        first = serve.stdout.readline()
        serve.terminate()
    assert f"schema registry at http://127.0.0.1:{port} (SQLite " in first
    assert "registry.sqlite, no auth)" in first


def count(env: dict[str, str], topic: str) -> int:
    shown = tide(env, "topics", "describe", topic, "-o", "json")
    assert shown.returncode == 0, shown.stderr
    return sum(int(p["messages"]) for p in json.loads(shown.stdout)["partitions"])


def test_with_kafka_the_records_outlive_a_restart_and_fresh_starts_clean(
    env: dict[str, str],
) -> None:
    """`tide up --broker kafka`: produce, `tide down`, `tide up` again — the records are there;
    `tide up --fresh` starts without them (and without the lake that referred to them)."""
    reason = kafka_unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    for fresh, expected in ((False, None), (False, 40), (True, 0)):
        running = Up(env, "--broker", "kafka", *(["--fresh"] if fresh else []))
        try:
            running.wait_for("ready:", 180)
            if expected is None:
                assert tide(env, "produce", "clicks", "-n", "40").returncode == 0
                assert count(env, "clicks") == 40
            else:
                assert count(env, "clicks") == expected, running.output()
            assert tide(env, "down").returncode == 0
        finally:
            running.close()
    assert "fresh start: removed kafka/" in running.output()
