"""The saga members' metrics (Prometheus), one registry per process."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

REGISTRY = CollectorRegistry(auto_describe=True)

EMITTED = Counter(
    "tide_saga_events_emitted", "Saga events and alerts written (re-emits included).",
    ["role", "type"], registry=REGISTRY,
)  # fmt: skip
PARKED = Gauge(
    "tide_saga_parked", "Sagas parked STUCK (a step unanswered after its last retry), owned "
    "partitions.", registry=REGISTRY,
)  # fmt: skip
SAGAS = Gauge(
    "tide_saga_sagas", "Sagas by outcome, owned partitions.", ["outcome"], registry=REGISTRY
)
