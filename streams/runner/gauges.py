"""What a job runner reports to the metrics registry about its partitions and stages."""

from __future__ import annotations

from confluent_kafka import Consumer, TopicPartition

from streams import metrics
from streams.jobs.base import WindowJob
from streams.runner.merge_stage import MergeStage
from streams.runner.partition_stage import PartitionStage


def partitions(job: WindowJob, stage: PartitionStage, consumer: Consumer) -> None:
    """Idle flags, consumer lag (against the broker's cached end offsets) and open windows."""
    open_windows = 0
    for p, owned in stage.owned.items():
        open_windows += owned.state.open_windows
        metrics.IDLE.labels(job.name, str(p)).set(int(stage.progress(p).idle))
        _, high = consumer.get_watermark_offsets(TopicPartition(job.source, p), cached=True)
        if high >= 0 and owned.state.next_offset is not None:
            metrics.LAG.labels(job.name, str(p)).set(max(high - owned.state.next_offset, 0))
    metrics.OPEN_WINDOWS.labels(job.name, "partition").set(open_windows)


def ownership(job: WindowJob, stage: PartitionStage, merge: MergeStage | None) -> None:
    metrics.OWNED.labels(job.name, job.source).set(len(stage.owned))
    metrics.OWNED.labels(job.name, job.exchange_topic).set(int(merge is not None))


def merging(job: WindowJob, merge: MergeStage | None) -> None:
    """The operator watermark, the merge stage's open windows, and the emit lags it measured."""
    if merge is None:
        return
    metrics.OPERATOR_WATERMARK.labels(job.name).set(merge.state.operator_watermark_ms)
    metrics.OPEN_WINDOWS.labels(job.name, "merge").set(merge.state.open_windows)
    for lag in merge.emit_lags_s:
        metrics.EMIT_LAG.labels(job.name).observe(lag)
    merge.emit_lags_s.clear()
