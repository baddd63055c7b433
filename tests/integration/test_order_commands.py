"""The order command API on the real broker and registry: two `tide orders serve` members share
the partitions; a command sent to either reaches its order's owner; expected versions conflict
(409), broken rules are refused (422), retries with an idempotency key append nothing, and
concurrent commands on one order never both win. Afterwards the topic holds each order's events
at versions 1, 2, … with no gap and no duplicate, and nothing a client was told was accepted is
missing — also across a kill -9 of a member, whose partitions the other takes over."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

from producers.config import ProducerConfig
from producers.deserializer import AvroDeserializer
from producers.serializer import AvroSerializer
from producers.topics import partitions_of
from schemas.loader import load
from streams.orders.aggregate import Fold, OrderState
from streams.projections.read_models import order_summary
from tests.integration.kafka_fixtures import FAST_FAILOVER, KafkaCluster
from tests.integration.streams_fixtures import StreamRig
from tide.stack.kafka_dist import kafka_unavailable_reason
from tide.stack.ports import free_port

ITEMS = [{"sku": "SKU-1", "quantity": 2, "unit_price_cents": 1250},
         {"sku": "SKU-2", "quantity": 1, "unit_price_cents": 500}]  # fmt: skip


class Member:
    """`tide orders serve` as a process of its own, to kill -9."""

    def __init__(self, rig: StreamRig, topic: str, name: str) -> None:
        self.rig, self.topic, self.name = rig, topic, name
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "TIDE_KAFKA__BOOTSTRAP_SERVERS": rig.bootstrap_servers,
               "TIDE_REGISTRY__URL": rig.registry_url, "TIDE_DATA_DIR": str(rig.root),
               "TIDE_LOG_LEVEL": "INFO"}  # fmt: skip
        tide = Path(sys.executable).with_name("tide")
        with (rig.root / f"orders-{name}.log").open("wb") as log:
            self.process = subprocess.Popen(
                [str(tide), "orders", "serve", "--port", str(port), "--topic", topic,
                 "--session-timeout-s", "6"],
                env=env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        rig.wait_for(f"member {name}", self.answers, 60)

    def answers(self) -> bool:
        assert self.process.poll() is None, f"member {self.name} exited"
        try:
            return httpx.get(f"{self.url}/metrics", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def post(self, path: str, body: dict[str, Any], key: str | None = None) -> httpx.Response:
        headers = {"Idempotency-Key": key} if key else {}
        return httpx.post(f"{self.url}{path}", json=body, headers=headers, timeout=60)

    def place(self, key: str | None = None, **extra: Any) -> httpx.Response:
        body = {"customer_id": "c1", "region": "eu", "items": ITEMS, **extra}
        return self.post("/orders", body, key)

    def get(self, path: str, **params: Any) -> httpx.Response:
        return httpx.get(f"{self.url}{path}", params=params, timeout=60)

    def owned(self) -> int:
        metrics = httpx.get(f"{self.url}/metrics", timeout=5).text
        line = next(x for x in metrics.splitlines() if x.startswith("tide_order_partitions_owned"))
        return int(line.split()[-1])

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(10)


def the_log(rig: StreamRig, topic: str) -> dict[str, list[dict[str, Any]]]:
    """Every event of ``topic`` by order, in log order."""
    parts = partitions_of(rig.bootstrap_servers, topic)
    consumer = Consumer({"bootstrap.servers": rig.bootstrap_servers, "group.id": uuid.uuid4().hex,
                         "enable.partition.eof": True, "log_level": 0})  # fmt: skip
    consumer.assign([TopicPartition(topic, p, 0) for p in parts])
    decoder = AvroDeserializer(rig.registry)
    out: dict[str, list[dict[str, Any]]] = {}
    ended: set[int] = set()
    try:
        while len(ended) < len(parts):
            for m in consumer.consume(500, timeout=1):
                error = m.error()
                if error is not None:
                    assert error.code() == KafkaError._PARTITION_EOF, error.str()
                    ended.add(m.partition() or 0)
                    continue
                event = decoder.decode(m.value() or b"")
                out.setdefault(event["order_id"], []).append(event)
    finally:
        consumer.close()
    return out


def assert_versions_are_gapless(log: dict[str, list[dict[str, Any]]]) -> None:
    for order_id, events in log.items():
        assert [e["version"] for e in events] == list(range(1, len(events) + 1)), order_id
        keys = [e["command_id"] for e in events if e["command_id"]]
        assert len(keys) == len(set(keys)), f"a command of {order_id} was applied twice"


def test_commands_are_routed_checked_and_appended_once(rig: StreamRig) -> None:
    topic = rig.source("orders", 4)
    a, b = Member(rig, topic, "a"), Member(rig, topic, "b")
    try:
        rig.wait_for("the partitions shared", lambda: a.owned() + b.owned() == 4 and
                     min(a.owned(), b.owned()) >= 1, 60)  # fmt: skip
        first = a.place(key="place-1")
        assert first.status_code == 201, first.text
        placed = first.json()
        shown = (placed["version"], placed["status"], placed["delivery"])
        assert shown == (1, "PLACED", "delivered")
        again = b.place(key="place-1")  # a retry, through the other member
        assert again.status_code == 200, again.text
        assert (again.json()["order_id"], again.json()["version"], again.json()["delivery"]) == (
            placed["order_id"], 1, "replayed")  # fmt: skip

        order_ids = [placed["order_id"]]
        for i in range(12):  # spread over the partitions: half of them forwarded to the owner
            answer = (a if i % 2 else b).place()
            assert answer.status_code == 201, answer.text
            order_ids.append(answer.json()["order_id"])
        assert a.owned() >= 1 and b.owned() >= 1 and a.owned() + b.owned() == 4

        oid = placed["order_id"]
        stale = a.post(f"/orders/{oid}/pay", {"expected_version": 0})
        assert stale.status_code == 409 and stale.json()["current_version"] == 1, stale.text
        paid = b.post(f"/orders/{oid}/pay", {"expected_version": 1}, key="pay-1")
        assert paid.status_code == 200 and paid.json()["version"] == 2, paid.text
        twice = a.post(f"/orders/{oid}/pay", {})
        assert twice.status_code == 422, twice.text
        assert "OrderPaid needs an order that is PLACED" in twice.json()["error"]
        assert b.post(f"/orders/{oid}/pay", {}, key="pay-1").json()["version"] == 2  # a retry
        assert a.post(f"/orders/{oid}/ship", {"carrier": "UPS"}).json()["version"] == 3
        late = b.post(f"/orders/{oid}/cancel", {"reason": "too late"})
        assert late.status_code == 422 and "SHIPPED" in late.json()["error"]
        assert a.post("/orders/o-nobody/pay", {}).status_code == 404
        assert a.post("/orders", {"customer_id": "c1", "region": "eu"}).status_code == 422
        assert "items" in a.post("/orders", {"customer_id": "c", "region": "eu"}).text
        assert httpx.post(f"{a.url}/orders", content=b"{nope", timeout=10).status_code == 400
        bad_price = a.place(items=[{"sku": "X", "quantity": 1, "unit_price_cents": -1}])
        assert bad_price.status_code == 422 and "items[0].unit_price_cents" in bad_price.text

        # Concurrent commands on one order, through both members: exactly one wins.
        target = order_ids[1]
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(
                lambda i: (a, b)[i % 2].post(f"/orders/{target}/pay", {"expected_version": 1}),
                range(8)))  # fmt: skip
        codes = sorted(r.status_code for r in answers)
        assert codes == [200] + [409] * 7, [r.text for r in answers]

        log = the_log(rig, topic)
        assert_versions_are_gapless(log)
        assert sorted(log) == sorted(order_ids)
        for order_id, events in log.items():
            fold = Fold(OrderState(order_id))
            for event in events:
                fold.add(event)
            shown = httpx.get(f"{(a, b)[len(order_id) % 2].url}/orders/{order_id}", timeout=30)
            assert shown.json() == order_summary(fold.state)
    finally:
        a.kill()
        b.kill()


def test_a_member_killed_mid_commands_loses_no_accepted_command(long_rig: StreamRig) -> None:
    rig = long_rig
    topic = rig.source("orders", 4)
    a, b = Member(rig, topic, "a"), Member(rig, topic, "b")
    accepted: dict[str, list[str]] = {}  # order → event ids of the commands answered 2xx
    try:
        for i in range(16):
            answer = (a, b)[i % 2].place(key=f"k-{i}")
            assert answer.status_code == 201, answer.text
            accepted[answer.json()["order_id"]] = [answer.json()["event_id"]]
        a.kill()  # its partitions' orders are b's once the group notices (a session timeout)
        for order_id in accepted:
            paid = b.post(f"/orders/{order_id}/pay", {"expected_version": 1}, key=f"p-{order_id}")
            assert paid.status_code == 200, paid.text
            accepted[order_id].append(paid.json()["event_id"])
        a = Member(rig, topic, "a2")  # a new member: the partitions are shared again
        for order_id in accepted:
            shipped = a.post(f"/orders/{order_id}/ship", {"expected_version": 2})
            assert shipped.status_code == 200, shipped.text
            accepted[order_id].append(shipped.json()["event_id"])
    finally:
        a.kill()
        b.kill()
    log = the_log(rig, topic)
    assert_versions_are_gapless(log)
    assert {o: [str(e["event_id"]) for e in events] for o, events in log.items()} == accepted


def test_an_order_as_of_a_time_is_rebuilt_from_the_topic_then_from_the_lake(
    kafka1: KafkaCluster, registry_url: str, tmp_path: Path
) -> None:
    rig = StreamRig(kafka1.bootstrap_servers, registry_url, tmp_path)
    topic = rig.source("orders", 1)
    member = Member(rig, topic, "a")
    try:
        oid = member.place().json()["order_id"]
        assert member.post(f"/orders/{oid}/pay", {}).status_code == 200
        assert member.post(f"/orders/{oid}/ship", {}).status_code == 200
        placed, paid, shipped = (e["event_time"] for e in the_log(rig, topic)[oid])
        assert placed < paid, "the test needs the pay event a millisecond after the place one"
        between = (paid - timedelta(milliseconds=1)).isoformat()

        def as_of(moment: str) -> httpx.Response:
            return member.get(f"/orders/{oid}", as_of=moment)

        then = as_of(between)
        assert then.status_code == 200, then.text
        assert (then.json()["status"], then.json()["version"], then.json()["paid_at"]) == (
            "PLACED", 1, None)  # fmt: skip
        assert as_of(shipped.isoformat()).json()["status"] == "SHIPPED"
        before = as_of((placed - timedelta(seconds=1)).isoformat())
        assert before.status_code == 404 and "at " in before.json()["error"]
        assert as_of("yesterday").status_code == 422

        env = {**os.environ, "TIDE_DATA_DIR": str(rig.root),
               "TIDE_KAFKA__BOOTSTRAP_SERVERS": rig.bootstrap_servers,
               "TIDE_REGISTRY__URL": registry_url}  # fmt: skip
        landed = subprocess.run([sys.executable, "-m", "tide", "jobs", "submit", "land",
                                 "--topic", topic], env=env, capture_output=True, text=True,
                                timeout=180, check=False)  # fmt: skip
        assert landed.returncode == 0, landed.stderr
        admin = AdminClient({"bootstrap.servers": rig.bootstrap_servers})
        (gone,) = admin.delete_records([TopicPartition(topic, 0, 3)]).values()
        assert gone.result(30).low_watermark == 3  # retention's work: none of them left

        from_lake = as_of(between)
        assert from_lake.status_code == 200, from_lake.text
        assert from_lake.json() == then.json()
        assert "tide_order_history_from_lake_total 1" in member.get("/metrics").text
    finally:
        member.kill()
        rig.close()


def test_commands_accepted_while_the_broker_is_down_reach_the_log_once_it_is_back(
    registry_url: str, tmp_path: Path
) -> None:
    reason = kafka_unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    kafka = KafkaCluster(tmp_path / "kafka", nodes=1, extra_config=FAST_FAILOVER)
    kafka.start()
    rig = StreamRig(kafka.bootstrap_servers, registry_url, tmp_path)
    topic = rig.source("orders", 2)
    member = Member(rig, topic, "a")
    accepted: set[tuple[str, int]] = set()  # (order, version) of every command answered 2xx
    try:
        up = [member.place(key=f"up-{i}").json() for i in range(2)]
        accepted |= {(o["order_id"], 1) for o in up}
        kafka.stop()

        def until_accepted(send: Callable[[], httpx.Response]) -> dict[str, Any]:
            deadline = time.monotonic() + 90
            while True:  # 503: not confirmed yet; the same key again learns the outcome
                answer = send()
                if answer.status_code in (200, 201) or time.monotonic() > deadline:
                    assert answer.status_code in (200, 201), answer.text
                    found: dict[str, Any] = answer.json()
                    return found

        down = [until_accepted(lambda i=i: member.place(key=f"down-{i}")) for i in range(3)]
        assert any(d["delivery"] == "queued" for d in down), down
        accepted |= {(d["order_id"], 1) for d in down}
        oid = up[0]["order_id"]
        paid = until_accepted(lambda: member.post(f"/orders/{oid}/pay", {}, key="pay-down"))
        assert paid["version"] == 2
        accepted.add((oid, 2))
        kafka.start()  # on its folder: what it held before is there again

        def logged() -> set[tuple[str, int]]:
            return {(o, e["version"]) for o, es in the_log(rig, topic).items() for e in es}

        rig.wait_for("the outbox replayed", lambda: logged() >= accepted, 120)
        log = the_log(rig, topic)
        assert_versions_are_gapless(log)
        assert logged() == accepted
    finally:
        member.kill()
        rig.close()
        kafka.stop()


def v1_schema() -> str:
    """`orders` as first shipped: no `currency` in OrderPlaced, no `version`, no `command_id`."""
    schema = load("orders").schema
    fields = [f for f in schema["fields"] if f["name"] not in ("version", "command_id")]
    payload = next(f for f in fields if f["name"] == "payload")
    placed = next(b for b in payload["type"] if b["name"] == "OrderPlaced")
    placed["fields"] = [f for f in placed["fields"] if f["name"] != "currency"]
    schema["fields"] = fields
    return json.dumps(schema)


def test_events_of_both_schema_versions_in_one_topic_fold_into_one_order(
    kafka1: KafkaCluster, registry_url: str, tmp_path: Path
) -> None:
    rig = StreamRig(kafka1.bootstrap_servers, registry_url, tmp_path)
    topic = rig.source("orders", 2)
    old = AvroSerializer(rig.registry, f"{topic}-value", v1_schema())  # the topic's first writer
    placed = {"event_id": str(uuid.uuid4()), "event_time": datetime.now(UTC), "order_id": "o-v1",
              "customer_id": "c9", "region": "eu", "producer": "legacy", "trace_id": "t",
              "payload": ("tide.orders.OrderPlaced",
                          {"items": ITEMS[:1], "total_cents": 2500})}  # fmt: skip
    producer = Producer(ProducerConfig(rig.bootstrap_servers).librdkafka())
    producer.produce(topic, old.encode(placed), b"o-v1")
    assert producer.flush(30) == 0
    member = Member(rig, topic, "a")  # writes with today's schema, version 2 of the subject
    try:
        shown = member.get("/orders/o-v1").json()
        assert (shown["version"], shown["currency"], shown["total_cents"]) == (1, "EUR", 2500)
        paid = member.post("/orders/o-v1/pay", {"expected_version": 1})
        assert paid.status_code == 200 and paid.json()["version"] == 2, paid.text
        (v1_event, v2_event) = the_log(rig, topic)["o-v1"]
        assert "currency" not in v1_event["payload"][1] and v2_event["version"] == 2
        versions = httpx.get(f"{registry_url}/subjects/{topic}-value/versions", timeout=10).json()
        assert versions == [1, 2]
    finally:
        member.kill()
        rig.close()
