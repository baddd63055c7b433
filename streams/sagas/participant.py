"""A participant's per-partition logic: which events ask it for which step, and idempotency.

A participant answers each (saga, step) once: the answer is recorded before it is emitted, and
asking again (a redelivered trigger, a retry request, a replay after a crash) re-emits the
recorded answer — the same event — or nothing while the delay knob still holds it back.

Every reader keeps the first answer to a step in the log; a later one (a copy, or a replay's
different decision) changes nothing and asks nothing. Tables are the fold of the participant's
answers (``apply``), and the log has the last word: the first of its own answers read back from
``saga_events`` is adopted — applied if the participant had no
answer (its state was restored from before it), or swapped for the recorded one if that
differs (a replay after a crash that decided otherwise, as a reservation can when stock is
short and ``orders`` and ``saga_events`` interleave differently). Subclasses say which events
trigger which step (``trigger``), decide an answer from their tables without changing them
(``decide``), and apply or take back an answer (``apply``, ``unapply``); they do no I/O.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from streams.sagas.events import STEP_OF, retried_step
from streams.sagas.knobs import Knobs

Out = tuple[str, dict[str, Any]]  # ("events" | "alerts", record)
SAME = ("type", "amount_cents", "items")  # what makes two answers to a step the same answer


class Participant(ABC):
    name: str
    steps: frozenset[str]  # the steps this participant answers
    reads_orders = False  # whether OrderPlaced (on `orders`) asks it for a step

    def __init__(self, knobs: Knobs) -> None:
        self.knobs = knobs
        self.answers: dict[str, dict[str, Any]] = {}  # "saga/step" → the event answering it
        self.held: dict[str, int] = {}  # "saga/step" → when its held-back answer is due (ms)
        self.logged: set[str] = set()  # "saga/step" answered in the log (anyone's steps)
        self.applied = 0  # answers applied to the tables, net of those taken back

    @abstractmethod
    def trigger(self, event: dict[str, Any]) -> str | None:
        """The step a saga event (or an OrderPlaced's facts) asks of this participant."""

    @abstractmethod
    def decide(self, step: str, facts: dict[str, Any], attempt: int) -> dict[str, Any]:
        """The answer to ``step``, from the tables as they are (not changing them)."""

    @abstractmethod
    def apply(self, answer: dict[str, Any]) -> None:
        """Fold one of this participant's answers into its tables."""

    @abstractmethod
    def unapply(self, answer: dict[str, Any]) -> None:
        """Take an applied answer back out of the tables."""

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
        self._take(key, answer)
        delay = self.knobs.delay_ms(event["saga_id"], self.name)
        if delay:
            self.held[key] = now_ms + delay
            return []
        return [answer]

    def settle(self, key: str, event: dict[str, Any]) -> None:
        """Adopt this participant's answer first in the log for ``key`` ("saga/step")."""
        mine = self.answers.get(key)
        if mine is not None and all(mine[k] == event[k] for k in SAME):
            return
        if mine is not None:
            self.unapply(mine)
            self.applied -= 1
            self.held.pop(key, None)
        self._take(key, event)

    def _take(self, key: str, answer: dict[str, Any]) -> None:
        self.answers[key] = answer
        self.apply(answer)
        self.applied += 1

    def on_order(self, facts: dict[str, Any], now_ms: int) -> list[Out]:
        return [("events", e) for e in self.handle(facts, now_ms)] if self.reads_orders else []

    def on_event(self, event: dict[str, Any], now_ms: int) -> list[Out]:
        step = STEP_OF.get(event["type"])
        if step is not None:  # an answer: only the first one of its step counts, for anyone
            key = f"{event['saga_id']}/{step}"
            if key in self.logged:
                return []
            self.logged.add(key)
            if step in self.steps:
                self.settle(key, event)
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
        return {"answers": self.answers, "held": self.held, "logged": sorted(self.logged),
                "applied": self.applied, "tables": self.tables()}  # fmt: skip

    def load(self, body: dict[str, Any]) -> None:
        self.answers, self.held = body["answers"], body["held"]
        self.logged, self.applied = set(body["logged"]), body["applied"]
        self.load_tables(body["tables"])
