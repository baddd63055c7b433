"""A circuit breaker: closed (calls pass), open (calls refused at once), half-open (one trial)."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from producers.resilience.errors import CircuitOpenError

log = logging.getLogger(__name__)
T = TypeVar("T")


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


_GAUGE = {BreakerState.CLOSED: 0, BreakerState.OPEN: 1, BreakerState.HALF_OPEN: 2}


@dataclass(frozen=True)
class BreakerConfig:
    failure_threshold: int = 5
    reset_timeout_s: float = 5.0
    half_open_max_calls: int = 1


class CircuitBreaker:
    """So that an outage costs no time per call: after ``failure_threshold`` consecutive
    failures, calls are refused until ``reset_timeout_s`` has passed; then trial calls decide."""

    def __init__(
        self,
        name: str,
        config: BreakerConfig,
        failure_on: tuple[type[BaseException], ...] = (Exception,),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self._config = config
        self._failure_on = failure_on
        self._clock = clock
        self._lock = threading.Lock()
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._trials = 0
        self.transitions: Counter[tuple[str, str]] = Counter()

    @property
    def state(self) -> BreakerState:
        with self._lock:
            return self._state

    def allow(self) -> bool:
        """May a call go now? (In half-open, this takes one of the trial slots.)"""
        with self._lock:
            if self._state is BreakerState.OPEN:
                if self._clock() - self._opened_at < self._config.reset_timeout_s:
                    return False
                self._move(BreakerState.HALF_OPEN)
                self._trials = 0
            if self._state is BreakerState.HALF_OPEN:
                if self._trials >= self._config.half_open_max_calls:
                    return False
                self._trials += 1
            return True

    def call(self, fn: Callable[[], T]) -> T:
        if not self.allow():
            raise CircuitOpenError(self.name, self._retry_in())
        try:
            result = fn()
        except self._failure_on:
            self.record_failure()
            raise
        self.record_success()
        return result

    def record_success(self) -> None:
        if self._state is BreakerState.CLOSED and not self._failures:
            return  # the common case needs no lock: nothing to change
        with self._lock:
            self._failures = 0
            if self._state is not BreakerState.CLOSED:
                self._move(BreakerState.CLOSED)

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._state is BreakerState.HALF_OPEN or (
                self._state is BreakerState.CLOSED
                and self._failures >= self._config.failure_threshold
            ):
                self._open()

    def trip(self) -> None:
        """Open now: the dependency reported itself down (e.g. all brokers unreachable)."""
        with self._lock:
            if self._state is not BreakerState.OPEN:
                self._open()

    def _open(self) -> None:
        self._opened_at = self._clock()
        self._move(BreakerState.OPEN)

    def _retry_in(self) -> float:
        with self._lock:
            elapsed = self._clock() - self._opened_at
            return max(self._config.reset_timeout_s - elapsed, 0.0)

    def _move(self, to: BreakerState) -> None:
        previous, self._state = self._state, to
        self.transitions[(previous.value, to.value)] += 1
        level = logging.WARNING if to is BreakerState.OPEN else logging.INFO
        log.log(level, "circuit %s %s -> %s", self.name, previous.value, to.value,
                extra={"breaker": self.name, "from_state": previous.value,
                       "to_state": to.value})  # fmt: skip


def render_prometheus(breakers: Iterable[CircuitBreaker]) -> str:
    """Breaker states (0 closed, 1 open, 2 half-open) and transitions, Prometheus text format."""
    lines = [
        "# HELP tide_breaker_state Circuit state: 0 closed, 1 open, 2 half-open.",
        "# TYPE tide_breaker_state gauge",
    ]
    transitions = [
        "# HELP tide_breaker_transitions_total Circuit state changes.",
        "# TYPE tide_breaker_transitions_total counter",
    ]
    for b in breakers:
        lines.append(f'tide_breaker_state{{breaker="{b.name}"}} {_GAUGE[b.state]}')
        for (src, dst), n in sorted(b.transitions.items()):
            transitions.append(
                f'tide_breaker_transitions_total{{breaker="{b.name}",from="{src}",to="{dst}"}} {n}'
            )
    return "\n".join(lines + transitions) + "\n"
