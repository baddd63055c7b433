"""`tide jobs submit compact`: the small files of several landings become fewer in one commit
that keeps the landing offsets — the next land job resumes exactly — and every query answers
the same. Real broker, registry, catalog and DuckDB."""

from __future__ import annotations

from lake.maintenance.compact import compact
from lake.offsets import committed_offsets, snapshot_offsets
from tests.integration.maintenance_fixtures import Landed


def _data_files(landed: Landed) -> int:
    return len(landed.table().inspect.files())


def test_compaction_keeps_rows_and_offsets(landed: Landed) -> None:
    for start in range(0, 90, 30):
        landed.land(range(start, start + 30))  # 3 commits, each a file per partition
    before_rows, before_files = landed.rows(), _data_files(landed)
    offsets = committed_offsets(landed.table(), landed.topic)
    assert len(before_rows) == 90

    result = landed.job("compact")
    table = landed.table()
    assert result["files_before"] == before_files and result["files_after"] < before_files
    assert result["files_after"] == _data_files(landed) == before_files // 3
    assert len(table.snapshots()) == 4  # one commit
    current = table.current_snapshot()
    assert current is not None and current.snapshot_id == result["snapshot_id"]
    assert snapshot_offsets(current) == {landed.topic: offsets}  # carried in the summary
    assert landed.rows() == before_rows

    again = compact(landed.table(), 128 * 1024**2)
    assert again.rewritten == 0 and again.snapshot_id is None  # nothing left to pack
    landed.land(range(90, 100))
    ids = landed.event_ids()
    assert len(ids) == 100 and set(ids) == landed.sent
