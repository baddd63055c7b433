"""The saga_state read model of one partition, and the watchdog that retries late steps.

Each saga's record lists its steps in log order (type, attempt, event id, when), the step it
waits for, and its outcome: RUNNING, COMPENSATING (a step failed, compensations under way),
CONFIRMED, CANCELLED, or STUCK (a step unanswered after ``max_attempts`` — parked with an alert,
never dropped: a late answer moves it on). The first outcome of a step in the log is the one
kept; any later event for the same step is counted as a duplicate and changes nothing.

The watchdog (``tick``) asks again for a step not answered within ``timeout_s``, doubling the
wait per attempt: a StepRetryRequested carrying what the participant needs to answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from streams.sagas.events import (
    COMPENSATIONS,
    NEXT_STEP,
    RETRY,
    STEP_OF,
    event_id,
    now_ms,
    retry_request,
)

FAILURES = {"OutOfStock", "PaymentDeclined", "ShipmentFailed"}
Out = tuple[str, dict[str, Any]]  # ("events" | "alerts", record)


class Outcome(StrEnum):
    RUNNING = "RUNNING"
    COMPENSATING = "COMPENSATING"
    CONFIRMED = "CONFIRMED"
    CANCELLED = "CANCELLED"
    STUCK = "STUCK"


@dataclass(frozen=True)
class RetryPolicy:
    timeout_s: float = 5.0  # a step unanswered this long is asked again...
    max_attempts: int = 4  # ...doubling the wait, until this many asks; then it is parked


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")


class SagaBook:
    """One partition's sagas (a ``PartitionLogic`` of ``streams.sagas.member``)."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        self.sagas: dict[str, dict[str, Any]] = {}
        self.duplicates = 0
        self.parked = 0

    def _saga(self, saga_id: str, facts: dict[str, Any], now: int) -> dict[str, Any]:
        saga = self.sagas.get(saga_id)
        if saga is None:
            saga = self.sagas[saga_id] = {
                "saga_id": saga_id, "outcome": Outcome.RUNNING.value, "steps": [],
                "awaiting": "reserve", "attempts": 1, "since_ms": now, "started": None,
                "facts": {k: facts.get(k) for k in ("amount_cents", "currency", "items")},
            }  # fmt: skip
        return saga

    def on_order(self, facts: dict[str, Any], now: int) -> list[Out]:
        saga = self._saga(facts["saga_id"], facts, now)
        if saga["started"] is not None:
            self.duplicates += 1
        else:
            saga["started"] = _iso(now)
        return []

    def on_event(self, event: dict[str, Any], now: int) -> list[Out]:
        saga = self._saga(event["saga_id"], event, now)
        if event["type"] == RETRY:
            saga["attempts"] = max(saga["attempts"], event["attempt"])
            return []
        step = STEP_OF[event["type"]]
        if any(s["step"] == step for s in saga["steps"]):
            self.duplicates += 1
            return []
        saga["steps"].append({"type": event["type"], "step": step, "attempt": event["attempt"],
                              "event_id": event["event_id"], "at": _iso(event["event_time"]),
                              "seen": _iso(now)})  # fmt: skip
        if event.get("reason"):
            saga["facts"]["reason"] = event["reason"]
        if event["amount_cents"]:
            saga["facts"].update(amount_cents=event["amount_cents"], currency=event["currency"])
        if event["items"]:
            saga["facts"]["items"] = event["items"]
        saga["awaiting"] = NEXT_STEP[event["type"]]
        saga["attempts"], saga["since_ms"] = 1, now
        saga["outcome"] = self._outcome(saga, event["type"]).value
        return []

    @staticmethod
    def _outcome(saga: dict[str, Any], kind: str) -> Outcome:
        if kind == "OrderConfirmed":
            return Outcome.CONFIRMED
        if kind == "SagaCancelled":
            return Outcome.CANCELLED
        if kind in FAILURES or saga["awaiting"] in COMPENSATIONS:
            return Outcome.COMPENSATING
        return Outcome.RUNNING

    def tick(self, now: int) -> list[Out]:
        out: list[Out] = []
        for saga in self.sagas.values():
            if saga["awaiting"] is None or saga["outcome"] == Outcome.STUCK:
                continue
            wait_ms = self.policy.timeout_s * 1000 * 2 ** (saga["attempts"] - 1)
            if now - saga["since_ms"] < wait_ms:
                continue
            if saga["attempts"] >= self.policy.max_attempts:
                out.append(("alerts", self._park(saga, now)))
                continue
            saga["attempts"] += 1
            saga["since_ms"] = now
            out.append(("events", retry_request(saga["saga_id"], saga["awaiting"],
                                                saga["attempts"], saga["facts"],
                                                saga["facts"].get("reason"))))  # fmt: skip
        return out

    def _park(self, saga: dict[str, Any], now: int) -> dict[str, Any]:
        saga["outcome"] = Outcome.STUCK.value
        self.parked += 1
        return {"alert_id": event_id(saga["saga_id"], f"alert:{saga['awaiting']}",
                                     saga["attempts"]),
                "event_time": now_ms(), "saga_id": saga["saga_id"], "step": saga["awaiting"],
                "attempts": saga["attempts"],
                "reason": f"no answer to {saga['awaiting']} after {saga['attempts']} attempts "
                          f"({_iso(now)})"}  # fmt: skip

    def dump(self) -> dict[str, Any]:
        return {"sagas": self.sagas, "duplicates": self.duplicates, "parked": self.parked}

    def load(self, body: dict[str, Any]) -> None:
        self.sagas, self.duplicates = body["sagas"], body["duplicates"]
        self.parked = body["parked"]


def view(saga: dict[str, Any]) -> dict[str, Any]:
    """A saga as served: without the watchdog's bookkeeping."""
    return {k: v for k, v in saga.items() if k != "since_ms"}
