"""Errors of retries and circuit breakers."""

from __future__ import annotations

from producers.errors import ProducerError


class CircuitOpenError(ProducerError):
    """The dependency's circuit is open: calls are refused without trying until it resets."""

    def __init__(self, name: str, retry_in_s: float) -> None:
        super().__init__(f"{name} circuit is open; next trial in {retry_in_s:.1f}s")
        self.name = name
        self.retry_in_s = retry_in_s


class RetriesExhaustedError(ProducerError):
    """Every attempt of a remote call failed (the last error is the cause)."""
