"""One job's run loop: group membership, batches, reports, merges, checkpoints.

Two consumer groups per job: the partition stage's (the source partitions) and the merge
stage's (the exchange's single partition), both with cooperative rebalancing, so a rebalance
moves only the partitions that change hands. On assignment the newest checkpoint is restored
and the partition is read from the offset inside it; on revocation every output is flushed and a
checkpoint written before the partition is let go. Checkpoints are written every
``checkpoint_interval_s``, only after every output they cover has been acknowledged, so a
checkpoint never claims work whose results could still be lost.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterable
from functools import partial
from typing import cast

from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    KafkaError,
    KafkaException,
    Message,
    TopicPartition,
)

from producers.errors import RegistryUnavailableError
from producers.registry_client import RegistryClient
from producers.serializer import AvroSerializer
from producers.topics import partitions_of
from streams import metrics
from streams.aggregations.partials import PartialPlan
from streams.errors import CheckpointError, DeliveryFailedError
from streams.io.decode import BatchDecoder
from streams.io.outputs import OutMessage, OutputWriter
from streams.jobs.base import WindowJob
from streams.jobs.output_schema import output_schema_str
from streams.runner import clients, gauges
from streams.runner.ends import EndWatch
from streams.runner.merge_stage import MergeStage
from streams.runner.partition_stage import PartitionStage
from streams.runner.settings import Cadence, RunnerSettings
from streams.runner.time_share import TimeShare
from streams.runner.view import ExchangeView
from streams.state.checkpoints import (
    MERGE_KEY,
    CheckpointStore,
    committed_hints,
    partition_key,
)
from streams.state.merge import MergeState
from streams.state.partition import PartitionState

log = logging.getLogger(__name__)
_partition = cast(Callable[[Message], int], Message.partition)  # C-level sort key


class JobRunner:
    """Runs ``job`` until ``stop`` is set; raises on errors a restart may cure."""

    def __init__(self, job: WindowJob, settings: RunnerSettings, stop: threading.Event) -> None:
        self.job = job
        self.settings = settings
        self._stop = stop
        self._plan = PartialPlan(job.aggregations)
        self._failed: str | None = None
        self._time = TimeShare(job.name)  # idle, backpressured, busy
        self._checkpointed: dict[int, tuple[int | None, int]] = {}
        self._moved: dict[str, dict[int, int]] = {}  # topic → partition → restored position
        self.merge: MergeStage | None = None

    def run(self) -> None:
        s, job = self.settings, self.job
        registry = RegistryClient(s.registry_url)
        serializer = AvroSerializer(registry, f"{job.output_topic}-value", output_schema_str(job))
        serializer.header()  # registers the output schema: an incompatible one stops here
        self.source_partitions = partitions_of(s.bootstrap_servers, job.source)
        clients.ensure_job_topics(job, s, len(self.source_partitions))
        self._producer = clients.producer(s, job)
        if s.exactly_once:
            self._producer.init_transactions(30)
            self._producer.begin_transaction()
        self._store = CheckpointStore(s.bootstrap_servers, job.checkpoint_topic, self._producer)
        self._decoder = BatchDecoder(job, self._plan, registry, s.max_skew_ms, s.data_dir)
        self._writer = OutputWriter(job, serializer)
        cadence = Cadence(s.idle_timeout_s, s.heartbeat_s, s.report_interval_s)
        self._ends = EndWatch(s.bootstrap_servers, job.source, s.heartbeat_s)
        self.stage = PartitionStage(
            job, self._plan, self._decoder, self._writer, cadence, time.monotonic, self._ends.end
        )
        self._view = ExchangeView(s.bootstrap_servers, job.exchange_topic)
        self._sources = clients.group_consumer(s, job, job.group_id)
        self._merger = clients.group_consumer(s, job, job.merge_group_id)
        log.info(
            "job starting",
            extra={
                "job": job.name,
                "source": job.source,
                "partitions": len(self.source_partitions),
                "output": job.output_topic,
            },
        )
        try:
            self._sources.subscribe(
                [job.source],
                on_assign=self._assign_sources,
                on_revoke=self._revoke_sources,
                on_lost=self._lost_sources,
            )
            self._merger.subscribe(
                [job.exchange_topic],
                on_assign=self._assign_merge,
                on_revoke=self._revoke_merge,
                on_lost=self._lost_merge,
            )
            self._ends.start()
            self._loop()
            self._checkpoint(list(self.stage.owned), merge=True)
        finally:
            self._ends.close()
            self._sources.close()  # leaves the group: revocation checkpoints what it held
            self._merger.close()
            self._producer.flush(10)
            self._view.close()
            self._decoder.close()
            registry.close()

    def _loop(self) -> None:
        interval = self.settings.checkpoint_interval_s
        next_checkpoint = time.monotonic() + interval
        next_early = time.monotonic() + (self.job.early_every_s or 0)
        while not self._stop.is_set():
            fetched = time.monotonic()
            batch = self._sources.consume(self.settings.batch_size, self.settings.poll_timeout_s)
            if len(batch) < self.settings.batch_size:  # it waited for records not there yet
                self._time.add("idle", time.monotonic() - fetched)
            self._dispatch_sources(self._settle(self._sources, self.job.source, batch))
            exchange = self._merger.consume(10_000, 0)
            self._dispatch_merge(self._settle(self._merger, self.job.exchange_topic, exchange))
            self._view.poll()
            self._tick()
            now = time.monotonic()
            if self.job.early_every_s and now >= next_early:
                next_early = now + self.job.early_every_s
                self._send(self.stage.early() + (self.merge.early() if self.merge else []))
            if now >= next_checkpoint:
                self._checkpoint(list(self.stage.owned), merge=True)
                gauges.partitions(self.job, self.stage, self._sources)
                next_checkpoint = time.monotonic() + interval
            self._time.roll()
            if self._failed:
                raise DeliveryFailedError(self._failed)

    def _settle(self, consumer: Consumer, topic: str, messages: list[Message]) -> list[Message]:
        """A batch during which partitions of ``topic`` were (re)assigned, without them.

        Such a batch can hold messages fetched under the previous assignment, returned after the
        rebalance callback restored an older checkpoint: taken as they are, they would skip what
        lies between the checkpoint and them. Those partitions are sought to their restored
        position instead, so that reading resumes exactly there.
        """
        moved = self._moved.pop(topic, {})
        if not moved:
            return messages
        for partition, offset in moved.items():
            try:
                consumer.seek(TopicPartition(topic, partition, offset))
            except KafkaException:  # not fetching yet: seek on the next round
                self._moved.setdefault(topic, {})[partition] = offset
        return [m for m in messages if m.partition() not in moved]

    def _dispatch_sources(self, messages: list[Message]) -> None:
        good = [m for m in messages if m.error() is None]
        good.sort(key=_partition)  # stable: offset order within a partition stays
        for p, group in itertools.groupby(good, key=_partition):
            batch = list(group)
            self._send(self._with_registry(partial(self.stage.process, p, batch)))
            metrics.EVENTS_IN.labels(self.job.name, str(p)).inc(len(batch))
        # after the records: an end of partition follows the records fetched before it
        for m in messages:
            error = m.error()
            if error is None:
                continue
            if error.code() == KafkaError._PARTITION_EOF:
                self.stage.at_end(m.partition() or 0, m.offset() or 0)
            else:
                log.warning("consumer error", extra={"job": self.job.name, "error": error.str()})

    def _dispatch_merge(self, messages: list[Message]) -> None:
        good = [m for m in messages if m.error() is None]
        if good and self.merge is not None:
            self._send(self.merge.process(good))
            gauges.merging(self.job, self.merge)

    def _with_registry(self, work: Callable[[], list[OutMessage]]) -> list[OutMessage]:
        """Run ``work``, waiting for the registry while it does not answer (nothing is skipped)."""
        delay = 0.5
        while True:
            try:
                return work()
            except RegistryUnavailableError as e:
                log.warning(
                    "registry unavailable, retrying the batch",
                    extra={"job": self.job.name, "error": str(e)},
                )
                if self._stop.wait(delay):
                    raise
                delay = min(delay * 2, 10.0)

    def _tick(self) -> None:
        self._ends.watch(self.stage.owned)
        raised = self.stage.raise_idle_floors(self.source_partitions, self._view.progress)
        if raised and not self._checkpoint(raised, merge=False):
            # a raised floor must be durable before anyone sees it: start again instead
            raise CheckpointError(f"job {self.job.name}: idle floor not checkpointed in time")
        self._send(self.stage.tick())
        for p, owned in self.stage.owned.items():
            metrics.WATERMARK.labels(self.job.name, str(p)).set(owned.state.watermark_ms)

    def _send(self, messages: Iterable[OutMessage]) -> None:
        produce = self._producer.produce
        for m in messages:
            partition = -1 if m.partition is None else m.partition  # -1: the key decides
            while True:
                try:
                    produce(
                        m.topic,
                        m.value,
                        m.key,
                        partition=partition,
                        headers=m.headers,
                        on_delivery=self._delivered,
                    )
                    break
                except BufferError:  # the broker does not take outputs as fast as they come
                    with self._time.waiting("backpressured"):
                        self._producer.poll(0.05)
        self._producer.poll(0)

    def _delivered(self, err: KafkaError | None, msg: Message) -> None:
        if err is not None and self._failed is None:
            self._failed = f"{msg.topic()}: {err.str()}"

    def _checkpoint(self, partitions: list[int], merge: bool) -> bool:
        """Flush, then write checkpoints of ``partitions`` (and the merge stage); False if the
        broker did not acknowledge in time (nothing is claimed then). With exactly_once, the
        interval's transaction commits instead (outputs, checkpoints and offsets together)."""
        started = time.perf_counter()
        waiting = self._time.waiting
        if not self.settings.exactly_once:
            with waiting("backpressured"):
                if self._producer.flush(30) > 0 or self._failed:
                    return False
        self._write_checkpoints(partitions, merge)
        with waiting("backpressured"):
            if self.settings.exactly_once:
                self._commit_transaction()
            elif self._producer.flush(30) > 0 or self._store.failures:
                raise CheckpointError(f"job {self.job.name}: a checkpoint was not acknowledged")
        self._commit_hints()
        metrics.CHECKPOINT_SECONDS.labels(self.job.name).observe(time.perf_counter() - started)
        return True

    def _write_checkpoints(self, partitions: list[int], merge: bool) -> None:
        for p in partitions:
            state = self.stage.owned[p].state
            mark = (state.next_offset, state.floor_ms)
            if self._checkpointed.get(p) != mark and state.next_offset is not None:
                self._store.write(p, partition_key(p), state.snapshot())
                self._checkpointed[p] = mark
        if merge and self.merge is not None:
            self._store.write(self._merge_slot, MERGE_KEY, self.merge.state.snapshot())

    def _commit_transaction(self) -> None:
        """Outputs, checkpoints and source offsets of this interval: all of them or none."""
        offsets = [
            TopicPartition(self.job.source, p, o.state.next_offset)
            for p, o in self.stage.owned.items()
            if o.state.next_offset is not None
        ]
        try:
            if offsets:
                self._producer.send_offsets_to_transaction(
                    offsets, self._sources.consumer_group_metadata(), 30
                )
            self._producer.commit_transaction(30)
        except KafkaException as e:
            if e.args[0].txn_requires_abort():
                self._producer.abort_transaction(30)
            raise CheckpointError(f"job {self.job.name}: transaction not committed: {e}") from e
        self._producer.begin_transaction()

    @property
    def _merge_slot(self) -> int:
        """The checkpoint partition of the merge stage: the one after the source partitions'."""
        return len(self.source_partitions)

    def _commit_hints(self) -> None:
        """Commit where the newest checkpoints are (and the source positions, for lag tools)."""
        pointers = self._store.pointers()
        ours = [tp for tp in pointers if tp.partition in self.stage.owned]
        sources = [
            TopicPartition(self.job.source, p, o.state.next_offset)
            for p, o in self.stage.owned.items()
            if o.state.next_offset is not None
        ]
        merge = [tp for tp in pointers if tp.partition == self._merge_slot]
        for consumer, offsets in (
            (self._sources, ours + sources),
            (self._merger, merge if self.merge else []),
        ):
            if offsets:
                try:
                    consumer.commit(offsets=offsets, asynchronous=True)
                except Exception as e:
                    log.debug("commit of checkpoint hints failed", extra={"error": str(e)})

    # --- group membership -------------------------------------------------------------------

    def _load(self, consumer: Consumer, slots: dict[int, bytes]) -> dict[int, bytes | None]:
        """The newest checkpoints of ``slots`` (checkpoint partition → key)."""
        hints = committed_hints(consumer, self.job.checkpoint_topic, list(slots))
        return self._store.load({p: (key, hints.get(p)) for p, key in slots.items()})

    def _assign_sources(self, consumer: Consumer, tps: list[TopicPartition]) -> None:
        sources = [tp.partition for tp in tps]
        found = self._load(consumer, {p: partition_key(p) for p in sources})
        assigned = [self._restore_partition(p, found[p]) for p in sources]
        consumer.incremental_assign(assigned)
        moved = self._moved.setdefault(self.job.source, {})
        moved.update({tp.partition: tp.offset for tp in assigned})
        gauges.ownership(self.job, self.stage, self.merge)

    def _restore_partition(self, p: int, data: bytes | None) -> TopicPartition:
        state = (
            PartitionState(p, self._plan, self.job.timing)
            if data is None
            else PartitionState.restore(data, self._plan, self.job.timing)
        )
        self.stage.own(state)
        self._checkpointed[p] = (state.next_offset, state.floor_ms)
        log.info(
            "partition restored",
            extra={
                "job": self.job.name,
                "partition": p,
                "offset": state.next_offset,
                "watermark_ms": state.watermark_ms,
            },
        )
        start = OFFSET_BEGINNING if state.next_offset is None else state.next_offset
        return TopicPartition(self.job.source, p, start)

    def _revoke_sources(self, consumer: Consumer, tps: list[TopicPartition]) -> None:
        sources = [tp.partition for tp in tps if tp.partition in self.stage.owned]
        self._checkpoint(sources, merge=False)
        self._drop(sources)
        log.info("partitions revoked", extra={"job": self.job.name, "partitions": sources})

    def _lost_sources(self, consumer: Consumer, tps: list[TopicPartition]) -> None:
        self._drop([tp.partition for tp in tps])
        log.warning(
            "partitions lost",
            extra={"job": self.job.name, "partitions": [tp.partition for tp in tps]},
        )

    def _drop(self, partitions: list[int]) -> None:
        for p in partitions:
            self.stage.drop(p)
            self._checkpointed.pop(p, None)
            self._moved.get(self.job.source, {}).pop(p, None)
        gauges.ownership(self.job, self.stage, self.merge)

    def _assign_merge(self, consumer: Consumer, tps: list[TopicPartition]) -> None:
        if not tps:
            return
        data = self._load(consumer, {self._merge_slot: MERGE_KEY})[self._merge_slot]
        state = (
            MergeState(self.source_partitions, self._plan, self.job.timing)
            if data is None
            else MergeState.restore(data, self._plan, self.job.timing)
        )
        state.with_partitions(self.source_partitions)
        self.merge = MergeStage(state, self._writer)
        log.info(
            "merge stage restored",
            extra={"job": self.job.name, "offset": state.next_offset, "fired_ms": state.fired_ms},
        )
        start = OFFSET_BEGINNING if state.next_offset is None else state.next_offset
        consumer.incremental_assign([TopicPartition(self.job.exchange_topic, 0, start)])
        self._moved.setdefault(self.job.exchange_topic, {})[0] = start
        gauges.ownership(self.job, self.stage, self.merge)

    def _revoke_merge(self, consumer: Consumer, tps: list[TopicPartition]) -> None:
        if tps and self.merge is not None:
            self._checkpoint([], merge=True)
            self.merge = None
            self._moved.pop(self.job.exchange_topic, None)
            gauges.ownership(self.job, self.stage, self.merge)
            log.info("merge stage revoked", extra={"job": self.job.name})

    def _lost_merge(self, consumer: Consumer, tps: list[TopicPartition]) -> None:
        if tps:
            self.merge = None
            self._moved.pop(self.job.exchange_topic, None)
            gauges.ownership(self.job, self.stage, self.merge)
            log.warning("merge stage lost", extra={"job": self.job.name})
