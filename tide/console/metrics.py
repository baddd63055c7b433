"""The console's own metrics (Prometheus), one registry per console process."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, generate_latest

REGISTRY = CollectorRegistry(auto_describe=True)

REQUESTS = Counter(
    "tide_console_requests",
    "Requests answered, by route and status code.",
    ["route", "status"],
    registry=REGISTRY,
)
ERRORS = Counter(
    "tide_console_errors",
    "Requests answered with an error, by the dependency or input at fault.",
    ["cause"],
    registry=REGISTRY,
)


def exposition() -> bytes:
    """The registry in Prometheus' text format."""
    return generate_latest(REGISTRY)
