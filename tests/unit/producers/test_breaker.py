"""Circuit breaker transitions, driven by a fake clock (no sleeps)."""

from __future__ import annotations

import threading

import pytest

from producers.resilience.breaker import (
    BreakerConfig,
    BreakerState,
    CircuitBreaker,
    render_prometheus,
)
from producers.resilience.errors import CircuitOpenError


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Down(Exception):
    pass


def fail() -> None:
    raise Down("dependency down")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def breaker(clock: Clock) -> CircuitBreaker:
    return CircuitBreaker("registry", BreakerConfig(3, 5.0), failure_on=(Down,), clock=clock)


def trip(breaker: CircuitBreaker) -> None:
    for _ in range(3):
        with pytest.raises(Down):
            breaker.call(fail)


def test_opens_after_threshold_and_refuses_without_calling(breaker: CircuitBreaker) -> None:
    trip(breaker)
    assert breaker.state is BreakerState.OPEN
    calls = []
    with pytest.raises(CircuitOpenError, match="registry circuit is open") as refused:
        breaker.call(lambda: calls.append(1))
    assert calls == []
    assert refused.value.retry_in_s == pytest.approx(5.0)


def test_success_resets_the_failure_count(breaker: CircuitBreaker) -> None:
    for _ in range(2):
        with pytest.raises(Down):
            breaker.call(fail)
    assert breaker.call(lambda: "ok") == "ok"
    for _ in range(2):
        with pytest.raises(Down):
            breaker.call(fail)
    assert breaker.state is BreakerState.CLOSED


def test_half_open_success_closes(breaker: CircuitBreaker, clock: Clock) -> None:
    trip(breaker)
    clock.now += 5.0
    assert breaker.call(lambda: 42) == 42
    assert breaker.state is BreakerState.CLOSED
    assert breaker.transitions[("open", "half_open")] == 1
    assert breaker.transitions[("half_open", "closed")] == 1


def test_half_open_failure_reopens_and_restarts_the_timer(
    breaker: CircuitBreaker, clock: Clock
) -> None:
    trip(breaker)
    clock.now += 5.0
    with pytest.raises(Down):
        breaker.call(fail)
    assert breaker.state is BreakerState.OPEN
    clock.now += 4.9
    assert not breaker.allow()
    clock.now += 0.1
    assert breaker.allow()


def test_half_open_admits_only_its_trials(breaker: CircuitBreaker, clock: Clock) -> None:
    trip(breaker)
    clock.now += 5.0
    assert breaker.allow()
    assert not breaker.allow()
    assert breaker.state is BreakerState.HALF_OPEN


def test_other_errors_do_not_count(breaker: CircuitBreaker) -> None:
    for _ in range(5):
        with pytest.raises(KeyError):
            breaker.call(lambda: {}["x"])
    assert breaker.state is BreakerState.CLOSED


def test_trip_opens_at_once(breaker: CircuitBreaker) -> None:
    breaker.trip()
    assert breaker.state is BreakerState.OPEN


def test_concurrent_failures_open_exactly_once(clock: Clock) -> None:
    breaker = CircuitBreaker("broker", BreakerConfig(10, 5.0), clock=clock)
    threads = [
        threading.Thread(target=lambda: [breaker.record_failure() for _ in range(100)])
        for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert breaker.transitions == {("closed", "open"): 1}


def test_prometheus_text(breaker: CircuitBreaker) -> None:
    trip(breaker)
    text = render_prometheus([breaker])
    assert "# TYPE tide_breaker_state gauge" in text
    assert 'tide_breaker_state{breaker="registry"} 1' in text
    assert 'tide_breaker_transitions_total{breaker="registry",from="closed",to="open"} 1' in text
