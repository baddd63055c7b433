"""The saga's pure step logic, driven over an in-memory log: outcomes as the knobs predict,
compensations in reverse order, every step applied once despite redeliveries, retries and a
restore from a checkpoint, and the watchdog's retries and parking."""

from __future__ import annotations

import json
import random
from typing import Any

from streams.sagas.events import event_id, from_order_placed, saga_event
from streams.sagas.inventory import Inventory
from streams.sagas.knobs import Knobs, expected_outcome
from streams.sagas.participant import Participant
from streams.sagas.payment import Payment
from streams.sagas.shipping import Shipping
from streams.sagas.state import Outcome, RetryPolicy, SagaBook

KNOBS = Knobs(seed=7, stockout_rate=0.15, decline_rate=0.15, ship_fail_rate=0.15)


def placed(saga: str, rng: random.Random) -> dict[str, Any]:
    items = [{"sku": f"sku-{rng.randint(1, 5)}", "quantity": rng.randint(1, 3),
              "unit_price_cents": 100} for _ in range(rng.randint(1, 3))]  # fmt: skip
    total = sum(i["quantity"] * 100 for i in items)
    return {"order_id": saga, "payload": ("tide.orders.OrderPlaced",
                                          {"items": items, "total_cents": total})}  # fmt: skip


class Log:
    """One partition of saga_events and its readers, each fed every event in log order."""

    def __init__(self, knobs: Knobs) -> None:
        self.roles: list[Participant] = [Inventory(knobs), Payment(knobs), Shipping(knobs)]
        self.book = SagaBook(RetryPolicy(timeout_s=1, max_attempts=2))
        self.events: list[dict[str, Any]] = []

    def order(self, order: dict[str, Any]) -> None:
        facts = from_order_placed(order)
        assert facts is not None
        self.book.on_order(facts, 0)
        self.feed([e for r in self.roles for _, e in r.on_order(facts, 0)])

    def feed(self, outs: list[dict[str, Any]]) -> None:
        queue = list(outs)
        while queue:
            event = json.loads(json.dumps(queue.pop(0)))  # as a reader decodes it
            self.events.append(event)
            self.book.on_event(event, 0)
            queue += [e for r in self.roles for _, e in r.on_event(event, 0)]


def firsts(events: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for e in events:
        if e["type"] != "StepRetryRequested":
            out.setdefault((e["saga_id"], e["step"]), e)
    return out


def test_outcomes_follow_the_knobs_and_compensate_in_reverse() -> None:
    rng, log = random.Random(1), Log(KNOBS)
    sagas = [f"o-{i}" for i in range(300)]
    orders = {s: placed(s, rng) for s in sagas}
    for s in sagas:
        log.order(orders[s])
        if rng.random() < 0.2:
            log.order(orders[s])  # a redelivered OrderPlaced
    for e in rng.sample(log.events, 100):
        log.feed([e])  # redelivered saga events
    paths = {tuple(expected_outcome(KNOBS, s)[1]) for s in sagas}
    assert len(paths) == 4  # confirmed, and each of the three compensations
    for s in sagas:
        outcome, steps = expected_outcome(KNOBS, s)
        saga = log.book.sagas[s]
        assert saga["outcome"] == outcome
        assert [step["type"] for step in saga["steps"]] == steps
    inventory, payment = log.roles[0], log.roles[1]
    assert isinstance(inventory, Inventory) and isinstance(payment, Payment)
    confirmed = [s for s in sagas if expected_outcome(KNOBS, s)[0] == "CONFIRMED"]
    charged = sum(payment.charges.values()) - sum(payment.refunds.values())
    assert charged == sum(orders[s]["payload"][1]["total_cents"] for s in confirmed)
    left = {sku: KNOBS.initial_stock - n for sku, n in inventory.stock.items()}
    sold: dict[str, int] = {}
    for s in confirmed:
        for line in orders[s]["payload"][1]["items"]:
            sold[line["sku"]] = sold.get(line["sku"], 0) + line["quantity"]
    assert left == {sku: sold.get(sku, 0) for sku in left}
    assert sum(r.applied for r in log.roles) == len(firsts(log.events))


def test_a_restored_participant_re_emits_the_same_event() -> None:
    payment = Payment(KNOBS)
    before = json.loads(json.dumps(payment.dump()))
    trigger = saga_event("InventoryReserved", "o-1", amount_cents=500,
                         items=[{"sku": "a", "quantity": 1}])  # fmt: skip
    [(_, first)] = payment.on_event(trigger, 0)
    assert first["event_id"] == event_id("o-1", "charge", 1)
    assert payment.on_event(trigger, 0) == []  # a redelivered trigger asks nothing
    after = Payment(KNOBS)
    after.load(json.loads(json.dumps(payment.dump())))
    retry = {**trigger, "type": "StepRetryRequested", "step": "retry:charge", "attempt": 2}
    assert after.on_event(retry, 0) == [("events", first)]  # asked again: the recorded answer
    replayed = Payment(KNOBS)
    replayed.load(before)  # a checkpoint from before the trigger: replayed, decided again
    [(_, again)] = replayed.on_event(trigger, 0)
    assert (again["event_id"], again["amount_cents"]) == (first["event_id"], 500)
    replayed.on_event(first, 0)  # its answer read back: the same, applied once
    assert replayed.applied == 1 and replayed.charges == {"o-1": 500}


def test_a_replay_that_decides_otherwise_adopts_the_log() -> None:
    lines = [{"sku": "a", "quantity": 2}]
    o1, o2 = ({"saga_id": s, "type": "OrderPlaced", "items": lines, "amount_cents": 10}
              for s in ("o-1", "o-2"))  # fmt: skip
    first = Inventory(Knobs(initial_stock=2))
    [(_, reserved1)] = first.on_order(o1, 0)
    checkpoint = json.loads(json.dumps(first.dump()))
    declined = saga_event("PaymentDeclined", "o-1", amount_cents=10, items=lines)
    [(_, released)] = first.on_event(declined, 0)
    [(_, reserved2)] = first.on_order(o2, 0)  # after the release: stock enough
    assert reserved2["type"] == "InventoryReserved"
    log = [reserved1, declined, released, reserved2]
    replay = Inventory(Knobs(initial_stock=2))
    replay.load(checkpoint)
    [(_, short)] = replay.on_order(o2, 0)  # `orders` read first this time: no stock left
    assert short["type"] == "OutOfStock"
    asked = [(e["type"], e["saga_id"]) for event in log for _, e in replay.on_event(event, 0)]
    assert asked == [("InventoryReleased", "o-1"), ("SagaCancelled", "o-1")]  # none for o-2
    assert replay.on_event(short, 0) == []  # its copy in the log, later: nothing
    assert replay.tables() == first.tables()
    assert replay.reservations == {"o-1": lines, "o-2": lines} and replay.stock == {"a": 0}


def test_a_late_step_is_retried_with_backoff_then_parked_and_resumes() -> None:
    book = SagaBook(RetryPolicy(timeout_s=1, max_attempts=3))
    facts = from_order_placed(placed("o-9", random.Random(2)))
    assert facts is not None
    book.on_order(facts, 0)
    assert book.tick(999) == []
    [(kind, retry)] = book.tick(1000)
    assert (kind, retry["step"], retry["attempt"]) == ("events", "retry:reserve", 2)
    assert retry["items"] == facts["items"]
    assert book.tick(2999) == []  # the wait doubled
    [(_, third)] = book.tick(3000)
    assert third["attempt"] == 3
    [(kind, alert)] = book.tick(7000)
    assert kind == "alerts" and alert["step"] == "reserve"
    assert book.sagas["o-9"]["outcome"] == Outcome.STUCK
    assert book.tick(100_000) == []  # parked: alerted once, kept
    inventory = Inventory(Knobs())
    [(_, answer)] = inventory.on_event(retry, 0)  # the retry is the trigger it never saw
    assert inventory.on_order(facts, 0) == [("events", answer)]  # the same answer again
    book.on_event(json.loads(json.dumps(answer)), 8000)
    assert book.sagas["o-9"]["outcome"] == Outcome.RUNNING


def test_delayed_answers_are_held_then_emitted_once() -> None:
    shipping = Shipping(Knobs(seed=1, delay_rate=1.0, delay_s=2.0))
    trigger = saga_event("PaymentCharged", "o-3", amount_cents=100)
    assert shipping.on_event(trigger, 0) == []
    assert shipping.on_event(trigger, 500) == []  # a retry while held: nothing more
    assert shipping.tick(1999) == []
    [(_, answer)] = shipping.tick(2000)
    assert answer["type"] == "ShipmentScheduled" and shipping.tick(5000) == []


def test_real_stock_runs_out_per_partition() -> None:
    inventory = Inventory(Knobs(initial_stock=3))
    lines = [{"sku": "a", "quantity": 2}]
    first = inventory.on_order({"saga_id": "o-1", "type": "OrderPlaced", "items": lines,
                                "amount_cents": 10}, 0)  # fmt: skip
    second = inventory.on_order({"saga_id": "o-2", "type": "OrderPlaced", "items": lines,
                                 "amount_cents": 10}, 0)  # fmt: skip
    assert [e["type"] for _, e in first + second] == ["InventoryReserved", "OutOfStock"]
    assert inventory.stock == {"a": 1}


def test_an_answer_carries_the_attempt_of_its_own_step() -> None:
    payment = Payment(Knobs())
    reserved_late = saga_event("InventoryReserved", "o-5", attempt=2, amount_cents=10)
    [(_, charged)] = payment.on_event(reserved_late, 0)
    assert (charged["attempt"], charged["event_id"]) == (1, event_id("o-5", "charge", 1))
    shipping = Shipping(Knobs())
    retry = {**saga_event("PaymentCharged", "o-6", amount_cents=10),
             "type": "StepRetryRequested", "step": "retry:ship", "attempt": 3}  # fmt: skip
    [(_, shipped)] = shipping.on_event(retry, 0)
    assert (shipped["step"], shipped["attempt"]) == ("ship", 3)
