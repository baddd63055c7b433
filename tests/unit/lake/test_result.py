"""Cutting a result at a row limit: one row past the limit is read, never the rest."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
import pytest

from lake.result import batch_rows, take

SCHEMA = pa.schema([("i", pa.int64())])


def _reader(sizes: list[int], read: list[int]) -> pa.RecordBatchReader:
    """Batches of ``sizes`` rows; ``read`` records how many batches were pulled."""

    def batches() -> Iterator[pa.RecordBatch]:
        start = 0
        for size in sizes:
            read.append(size)
            yield pa.record_batch([pa.array(range(start, start + size))], schema=SCHEMA)
            start += size

    return pa.RecordBatchReader.from_batches(SCHEMA, batches())


@pytest.mark.parametrize(
    ("sizes", "limit", "rows", "truncated", "batches_read"),
    [
        ([3, 3, 3], 5, 5, True, 2),
        ([3, 3], 6, 6, False, 2),
        ([6, 100], 5, 5, True, 1),  # the limit + 1 are in the first batch: the next is not read
        ([3, 3], 0, 6, False, 2),  # 0: everything
        ([], 5, 0, False, 0),
    ],
)
def test_take(sizes: list[int], limit: int, rows: int, truncated: bool, batches_read: int) -> None:
    read: list[int] = []
    result = take(_reader(sizes, read), limit)
    assert result.table.column("i").to_pylist() == list(range(rows))
    assert result.truncated is truncated
    assert len(read) == batches_read


def test_a_batch_holds_the_limit_and_one_more() -> None:
    assert batch_rows(10_000) == 10_001
    assert batch_rows(0) == batch_rows(10**9) == 100_000
