"""Compaction: the small data files of each partition rewritten into fewer, in ONE commit.

pyiceberg 0.12 has no rewrite action, so this is an ``overwrite`` snapshot built by hand: the
files of a partition smaller than the target are packed into bins of at most the target
size, each bin of two or more files is read (projected onto the current schema) and written
again as one file, and one transaction deletes the old files and adds the new. The snapshot
summary carries the landing bookkeeping (``lake.offsets.offset_properties``): the next land
job reads its offsets from there. A writer committing meanwhile makes the commit fail
(CommitError: pyiceberg's commit retry is off, as on every lake table), with nothing changed;
the files it wrote are then orphans.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass

from pyiceberg.exceptions import CommitFailedException
from pyiceberg.expressions import AlwaysTrue
from pyiceberg.io.pyarrow import ArrowScan, _dataframe_to_data_files
from pyiceberg.manifest import DataFile
from pyiceberg.table import FileScanTask, Table

from lake.errors import CommitError
from lake.offsets import disable_commit_retry, offset_properties


@dataclass(frozen=True)
class CompactResult:
    table: str
    files_before: int
    files_after: int
    rewritten: int  # files replaced
    written: int  # files written in their place
    snapshot_id: int | None  # of the compaction, None if there was nothing to compact
    bytes_in: int = 0  # of the files replaced
    bytes_out: int = 0  # of the files written in their place


def compact(table: Table, target_size: int) -> CompactResult:
    """Rewrite ``table``'s small files per partition into files of about ``target_size``
    bytes, in one commit (none if no partition has two files to pack)."""
    table.refresh()
    # A blind retry would re-apply the rewrite, and its stale offsets, over a landing.
    disable_commit_retry(table)
    name = table.name()[-1]
    current = table.current_snapshot()
    if current is None:
        return CompactResult(name, 0, 0, 0, 0, None)
    files = [task.file for task in table.scan(snapshot_id=current.snapshot_id).plan_files()]
    bins = [b for group in _by_partition(files) for b in _pack(group, target_size) if len(b) > 1]
    if not bins:
        return CompactResult(name, len(files), len(files), 0, 0, None)
    written = written_bytes = 0
    try:
        with table.transaction() as txn:
            metadata, io = txn.table_metadata, table.io
            summary = offset_properties(table)
            with txn.update_snapshot(snapshot_properties=summary).overwrite() as rewrite:
                counter = itertools.count(0)
                for old in bins:
                    scan = ArrowScan(metadata, io, metadata.schema(), AlwaysTrue())
                    data = scan.to_table([FileScanTask(f) for f in old])
                    _check_complete(name, old, data.num_rows)
                    for new in _dataframe_to_data_files(
                        metadata, data, io, rewrite.commit_uuid, counter
                    ):
                        rewrite.append_data_file(new)
                        written += 1
                        written_bytes += new.file_size_in_bytes
                    for f in old:
                        rewrite.delete_data_file(f)
    except CommitFailedException as e:
        raise CommitError(f"{name} changed while it was compacted; nothing changed: {e}") from e
    rewritten = sum(map(len, bins))
    snapshot = table.current_snapshot()
    return CompactResult(
        name,
        len(files),
        len(files) - rewritten + written,
        rewritten,
        written,
        None if snapshot is None else snapshot.snapshot_id,
        bytes_in=sum(f.file_size_in_bytes for b in bins for f in b),
        bytes_out=written_bytes,
    )


def _check_complete(name: str, files: list[DataFile], rows: int) -> None:
    """Refuse to commit a rewrite that would not hold every row of the files it replaces."""
    expected = sum(f.record_count for f in files)
    if rows != expected:
        raise CommitError(
            f"compacting {name}: read {rows} rows from files holding {expected}; nothing changed"
        )


def _by_partition(files: list[DataFile]) -> list[list[DataFile]]:
    groups: dict[tuple[int, str], list[DataFile]] = defaultdict(list)
    for f in files:
        groups[(f.spec_id, repr(f.partition))].append(f)
    return list(groups.values())


def _pack(files: list[DataFile], target_size: int) -> list[list[DataFile]]:
    """First-fit bins of the files smaller than ``target_size``, at most that size each."""
    bins: list[list[DataFile]] = []
    sizes: list[int] = []
    for f in sorted(files, key=lambda f: f.file_size_in_bytes, reverse=True):
        if f.file_size_in_bytes >= target_size:
            continue
        for i, size in enumerate(sizes):
            if size + f.file_size_in_bytes <= target_size:
                bins[i].append(f)
                sizes[i] += f.file_size_in_bytes
                break
        else:
            bins.append([f])
            sizes.append(f.file_size_in_bytes)
    return bins
