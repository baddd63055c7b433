"""Exponential backoff with full jitter, and bounded retries (fake sleep: no waiting)."""

from __future__ import annotations

import random

import pytest

from producers.resilience.backoff import Backoff, call_with_retries
from producers.resilience.errors import RetriesExhaustedError


def test_full_jitter_bounds_and_spread() -> None:
    backoff = Backoff(base_s=0.1, cap_s=1.0)
    rng = random.Random(1)
    for attempt, bound in [(0, 0.1), (2, 0.4), (5, 1.0), (30, 1.0)]:
        draws = [backoff.delay(attempt, rng) for _ in range(4_000)]
        assert all(0.0 <= d <= bound for d in draws)
        assert sum(draws) / len(draws) == pytest.approx(bound / 2, rel=0.1)


def test_retries_then_succeeds() -> None:
    calls: list[int] = []
    slept: list[float] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionError("refused")
        return "ok"

    result = call_with_retries(
        flaky, backoff=Backoff(max_attempts=5), retry_on=(ConnectionError,), name="registry",
        sleep=slept.append, rng=random.Random(2),
    )  # fmt: skip
    assert (result, len(calls), len(slept)) == ("ok", 3, 2)


def test_exhaustion_keeps_the_cause() -> None:
    calls: list[int] = []

    def down() -> None:
        calls.append(1)
        raise ConnectionError("refused")

    with pytest.raises(RetriesExhaustedError, match="registry: 4 attempts") as caught:
        call_with_retries(down, backoff=Backoff(max_attempts=4), retry_on=(ConnectionError,),
                          name="registry", sleep=lambda _s: None)  # fmt: skip
    assert len(calls) == 4
    assert isinstance(caught.value.__cause__, ConnectionError)


def test_other_errors_are_not_retried() -> None:
    calls: list[int] = []

    def broken() -> None:
        calls.append(1)
        raise ValueError("bad input")

    with pytest.raises(ValueError, match="bad input"):
        call_with_retries(broken, backoff=Backoff(), retry_on=(ConnectionError,), name="x",
                          sleep=lambda _s: None)  # fmt: skip
    assert len(calls) == 1
