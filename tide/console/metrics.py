"""The console's own metrics (Prometheus), one registry per console process."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

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
LIVE_STREAMS = Gauge(
    "tide_console_live_streams",
    "Pages connected to the live updates (server-sent events).",
    registry=REGISTRY,
)
SECTION_SECONDS = Histogram(
    "tide_console_section_seconds",
    "Time to compute one section for the live updates, by section.",
    ["section"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)


def exposition() -> bytes:
    """The registry in Prometheus' text format."""
    return generate_latest(REGISTRY)
