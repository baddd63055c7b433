"""A participant's per-partition logic: which events ask it for which step, and idempotency.

A participant answers each (saga, step) once: the answer is recorded in its table before it is
emitted, and asking again (a redelivered trigger, a retry request, a replay after a crash)
re-emits the recorded answer — the same event id — or nothing while the answer is still held
back by the delay knob. The table is one partition's, checkpointed with the offsets it covers
(``streams.sagas.member``). Subclasses say which events trigger which step (``trigger``) and
decide the answer (``decide``), changing their own tables; they do no I/O.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from streams.sagas.events import retried_step
from streams.sagas.knobs import Knobs

Out = tuple[str, dict[str, Any]]  # ("events" | "alerts", record)


class Participant(ABC):
    name: str
    steps: frozenset[str]  # the steps this participant answers
    reads_orders = False  # whether OrderPlaced (on `orders`) asks it for a step

    def __init__(self, knobs: Knobs) -> None:
        self.knobs = knobs
        self.answers: dict[str, dict[str, Any]] = {}  # "saga/step" → the event answering it
        self.held: dict[str, int] = {}  # "saga/step" → when its held-back answer is due (ms)
        self.applied = 0  # steps decided (each once)

    @abstractmethod
    def trigger(self, event: dict[str, Any]) -> str | None:
        """The step a saga event (or an OrderPlaced's facts) asks of this participant."""

    @abstractmethod
    def decide(self, step: str, facts: dict[str, Any], attempt: int) -> dict[str, Any]:
        """The answer to ``step`` (changing this participant's tables)."""

    @abstractmethod
    def tables(self) -> dict[str, Any]:
        """The participant's state, JSON-ready (checkpointed and served)."""

    @abstractmethod
    def load_tables(self, body: dict[str, Any]) -> None: ...

    def handle(self, event: dict[str, Any], now_ms: int) -> list[dict[str, Any]]:
        """The events to emit for one input (a saga event, or an OrderPlaced's facts)."""
        step, attempt = retried_step(event), 1
        if step is None:
            step = self.trigger(event)
        elif step not in self.steps:
            return []
        else:
            attempt = int(event["attempt"])  # answered first when asked again: that attempt
        if step is None:
            return []
        key = f"{event['saga_id']}/{step}"
        if key in self.answers:
            return [] if key in self.held else [self.answers[key]]
        answer = self.decide(step, event, attempt)
        self.answers[key] = answer
        self.applied += 1
        delay = self.knobs.delay_ms(event["saga_id"], self.name)
        if delay:
            self.held[key] = now_ms + delay
            return []
        return [answer]

    def on_order(self, facts: dict[str, Any], now_ms: int) -> list[Out]:
        return [("events", e) for e in self.handle(facts, now_ms)] if self.reads_orders else []

    def on_event(self, event: dict[str, Any], now_ms: int) -> list[Out]:
        return [("events", e) for e in self.handle(event, now_ms)]

    def tick(self, now_ms: int) -> list[Out]:
        return [("events", e) for e in self.due(now_ms)]

    def due(self, now_ms: int) -> list[dict[str, Any]]:
        """Held-back answers now due."""
        due = [k for k, at in self.held.items() if at <= now_ms]
        for k in due:
            del self.held[k]
        return [self.answers[k] for k in due]

    def dump(self) -> dict[str, Any]:
        return {"answers": self.answers, "held": self.held, "applied": self.applied,
                "tables": self.tables()}  # fmt: skip

    def load(self, body: dict[str, Any]) -> None:
        self.answers, self.held = body["answers"], body["held"]
        self.applied = body["applied"]
        self.load_tables(body["tables"])
