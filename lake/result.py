"""A query result cut to a row limit without reading the rest: ``truncated`` says more existed."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

MAX_BATCH_ROWS = 100_000


@dataclass(frozen=True)
class QueryResult:
    """The rows kept (at most the limit) and whether the statement had more."""

    table: pa.Table
    truncated: bool


def batch_rows(max_rows: int) -> int:
    """Rows per batch when reading a result cut at ``max_rows``: one batch holds limit + 1."""
    return min(max_rows + 1, MAX_BATCH_ROWS) if max_rows > 0 else MAX_BATCH_ROWS


def take(reader: pa.RecordBatchReader, max_rows: int) -> QueryResult:
    """At most ``max_rows`` rows of ``reader`` (0: all), reading one row past the limit only."""
    if max_rows <= 0:
        return QueryResult(reader.read_all(), truncated=False)
    batches: list[pa.RecordBatch] = []
    read = 0
    while read <= max_rows:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            break
        batches.append(batch)
        read += batch.num_rows
    table = pa.Table.from_batches(batches, schema=reader.schema)
    return QueryResult(table.slice(0, max_rows), truncated=read > max_rows)
