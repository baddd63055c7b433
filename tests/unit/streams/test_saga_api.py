"""The saga API over a member's books (no broker: the member is not run, its slots are set)."""

from __future__ import annotations

import threading

from fastapi.testclient import TestClient

from streams.sagas.events import saga_event
from streams.sagas.http_api import create_app
from streams.sagas.member import SagaMember, SagaSettings, Slot
from streams.sagas.state import RetryPolicy, SagaBook


def member_with(books: dict[int, SagaBook], partitions: int) -> SagaMember:
    m = SagaMember(SagaSettings("127.0.0.1:1", "http://127.0.0.1:1"), "state",
                   lambda: SagaBook(RetryPolicy()), True, threading.Event())  # fmt: skip
    m.partitions, m.slots = partitions, {p: Slot(b) for p, b in books.items()}
    return m


def test_show_list_and_metrics() -> None:
    done, running = SagaBook(RetryPolicy()), SagaBook(RetryPolicy())
    facts = {"saga_id": "o-1", "items": [], "amount_cents": 5}
    done.on_order(facts, 0)
    for kind in ("InventoryReserved", "PaymentCharged", "ShipmentScheduled", "OrderConfirmed"):
        done.on_event(saga_event(kind, "o-1"), 0)
    running.on_order({**facts, "saga_id": "o-2"}, 0)
    client = TestClient(create_app({"state": member_with({0: done, 1: running}, 2)}))
    shown = client.get("/sagas/o-1").json()
    assert shown["outcome"] == "CONFIRMED" and len(shown["steps"]) == 4
    assert "since_ms" not in shown
    listed = client.get("/sagas", params={"state": "running"}).json()
    assert [s["saga_id"] for s in listed["sagas"]] == ["o-2"] and listed["complete"]
    assert client.get("/sagas", params={"state": "lost"}).status_code == 422
    assert client.get("/sagas/o-9").status_code == 404
    assert 'tide_saga_sagas{outcome="CONFIRMED"} 1.0' in client.get("/metrics").text


def test_a_partial_owner_says_so() -> None:
    client = TestClient(create_app({"state": member_with({0: SagaBook(RetryPolicy())}, 2)}))
    assert client.get("/sagas/o-9").status_code == 421
    assert client.get("/sagas").json()["complete"] is False
    assert client.get("/participants/payment").status_code == 404
