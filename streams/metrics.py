"""The worker's metrics (Prometheus), one registry per process, labelled by job and partition."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

REGISTRY = CollectorRegistry(auto_describe=True)

EVENTS_IN = Counter(
    "tide_stream_events_in", "Source records read.", ["job", "partition"], registry=REGISTRY
)
EVENTS_COUNTED = Counter(
    "tide_stream_events_counted", "Events counted into an open window.", ["job"], registry=REGISTRY
)
LATE = Counter(
    "tide_stream_late_events",
    "Events whose window had fired (sent to <job>.late).",
    ["job"],
    registry=REGISTRY,
)
DEAD = Counter(
    "tide_stream_dead_letters", "Records sent to <topic>.dlq.", ["job"], registry=REGISTRY
)
FINALS = Counter(
    "tide_stream_results", "Window results emitted.", ["job", "emit"], registry=REGISTRY
)
WATERMARK = Gauge(
    "tide_stream_partition_watermark_ms",
    "Watermark of a source partition.",
    ["job", "partition"],
    registry=REGISTRY,
)
OPERATOR_WATERMARK = Gauge(
    "tide_stream_operator_watermark_ms",
    "Minimum watermark over the source partitions (merge stage).",
    ["job"],
    registry=REGISTRY,
)
LAG = Gauge(
    "tide_stream_consumer_lag",
    "End offset minus position of an owned source partition "
    "(the broker's high watermark; approximate on the embedded broker).",
    ["job", "partition"],
    registry=REGISTRY,
)
OPEN_WINDOWS = Gauge(
    "tide_stream_open_windows", "Windows holding state.", ["job", "stage"], registry=REGISTRY
)
IDLE = Gauge(
    "tide_stream_partition_idle",
    "1 while a source partition is idle.",
    ["job", "partition"],
    registry=REGISTRY,
)
OWNED = Gauge(
    "tide_stream_owned_partitions",
    "Partitions this worker owns.",
    ["job", "topic"],
    registry=REGISTRY,
)
EMIT_LAG = Histogram(
    "tide_stream_emit_lag_seconds",
    "Wall clock at emission minus (window end + lateness) of final results.",
    ["job"],
    registry=REGISTRY,
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300),
)
CHECKPOINT_SECONDS = Histogram(
    "tide_stream_checkpoint_seconds",
    "Time to flush outputs and write checkpoints.",
    ["job"],
    registry=REGISTRY,
)
TIME = Counter(
    "tide_stream_time_seconds",
    "Run-loop time by state, as Flink reports a task's: idle (waiting for input), "
    "backpressured (waiting for the broker to take outputs: a full producer queue, a flush "
    "or transaction commit at a checkpoint) and busy (the rest).",
    ["job", "state"],
    registry=REGISTRY,
)
TIME_PER_SECOND = Gauge(
    "tide_stream_time_ms_per_second",
    "Milliseconds per second in each state over the last second or so (Flink's "
    "busyTimeMsPerSecond, idleTimeMsPerSecond, backPressuredTimeMsPerSecond).",
    ["job", "state"],
    registry=REGISTRY,
)
RESTARTS = Counter(
    "tide_stream_runner_restarts", "Runner restarts after an error.", ["job"], registry=REGISTRY
)


def exposition() -> bytes:
    """The registry in Prometheus' text format."""
    return generate_latest(REGISTRY)
