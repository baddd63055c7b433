"""The order-fulfilment saga on the real broker and registry: each participant and the
saga_state keeper run as `tide sagas serve --role …` processes; OrderPlaced events (some
redelivered) and redelivered saga events flow while participants are killed with kill -9 at
random points and restarted. Afterwards every saga ended as the failure knobs predict, the money
charged minus refunded is what confirmed orders cost, the stock reserved minus released is what
they hold, and no step was applied twice — in the log, in saga_state and in the participants'
own tables."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from confluent_kafka import Producer

from producers.config import ProducerConfig
from producers.generators.clock import EventClock
from producers.generators.orders import orders
from producers.serializer import AvroSerializer
from schemas.loader import load
from streams.sagas.inventory import Inventory
from streams.sagas.knobs import Knobs, expected_outcome
from streams.sagas.payment import Payment
from streams.sagas.shipping import Shipping
from tests.integration.streams_fixtures import Record, StreamRig
from tide.stack.ports import free_port

KNOBS = Knobs(seed=11, stockout_rate=0.1, decline_rate=0.1, ship_fail_rate=0.1,
              delay_rate=0.05, delay_s=3.0)  # fmt: skip
SAGAS = 300


class Role:
    """`tide sagas serve --role ROLE` as a process of its own, to kill -9 and start again."""

    def __init__(self, rig: StreamRig, role: str, topics: dict[str, str], knobs: Knobs = KNOBS,
                 step_timeout_s: float = 2.0, max_attempts: int = 12) -> None:  # fmt: skip
        self.rig, self.role, self.topics, self.starts = rig, role, topics, 0
        self.knobs, self.timing = knobs, (step_timeout_s, max_attempts)
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self) -> None:
        self.spawn()
        self.wait()

    def spawn(self) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "TIDE_KAFKA__BOOTSTRAP_SERVERS": self.rig.bootstrap_servers,
               "TIDE_REGISTRY__URL": self.rig.registry_url, "TIDE_LOG_LEVEL": "INFO"}  # fmt: skip
        k = self.knobs
        knobs = ["--seed", k.seed, "--stockout-rate", k.stockout_rate, "--decline-rate",
                 k.decline_rate, "--ship-fail-rate", k.ship_fail_rate, "--delay-rate",
                 k.delay_rate, "--delay-s", k.delay_s]  # fmt: skip
        tide = Path(sys.executable).with_name("tide")
        with (self.rig.root / f"{self.role}-{self.starts}.log").open("wb") as log:
            self.process = subprocess.Popen(
                [str(tide), "sagas", "serve", "--role", self.role, "--port", str(port),
                 "--orders-topic", self.topics["orders"], "--events-topic", self.topics["events"],
                 "--alerts-topic", self.topics["alerts"], "--session-timeout-s", "6",
                 "--step-timeout-s", str(self.timing[0]), "--max-attempts", str(self.timing[1]),
                 *map(str, knobs)],
                env=env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        self.starts += 1

    def wait(self) -> None:
        self.rig.wait_for(f"the {self.role} API", self.answers, 60)

    def answers(self) -> bool:
        assert self.process is not None and self.process.poll() is None, f"{self.role} exited"
        try:
            return httpx.get(f"{self.url}/metrics", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def get(self, path: str) -> dict[str, Any]:
        answer = httpx.get(f"{self.url}{path}", timeout=10)
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        return found


def placed_orders(count: int) -> list[tuple[str, dict[str, Any]]]:
    clock = EventClock(start_ms=1_700_000_000_000, spacing_ms=10.0)
    out = [(k, e) for k, e in orders(count * 4, clock, seed=5, customers=50)
           if e["payload"][0].endswith("OrderPlaced")]  # fmt: skip
    assert len(out) >= count
    return out[:count]


def test_sagas_end_as_the_knobs_say_through_kill_9_and_redeliveries(long_rig: StreamRig) -> None:
    rig = long_rig
    rng = random.Random(2027)
    topics = {"orders": rig.source("orders", 4), "events": rig.name("saga_events"),
              "alerts": rig.name("saga_alerts")}  # fmt: skip
    placed = placed_orders(SAGAS)
    sent = placed + rng.sample(placed, 30)  # redelivered OrderPlaced, later in the log
    roles = {r: Role(rig, r, topics) for r in ("inventory", "payment", "shipping", "state")}
    try:
        for role in roles.values():
            role.spawn()  # all at once: each takes seconds to import and join
        for role in roles.values():
            role.wait()
        run_with_kills(rig, topics, roles, sent, rng)
        check_outcomes(rig, topics, roles, dict(placed))
    finally:
        for role in roles.values():
            role.kill()


def run_with_kills(rig: StreamRig, topics: dict[str, str], roles: dict[str, Role],
                   sent: list[tuple[str, dict[str, Any]]], rng: random.Random) -> None:  # fmt: skip
    serializer = AvroSerializer(rig.registry, f"{topics['orders']}-value",
                                load("orders").schema_str)  # fmt: skip
    producer = Producer(ProducerConfig(rig.bootstrap_servers).librdkafka())
    cuts = sorted(rng.sample(range(1, len(sent)), 3))
    victims = [*rng.sample(["inventory", "payment", "shipping"], 2), "state"]
    rng.shuffle(victims)
    for part, (lo, hi) in enumerate(zip([0, *cuts], [*cuts, len(sent)], strict=True)):
        for key, event in sent[lo:hi]:
            producer.produce(topics["orders"], serializer.encode(event), key.encode())
            producer.poll(0)
        assert producer.flush(30) == 0
        if part == 1:  # redeliver some saga events written so far
            redeliver(rig, topics["events"], rng, 40)
        if part < len(cuts):
            time.sleep(rng.uniform(0.2, 2.0))  # a random point in the roles' work
            victim = roles[victims[part]]
            victim.kill()
            victim.start()


def redeliver(rig: StreamRig, topic: str, rng: random.Random, count: int) -> None:
    """Write ``count`` of the records in ``topic`` again, each to its partition."""
    written: list[Record] = []

    def enough() -> bool:
        written[:] = rig.read(topic)
        return len(written) >= count

    rig.wait_for(f"{count} records in {topic}", enough, 60)
    for r in rng.sample(written, count):
        rig.produce_raw(topic, r.partition, r.value)


def check_outcomes(rig: StreamRig, topics: dict[str, str], roles: dict[str, Role],
                   placed: dict[str, dict[str, Any]]) -> None:  # fmt: skip
    state = roles["state"]

    def settled() -> bool:
        found = state.get("/sagas")
        done = [s for s in found["sagas"] if s["outcome"] in ("CONFIRMED", "CANCELLED")]
        return found["complete"] and len(done) == len(placed)

    def progress() -> str:
        return str(Counter(s["outcome"] for s in state.get("/sagas")["sagas"]))

    rig.wait_for("every saga to end", settled, 120, progress)
    confirmed = []
    for saga_id in placed:
        saga = state.get(f"/sagas/{saga_id}")
        outcome, steps = expected_outcome(KNOBS, saga_id)
        assert (saga["outcome"], [s["type"] for s in saga["steps"]]) == (outcome, steps), saga
        if outcome == "CONFIRMED":
            confirmed.append(saga_id)
    assert len(confirmed) not in (0, len(placed))
    owed = sum(placed[s]["payload"][1]["total_cents"] for s in confirmed)
    held: Counter[str] = Counter()
    for s in confirmed:
        for line in placed[s]["payload"][1]["items"]:
            held[line["sku"]] += line["quantity"]
    firsts = check_log(rig, topics["events"])
    charged = sum(e["amount_cents"] for e in firsts.values() if e["type"] == "PaymentCharged")
    refunded = sum(e["amount_cents"] for e in firsts.values() if e["type"] == "PaymentRefunded")
    assert charged - refunded == owed
    moved: Counter[str] = Counter()
    for e in firsts.values():
        sign = {"InventoryReserved": 1, "InventoryReleased": -1}.get(e["type"], 0)
        for line in e["items"]:
            moved[line["sku"]] += sign * line["quantity"]
    assert +moved == held
    check_tables(roles, firsts, owed, held)
    check_cli(state, set(placed) - set(confirmed))


def check_cli(state: Role, cancelled: set[str]) -> None:
    tide = Path(sys.executable).with_name("tide")
    listed = subprocess.run([str(tide), "sagas", "list", "--state", "cancelled", "--url",
                             state.url, "-o", "json"], capture_output=True, check=True)  # fmt: skip
    assert {row["saga"] for row in json.loads(listed.stdout)} == cancelled
    one = sorted(cancelled)[0]
    shown = subprocess.run([str(tide), "sagas", "show", one, "--url", state.url, "-o", "json"],
                           capture_output=True, check=True)  # fmt: skip
    assert json.loads(shown.stdout)["outcome"] == "CANCELLED"


def check_log(rig: StreamRig, topic: str) -> dict[tuple[str, str], dict[str, Any]]:
    """The first outcome of every (saga, step); any other copy is the same answer."""
    firsts: dict[tuple[str, str], dict[str, Any]] = {}
    retries = 0
    for event in rig.decoded(rig.read(topic)):
        if event["type"] == "StepRetryRequested":
            retries += 1
            continue
        first = firsts.setdefault((event["saga_id"], event["step"]), event)
        same = ("type", "amount_cents", "items")
        assert {k: event[k] for k in same} == {k: first[k] for k in same}, (first, event)
    assert retries > 0  # the delayed answers (3 s) outlast the step timeout (2 s)
    return firsts


def check_tables(roles: dict[str, Role], firsts: dict[tuple[str, str], dict[str, Any]],
                 owed: int, held: Counter[str]) -> None:  # fmt: skip
    steps = Counter(step for _, step in firsts)
    for name, cls in (("inventory", Inventory), ("payment", Payment), ("shipping", Shipping)):
        tables = roles[name].get(f"/participants/{name}")
        assert tables["complete"]
        parts = tables["partitions"].values()
        assert sum(p["applied"] for p in parts) == sum(steps[s] for s in cls.steps), name
        if name == "payment":
            total = sum(sum(p["tables"]["charges"].values()) - sum(p["tables"]["refunds"].values())
                        for p in parts)  # fmt: skip
            assert total == owed
        if name == "inventory":
            left: Counter[str] = Counter()
            for p in parts:
                for sku, n in p["tables"]["stock"].items():
                    left[sku] += KNOBS.initial_stock - n
            assert +left == held


def test_saga_events_of_another_partition_count_are_refused(rig: StreamRig) -> None:
    orders_topic, events = rig.source("orders", 4), rig.source("saga_events", 2)
    env = {**os.environ, "TIDE_KAFKA__BOOTSTRAP_SERVERS": rig.bootstrap_servers,
           "TIDE_REGISTRY__URL": rig.registry_url}  # fmt: skip
    tide = Path(sys.executable).with_name("tide")
    done = subprocess.run(
        [str(tide), "sagas", "serve", "--role", "payment", "--port", str(free_port()),
         "--orders-topic", orders_topic, "--events-topic", events,
         "--alerts-topic", rig.name("saga_alerts")],
        env=env, capture_output=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 1
    assert f"{events} has 2 partitions and {orders_topic} 4" in done.stderr.decode()
    assert b"Traceback" not in done.stderr


def test_a_step_late_past_its_retries_is_parked_alerted_and_resumed(long_rig: StreamRig) -> None:
    rig = long_rig
    topics = {"orders": rig.source("orders", 2), "events": rig.name("saga_events"),
              "alerts": rig.name("saga_alerts")}  # fmt: skip
    knobs = Knobs(seed=3, decline_rate=0.3, delay_rate=1.0, delay_s=2.5)
    placed = dict(placed_orders(20))
    every = Role(rig, "all", topics, knobs, step_timeout_s=0.4, max_attempts=2)
    try:
        every.start()  # all four roles in one process
        serializer = AvroSerializer(rig.registry, f"{topics['orders']}-value",
                                    load("orders").schema_str)  # fmt: skip
        producer = Producer(ProducerConfig(rig.bootstrap_servers).librdkafka())
        for key, event in placed.items():
            producer.produce(topics["orders"], serializer.encode(event), key.encode())
        assert producer.flush(30) == 0

        def outcomes() -> Counter[str]:
            return Counter(s["outcome"] for s in every.get("/sagas")["sagas"])

        def ended() -> bool:
            now = outcomes()
            return now["CONFIRMED"] + now["CANCELLED"] == len(placed)

        rig.wait_for("a saga parked", lambda: outcomes()["STUCK"] > 0, 60, lambda: str(outcomes()))
        rig.wait_for("every saga to end", ended, 90, lambda: str(outcomes()))
        for saga_id in placed:
            assert every.get(f"/sagas/{saga_id}")["outcome"] == expected_outcome(knobs, saga_id)[0]
        alerts = rig.decoded(rig.read(topics["alerts"]))
        assert alerts and {a["saga_id"] for a in alerts} <= set(placed)
        assert all(a["attempts"] == 2 for a in alerts)
        metrics = httpx.get(f"{every.url}/metrics", timeout=10).text
        assert 'tide_saga_events_emitted_total{role="state",type="SagaAlert"}' in metrics
    finally:
        every.kill()
