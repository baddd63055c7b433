"""Land a Kafka topic in an Iceberg table, exactly once.

The next offset to read of every partition is committed in the Iceberg snapshot summary in the
same commit as the rows (see ``lake.offsets``); a restarted job resumes from there, so a crash
at any point leaves neither a gap nor a duplicate. The job is bounded — it lands what the topic
held when it started, then stops — or, with ``follow``, runs until stopped, committing every
``commit_every_s`` or ``batch_size`` rows, whichever comes first (a partition with nothing new
never holds a commit back). Each commit also records the event time landed per partition and
its minimum, the ``valid-through`` watermark (``lake.watermarks``). Partitions are assigned,
not joined through a consumer group: the table, not the broker, owns the position, and broker
transactions are never relied upon.
"""

from __future__ import annotations

import itertools
import logging
import operator
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import pyarrow as pa
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Message, TopicPartition
from pyiceberg.catalog import Catalog
from pyiceberg.table import Table

from jobs.commit_ahead import CommitAhead
from jobs.errors import JobError, OffsetGapError, SchemaEvolutionError
from jobs.land_start import start_offsets
from lake.arrow_schema import avro_to_arrow
from lake.avro_batch import AvroBatchDecoder
from lake.errors import (
    IncompatibleSchemaError,
    LakeError,
    TableNotFoundError,
    UnsupportedSchemaError,
)
from lake.evolution import conform, merge
from lake.offsets import append_with_offsets, committed_offsets
from lake.parquet_sink import ParquetSink
from lake.parquet_store.s3 import S3Root
from lake.tables import ensure_table, load_table
from lake.watermarks import (
    as_time,
    committed_event_times,
    max_event_times,
    merged,
    watermark_properties,
)
from producers import wire
from producers.deserializer import AvroDeserializer
from producers.errors import WireFormatError
from producers.partition_bounds import bounds
from producers.topics import partitions_of

log = logging.getLogger(__name__)

_BODY = operator.itemgetter(slice(wire.HEADER_SIZE, None))  # a wire-format value's Avro body


@dataclass(frozen=True)
class LandConfig:
    bootstrap_servers: str
    topic: str
    namespace: str
    table: str | None = None
    batch_size: int = 50_000  # rows: a commit at the latest when a batch holds this many
    extension_dir: Path | None = None  # DuckDB's (its avro extension); a temporary one if None
    follow: bool = False  # run until stopped instead of stopping at the topic's end
    commit_every_s: float = 5.0  # with follow: commit what was read at least this often
    event_time_column: str = "event_time"  # the watermark's column (none if a table lacks it)
    from_offset: int | None = None  # a backfill into a new table: from this offset on
    from_time_ms: int | None = None  # ... or from the first record at or after this time
    # land plain Parquet files here instead (lake.parquet_sink): a local folder or an S3 prefix
    parquet_root: Path | S3Root | None = None

    @property
    def table_name(self) -> str:
        return self.table or self.topic.replace(".", "_")


@dataclass
class LandResult:
    topic: str
    table: str
    rows: int = 0
    commits: int = 0
    offsets: dict[int, int] = field(default_factory=dict)
    valid_through: str | None = None  # ISO-8601 UTC, see lake.watermarks
    bytes_in: int = 0  # the landed records' value bytes, as read from the topic
    bytes_out: int = 0  # the data files this run committed (Parquet, compressed)


@dataclass
class _Batch:
    """Values read since the last commit, by writer schema id (in order of first appearance)."""

    groups: dict[int, list[bytes]] = field(default_factory=dict)
    partitions: dict[int, list[int]] = field(default_factory=dict)  # of each value in groups
    size: int = 0

    def add(self, schema_id: int, value: bytes, partition: int) -> None:
        self.groups.setdefault(schema_id, []).append(value)
        self.partitions.setdefault(schema_id, []).append(partition)
        self.size += 1

    def extend(self, schema_id: int, values: list[bytes], partitions: list[int]) -> None:
        self.groups.setdefault(schema_id, []).extend(values)
        self.partitions.setdefault(schema_id, []).extend(partitions)
        self.size += len(values)


def _existing(catalog: Catalog, namespace: str, name: str) -> Table | None:
    try:
        return load_table(catalog, namespace, name)
    except TableNotFoundError:
        return None


class LandJob:
    """One landing run of ``config.topic`` into ``namespace.table``."""

    def __init__(
        self,
        config: LandConfig,
        catalog: Catalog,
        decoder: AvroDeserializer,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.config = config
        self._catalog = catalog
        self._decoder = decoder
        self._progress = progress
        self._parquet = None if config.parquet_root is None else ParquetSink(
            config.parquet_root, config.topic)  # fmt: skip
        self._table = None if self._parquet else _existing(catalog, config.namespace,
                                                            config.table_name)  # fmt: skip
        if self._parquet is not None:
            self._committed = self._parquet.committed()
            self._event_times = self._parquet.event_times()
        else:
            self._committed = committed_offsets(self._table, config.topic) if self._table else {}
            self._event_times = (
                committed_event_times(self._table, config.topic) if self._table else {}
            )
        self.result = LandResult(config.topic, config.table_name, offsets=dict(self._committed))
        self.total = 0
        self.read = 0  # records read by this run, landed or not yet
        self.ends: dict[int, int] = {}  # each partition's end offset, as the fetches last said
        self.committed_at: float | None = None  # time.time() of this run's last commit
        self._started = dict(self._committed)
        self._start = dict(self._committed)  # where this run reads from (run() decides)
        # The schema the table will have once this run's writers are landed (lake.evolution).
        self._target = self._table.schema().as_arrow() if self._table else None
        self._writers: dict[int, pa.Schema] = {}
        self._columns: AvroBatchDecoder | None = None  # while running
        self._ahead: CommitAhead | None = None  # while running: commits beside the reading

    def run(self, stop: threading.Event | None = None) -> LandResult:
        """Land; with ``config.follow``, until ``stop`` is set (then what was read is committed).
        The Parquet sink (and the S3 lease it holds) is let go however the run ends."""
        try:
            return self._run(stop)
        finally:
            if self._parquet is not None:
                self._parquet.close()

    def _run(self, stop: threading.Event | None) -> LandResult:
        partitions = partitions_of(self.config.bootstrap_servers, self.config.topic)
        self._check_offsets(partitions)
        self._start = self._backfill_start(partitions)
        self._started = dict(self._start)
        consumer = Consumer(
            {
                "bootstrap.servers": self.config.bootstrap_servers,
                "group.id": f"tide-land-{self.config.topic}",
                "enable.auto.commit": False,
                "enable.partition.eof": True,
                "auto.offset.reset": "error",  # never skip or replay silently
                "log_level": 3,
            }
        )
        try:
            with AvroBatchDecoder(self.config.extension_dir) as columns:
                self._columns = columns
                self._ahead = CommitAhead(f"land-{self.config.topic}")
                try:
                    pending = self._assign(consumer, partitions)
                    if self.config.follow:
                        self._follow(consumer, stop or threading.Event())
                    else:
                        self._drain(consumer, pending)
                finally:
                    self._ahead.close()
        finally:
            self._columns = None
            self._ahead = None
            consumer.close()
        return self.result

    def _check_offsets(self, partitions: list[int]) -> None:
        """Refuse to start when the lake's next offset of a partition lies outside what the
        topic holds: reading would wait forever for offsets that will not come (a topic that
        was recreated — an in-memory broker restarted — or records deleted by retention)."""
        topic = self.config.topic
        if not self._committed:
            return
        found = bounds(self.config.bootstrap_servers, [(topic, p) for p in partitions])
        for p, next_offset in sorted(self._committed.items()):
            low, high = found.get((topic, p), (0, -1))
            if low <= next_offset <= high:
                continue
            where = "a partition it no longer has" if high < 0 else f"offsets {low}..{high}"
            raise OffsetGapError(
                f"{topic}[{p}]: the lake ({self.config.table_name}) goes on from offset "
                f"{next_offset}, but the topic now holds {where} — it was recreated (an "
                "in-memory broker restarted?) or retention deleted records; landing stopped "
                "before reading. Land into a new table (--table NAME), or keep topics across "
                "restarts (`tide up --broker kafka`)."
            )

    def _backfill_start(self, partitions: list[int]) -> dict[int, int]:
        """Where a backfill reads from (``from_offset``/``from_time_ms``); the committed
        offsets otherwise. A backfill lands into a table holding none of the topic's offsets:
        the lake's offsets are its exactly-once record, never moved."""
        config = self.config
        if config.from_offset is None and config.from_time_ms is None:
            return dict(self._committed)
        if self._committed:
            raise JobError(
                f"{config.table_name} already holds {config.topic} up to offsets "
                f"{self._committed}: a backfill (--from-offset/--from-time) lands into a new table "
                f"(--table {config.table_name}_backfill); a land without them resumes where it was"
            )
        return start_offsets(config.bootstrap_servers, config.topic, partitions,
                             offset=config.from_offset, time_ms=config.from_time_ms)  # fmt: skip

    def _assign(self, consumer: Consumer, partitions: list[int]) -> set[int]:
        """Assign every partition from its committed offset (the beginning if none).

        The end of each partition is learnt from the fetch (partition EOF), not from a
        ListOffsets request: the embedded broker answers those wrongly (see README).
        """
        consumer.assign(
            [
                TopicPartition(self.config.topic, p, self._start.get(p, OFFSET_BEGINNING))
                for p in partitions
            ]
        )
        log.info(
            "land starting",
            extra={"topic": self.config.topic, "table": self.config.table_name,
                   "resume_from": self._start},
        )  # fmt: skip
        return set(partitions)

    def _drain(self, consumer: Consumer, pending: set[int]) -> None:
        batch = _Batch()
        positions = dict(self._start)
        while pending:
            messages = consumer.consume(num_messages=5000, timeout=1.0)
            batch = self._fill(messages, batch, positions, pending)
            self._estimate_total(consumer, positions)
        self._commit(batch, positions)

    def _follow(self, consumer: Consumer, stop: threading.Event) -> None:
        """Land until ``stop`` is set, committing whenever ``commit_every_s`` has passed (and
        whenever a batch is full): the consume waits no longer than the next commit is due."""
        batch = _Batch()
        positions = dict(self._start)
        due = time.monotonic() + self.config.commit_every_s
        while not stop.is_set():
            wait = min(1.0, max(due - time.monotonic(), 0.0))
            messages = consumer.consume(num_messages=5000, timeout=wait)
            batch = self._fill(messages, batch, positions, set())
            self._estimate_total(consumer, positions)
            if time.monotonic() >= due:
                self._commit_later(batch, positions)
                batch = _Batch()
                due = time.monotonic() + self.config.commit_every_s
        self._commit(batch, positions)

    def _fill(
        self, messages: list[Message], batch: _Batch, positions: dict[int, int], pending: set[int]
    ) -> _Batch:
        """Take ``messages`` into ``batch``, committing each time it is full; the open batch."""
        while messages:
            room = self.config.batch_size - batch.size
            self._take_all(messages[:room], batch, positions, pending)
            messages = messages[room:]
            if batch.size >= self.config.batch_size:
                self._commit_later(batch, positions)
                batch = _Batch()
        return batch

    def _take_all(
        self, messages: list[Message], batch: _Batch, positions: dict[int, int], pending: set[int]
    ) -> None:
        """Take ``messages``: at once when all are records of one writer already admitted (the
        common case), else one by one."""
        values = [m.value() for m in messages]
        schema_id = self._one_writer(messages, values)
        if schema_id is None:
            for message in messages:
                self._take(message, batch, positions, pending)
            return
        partitions = [m.partition() or 0 for m in messages]
        batch.extend(schema_id, cast(list[bytes], values), partitions)
        self.read += len(values)
        for message, partition in zip(messages, partitions, strict=True):
            positions[partition] = (message.offset() or 0) + 1

    def _one_writer(self, messages: list[Message], values: list[bytes | None]) -> int | None:
        """The schema id all ``values`` carry, if it is one already admitted and none is an
        error or not in the wire format."""
        first = values[0]
        if first is None or any(m.error() is not None for m in messages):
            return None
        try:
            schema_id = self._decoder.schema_id_of(first)
            head = first[: wire.HEADER_SIZE]
            same = all(map(bytes.startswith, cast(list[bytes], values), itertools.repeat(head)))
        except (WireFormatError, TypeError):  # TypeError: a value is None
            return None
        return schema_id if same and schema_id in self._writers else None

    def _estimate_total(self, consumer: Consumer, positions: dict[int, int]) -> None:
        """Rows this run will land, from the high watermarks the fetches reported."""
        total = 0
        for tp in consumer.assignment():
            _, high = consumer.get_watermark_offsets(tp, cached=True)
            if high >= 0:
                self.ends[tp.partition] = high
                total += max(high - self._started.get(tp.partition, 0), 0)
        self.total = max(total, self.result.rows)

    def _take(
        self, message: Message, batch: _Batch, positions: dict[int, int], pending: set[int]
    ) -> None:
        partition = message.partition() or 0
        error = message.error()
        if error is not None:
            if error.code() == KafkaError._PARTITION_EOF:
                pending.discard(partition)
                return
            raise self._consume_error(partition, error)
        value = message.value() or b""
        try:
            schema_id = self._decoder.schema_id_of(value)
        except WireFormatError as e:
            self._commit(batch, positions)  # everything before it is landed
            raise self._not_avro(partition, message.offset() or 0, e) from e
        if schema_id not in self._writers:
            try:
                self._admit(schema_id)
            except (IncompatibleSchemaError, UnsupportedSchemaError) as e:
                self._commit(batch, positions)  # everything before it is landed
                raise self._incompatible(partition, message.offset() or 0, schema_id, e) from e
        batch.add(schema_id, value, partition)
        self.read += 1
        positions[partition] = (message.offset() or 0) + 1

    def _admit(self, schema_id: int) -> None:
        """Widen the target schema for a writer first seen in this run (or refuse it)."""
        writer = avro_to_arrow(self._decoder.writer_schema(schema_id))
        self._target = writer if self._target is None else merge(self._target, writer)
        self._writers[schema_id] = writer

    def _incompatible(
        self, partition: int, offset: int, schema_id: int, error: LakeError
    ) -> JobError:
        return SchemaEvolutionError(
            f"{self.config.topic}[{partition}] offset {offset} is written with schema id "
            f"{schema_id}, which lake table {self.config.table_name} cannot hold: {error}. "
            "Landing stopped there; what was landed before it stays landed. Land into a new "
            "table (--table NAME) to keep both."
        )

    def _not_avro(self, partition: int, offset: int, error: WireFormatError) -> JobError:
        topic = self.config.topic
        hint = (
            "a dead-letter topic holds refused inputs as they came"
            if topic.endswith(".dlq")
            else "its producer does not use the registry"
        )
        return JobError(
            f"{topic}[{partition}] offset {offset} is not a registry-encoded Avro record "
            f"({error}): landing takes only those, and {hint}; read it with `tide consume "
            f"{topic}`. What was landed before it stays landed."
        )

    def _consume_error(self, partition: int, error: KafkaError) -> JobError:
        where = f"{self.config.topic}[{partition}]"
        if error.code() in (KafkaError._AUTO_OFFSET_RESET, KafkaError.OFFSET_OUT_OF_RANGE):
            start = self._committed.get(partition, 0)
            return OffsetGapError(
                f"{where}: the lake's next offset {start} is outside the topic's offsets "
                "(deleted by retention, or the topic was recreated); landing stopped there. "
                "Land into a new table (--table) to start over."
            )
        return JobError(f"consuming {where} failed: {error}")

    def _commit(self, batch: _Batch, positions: dict[int, int]) -> None:
        """Commit ``batch`` now, after the commit in flight (if any)."""
        if self._ahead is not None:
            self._ahead.wait()
        self._commit_batch(batch, dict(positions), self._target)

    def _commit_later(self, batch: _Batch, positions: dict[int, int]) -> None:
        """Commit ``batch`` on the commit thread while the next one is read (``CommitAhead``):
        with the positions and target schema as they are now."""
        if self._ahead is None:  # pragma: no cover - only run() commits
            raise JobError("the land job commits only while it runs")
        target, read = self._target, dict(positions)
        self._ahead.submit(lambda: self._commit_batch(batch, read, target))

    def _commit_batch(
        self, batch: _Batch, positions: dict[int, int], target: pa.Schema | None
    ) -> None:
        if not batch.size or target is None:
            return
        parts, latest = [], dict(self._event_times)
        for schema_id, values in batch.groups.items():
            decoded = self._decode(schema_id, values)
            latest = merged(latest, self._latest(decoded, batch.partitions[schema_id]))
            parts.append(conform(decoded, target, self.config.table_name))
        data = pa.concat_tables(parts)
        offsets = {p: o for p, o in positions.items() if o != self._committed.get(p)}
        if self._parquet is not None:
            snapshot = self._parquet.append(
                data, [p for sid in batch.groups for p in batch.partitions[sid]],
                {p: self._committed.get(p, self._start.get(p, 0)) for p in offsets},
                offsets, expected=self._committed, event_times=latest,
            )  # fmt: skip
        else:
            snapshot = self._append_iceberg(batch, data, offsets, latest)
        self.result.bytes_in += sum(sum(map(len, values)) for values in batch.groups.values())
        self.result.bytes_out += self._written(snapshot)
        self._landed(data, offsets, latest, snapshot)

    def _written(self, snapshot: int) -> int:
        """The bytes of the data files commit ``snapshot`` added."""
        if self._parquet is not None:
            return self._parquet.last_bytes
        if self._table is None:  # pragma: no cover - an Iceberg commit made it
            return 0
        found = self._table.snapshot_by_id(snapshot)
        return int(found.summary.get("added-files-size") or 0) if found and found.summary else 0

    def _append_iceberg(
        self, batch: _Batch, data: pa.Table, offsets: dict[int, int], latest: dict[int, int]
    ) -> int:
        if self._table is None:
            first = self._writers[next(iter(batch.groups))]
            self._table = ensure_table(
                self._catalog, self.config.namespace, self.config.table_name, first
            )
        return append_with_offsets(
            self._table, data, self.config.topic, offsets, expected=self._committed, evolve=True,
            properties=watermark_properties(self.config.topic, latest),
        )  # fmt: skip

    def _landed(
        self, data: pa.Table, offsets: dict[int, int], latest: dict[int, int], snapshot: int
    ) -> None:
        self._committed = {**self._committed, **offsets}
        self._event_times = latest
        if latest:
            self.result.valid_through = as_time(min(latest.values())).isoformat()
        self.result.rows += data.num_rows
        self.result.commits += 1
        self.result.offsets = dict(self._committed)
        self.committed_at = time.time()
        log.info(
            "land committed",
            extra={"table": self.config.table_name, "rows": data.num_rows,
                   "snapshot_id": snapshot, "offsets": self._committed},
        )  # fmt: skip
        if self._progress is not None:
            self._progress(data.num_rows)

    def _latest(self, decoded: pa.Table, partitions: list[int]) -> dict[int, int]:
        """The latest event time per partition in ``decoded`` (none without its column)."""
        column = self.config.event_time_column
        if column not in decoded.schema.names:
            return {}
        if not pa.types.is_timestamp(decoded.schema.field(column).type):
            return {}
        return max_event_times(partitions, decoded[column])

    def _decode(self, schema_id: int, values: list[bytes]) -> pa.Table:
        """One writer's values decoded column-wise (``lake.avro_batch``)."""
        if self._columns is None:  # pragma: no cover - only run() commits
            raise JobError("the land job decodes only while it runs")
        writer = self._decoder.writer_schema(schema_id)
        return self._columns.decode(writer, list(map(_BODY, values)))
