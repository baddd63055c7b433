"""Retries with exponential backoff and full jitter (delay = uniform(0, min(cap, base * 2^n)))."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from producers.resilience.errors import RetriesExhaustedError

log = logging.getLogger(__name__)
T = TypeVar("T")
_JITTER = random.Random()  # noqa: S311 - jitter, not security


@dataclass(frozen=True)
class Backoff:
    base_s: float = 0.05
    cap_s: float = 2.0
    max_attempts: int = 5

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Full jitter: spreads retries of many clients instead of synchronizing them."""
        return rng.uniform(0.0, min(self.cap_s, self.base_s * 2**attempt))


def call_with_retries(
    fn: Callable[[], T],
    *,
    backoff: Backoff,
    retry_on: tuple[type[BaseException], ...],
    name: str,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> T:
    """Call ``fn``; retry the listed errors up to ``backoff.max_attempts`` attempts in all."""
    for attempt in range(backoff.max_attempts):
        try:
            return fn()
        except retry_on as e:
            if attempt + 1 == backoff.max_attempts:
                raise RetriesExhaustedError(
                    f"{name}: {backoff.max_attempts} attempts failed, last: {e}"
                ) from e
            delay = backoff.delay(attempt, rng or _JITTER)
            log.info("retrying", extra={"dependency": name, "attempt": attempt + 1,
                                        "delay_s": round(delay, 3), "error": str(e)})  # fmt: skip
            sleep(delay)
    raise AssertionError("unreachable: max_attempts must be >= 1")
