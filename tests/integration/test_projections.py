"""The order read models on the real broker and registry, crashed by kill -9 and restarted:
afterwards every order and customer equals a from-scratch fold of the events produced —
redeliveries included — and read-your-writes waits for a version, or answers 504."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from confluent_kafka import Producer

from producers.config import ProducerConfig
from producers.generators.clock import EventClock
from producers.generators.orders import orders
from producers.partition_bounds import bounds
from producers.serializer import AvroSerializer
from schemas.loader import load
from streams.orders.aggregate import Fold, OrderState
from streams.projections.read_models import CustomerOrders, order_summary
from tests.integration.streams_fixtures import StreamRig
from tide.stack.ports import free_port


class Projections:
    """`tide projections serve` as a process of its own, to kill -9 and start again."""

    def __init__(self, rig: StreamRig, topic: str) -> None:
        self.rig, self.topic, self.starts = rig, topic, 0
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "TIDE_KAFKA__BOOTSTRAP_SERVERS": self.rig.bootstrap_servers,
               "TIDE_REGISTRY__URL": self.rig.registry_url, "TIDE_LOG_LEVEL": "INFO"}  # fmt: skip
        tide = Path(sys.executable).with_name("tide")
        with (self.rig.root / f"projections-{self.starts}.log").open("wb") as log:
            self.process = subprocess.Popen(
                [str(tide), "projections", "serve", "--port", str(port), "--topic", self.topic,
                 "--session-timeout-s", "6"],
                env=env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        self.starts += 1
        self.rig.wait_for("the read API", self.answers, 60)

    def answers(self) -> bool:
        assert self.process is not None and self.process.poll() is None, "projections exited"
        try:
            return httpx.get(f"{self.url}/metrics", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def kill(self) -> None:
        if self.process is None:
            return
        self.process.kill()
        self.process.wait(10)

    def get(self, path: str, **params: Any) -> httpx.Response:
        return httpx.get(f"{self.url}{path}", params=params, timeout=40)


def lives(count: int, seed: int) -> dict[str, list[dict[str, Any]]]:
    clock = EventClock(start_ms=1_700_000_000_000, spacing_ms=10.0)
    out: dict[str, list[dict[str, Any]]] = {}
    for key, record in orders(count, clock, seed=seed, customers=25):
        out.setdefault(key, []).append(record)
    return out


def test_read_models_survive_kill_9_and_equal_a_fresh_fold(long_rig: StreamRig) -> None:
    rig = long_rig
    rng = random.Random(2026)
    topic = rig.source("orders", 4)
    events = [(k, e) for k, life in lives(1500, seed=9).items() for e in life]
    events.sort(key=lambda pair: pair[1]["event_time"])  # interleaved lives, each in order
    sent = events + rng.sample(events, 100)  # redeliveries, later in the log
    rng.shuffle(sent[len(events) :])

    projections = Projections(rig, topic)
    try:
        check_crashed_run(rig, topic, projections, sent, events, rng)
    finally:
        projections.kill()


def check_crashed_run(
    rig: StreamRig,
    topic: str,
    projections: Projections,
    sent: list[tuple[str, dict[str, Any]]],
    events: list[tuple[str, dict[str, Any]]],
    rng: random.Random,
) -> None:
    serializer = AvroSerializer(rig.registry, f"{topic}-value", load("orders").schema_str)
    producer = Producer(ProducerConfig(rig.bootstrap_servers).librdkafka())
    projections.start()
    cuts = sorted(rng.sample(range(1, len(sent)), 3))
    for part, (lo, hi) in enumerate(zip([0, *cuts], [*cuts, len(sent)], strict=True)):
        for key, event in sent[lo:hi]:
            producer.produce(topic, serializer.encode(event), key.encode())
            producer.poll(0)
        assert producer.flush(30) == 0
        if part < len(cuts):
            time.sleep(rng.uniform(0.1, 2.5))  # a random point in the worker's work
            projections.kill()
            projections.start()

    expected: dict[str, Fold] = {}
    for key, event in events:
        expected.setdefault(key, Fold(OrderState(key))).add(event)
    for key, fold in expected.items():
        answer = projections.get(f"/orders/{key}", min_version=fold.state.version, wait_s=30)
        assert answer.status_code == 200, answer.text
        assert answer.json() == order_summary(fold.state)
    customers: dict[str, CustomerOrders] = {}
    for fold in expected.values():
        who = fold.state.customer_id or ""
        customers.setdefault(who, CustomerOrders(who)).change(OrderState(""), fold.state)
    for who, c in customers.items():
        answer = projections.get(f"/customers/{who}/orders")
        assert answer.json() == {**c.view(), "partitions": 4, "complete": True}

    latest = next(iter(expected))
    too_far = expected[latest].state.version + 1
    waited = projections.get(f"/orders/{latest}", min_version=too_far, wait_s=0.5)
    assert waited.status_code == 504 and f"not {too_far}" in waited.json()["error"]
    assert projections.get("/orders/o-none").status_code == 404
    assert projections.starts == 4


def test_rebuild_by_replay_equals_the_live_models_and_swaps_them_in_while_answering(
    long_rig: StreamRig,
) -> None:
    rig = long_rig
    topic = rig.source("orders", 4)
    events = [(k, e) for k, life in lives(600, seed=4).items() for e in life]
    serializer = AvroSerializer(rig.registry, f"{topic}-value", load("orders").schema_str)
    producer = Producer(ProducerConfig(rig.bootstrap_servers).librdkafka())
    for key, event in events + events[:50]:  # 50 redeliveries: folded to nothing, live or replay
        producer.produce(topic, serializer.encode(event), key.encode())
    assert producer.flush(30) == 0
    expected: dict[str, Fold] = {}
    for key, event in events:
        expected.setdefault(key, Fold(OrderState(key))).add(event)

    first, second = Projections(rig, topic), Projections(rig, topic)
    try:
        first.start()
        second.start()
        for key, fold in expected.items():  # both members caught up (a request is forwarded)
            answer = first.get(f"/orders/{key}", min_version=fold.state.version, wait_s=30)
            assert answer.status_code == 200, answer.text

        answers: list[int] = []
        stop = threading.Event()

        def keep_asking() -> None:  # queries during the rebuild: no downtime
            keys = list(expected)
            while not stop.is_set():
                answers.append(second.get(f"/orders/{keys[len(answers) % len(keys)]}").status_code)

        asking = threading.Thread(target=keep_asking)
        asking.start()
        try:
            env = {**os.environ, "TIDE_PROJECTIONS_URL": first.url}
            done = subprocess.run([sys.executable, "-m", "tide", "projections", "rebuild",
                                   "order_summary", "-o", "json"], env=env, capture_output=True,
                                  text=True, timeout=300, check=False)  # fmt: skip
        finally:
            stop.set()
            asking.join(60)
        assert done.returncode == 0, done.stderr
        report = json.loads(done.stdout)
        assert sorted(p["partition"] for p in report["partitions"]) == [0, 1, 2, 3]
        assert all(p["swapped"] for p in report["partitions"])
        assert sum(p["events"] for p in report["partitions"]) == len(events) + 50
        assert report["different"] == 0 and len(report["members"]) == 2
        assert sum(p["orders"] for p in report["partitions"]) == len(expected)
        assert answers and set(answers) == {200}, sorted(set(answers))
        for key, fold in expected.items():  # the rebuilt models answer now
            assert second.get(f"/orders/{key}").json() == order_summary(fold.state)
        customers: dict[str, CustomerOrders] = {}
        for fold in expected.values():
            who = fold.state.customer_id or ""
            customers.setdefault(who, CustomerOrders(who)).change(OrderState(""), fold.state)
        for who, c in customers.items():  # merged over both members' partitions
            answer = (first, second)[sum(map(ord, who)) % 2].get(f"/customers/{who}/orders")
            assert answer.json() == {**c.view(), "partitions": 4, "complete": True}
        check_the_changelog_lands(rig, topic, expected, changes=len(events))
    finally:
        first.kill()
        second.kill()


def check_the_changelog_lands(
    rig: StreamRig, topic: str, expected: dict[str, Fold], changes: int
) -> None:
    """The summaries' changelog, landed in the lake, holds each order's current summary as its
    newest version."""
    summaries = f"{topic}_summary"

    def produced() -> int:
        found = bounds(rig.bootstrap_servers, [(summaries, p) for p in range(4)])
        return sum(high for _, high in found.values())

    rig.wait_for("the summaries' changelog", lambda: produced() >= changes, 60)
    env = {**os.environ, "TIDE_DATA_DIR": str(rig.root), "TIDE_REGISTRY__URL": rig.registry_url,
           "TIDE_KAFKA__BOOTSTRAP_SERVERS": rig.bootstrap_servers}  # fmt: skip

    def tide(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "tide", *args], env=env, capture_output=True,
                              text=True, timeout=180, check=False)  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    tide("jobs", "submit", "land", "--topic", summaries)
    rows = json.loads(tide("sql", f"SELECT order_id, version, status, total_cents, item_count "  # noqa: S608
                                  f"FROM {summaries} QUALIFY row_number() OVER (PARTITION BY "
                                  "order_id ORDER BY version DESC) = 1", "-o", "json"))  # fmt: skip
    assert {r["order_id"]: (r["version"], r["status"], r["total_cents"], r["item_count"])
            for r in rows} == {k: (f.state.version, f.state.status.value, f.state.total_cents,
                                   order_summary(f.state)["item_count"])
                               for k, f in expected.items()}  # fmt: skip
