"""`tide jobs submit compact`: the small files of several landings become fewer in one commit
that keeps the landing offsets — the next land job resumes exactly — and every query answers
the same; racing continuous land jobs lose nothing. Real broker, registry, catalog and DuckDB."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from lake.maintenance.compact import compact
from lake.maintenance.orphans import referenced
from lake.offsets import committed_offsets, snapshot_offsets
from tests.integration.maintenance_fixtures import Landed
from tests.integration.test_bad_input import run
from tests.unit.lake.samples import click


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


def test_two_land_jobs_and_compactions_racing_lose_nothing_and_leave_no_orphan(
    landed: Landed,
) -> None:
    """Two continuous land jobs (real `tide jobs submit land --follow` processes) on one table
    while events arrive and compactions run: the table ends with exactly the produced events;
    a land racing a compaction commits on top of it, one racing the other land is fenced (and
    exits 1); after expire and orphans every file left is one the table references."""
    command = [sys.executable, "-m", "tide", "jobs", "submit", "land", "--topic", landed.topic,
               "--follow", "--commit-every", "200ms"]  # fmt: skip
    env = {**os.environ, "TIDE_DATA_DIR": str(landed.tmp_path), **landed.env}
    landed.land(range(40))  # the table exists: both jobs start from its offsets
    jobs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True) for _ in range(2)]  # fmt: skip
    compactions = 0
    try:
        for wave in range(1, 6):
            landed.produce(range(wave * 40, wave * 40 + 40))
            ran = run(landed.tmp_path, landed.env, "jobs", "submit", "compact",
                      "--table", landed.topic, "-o", "json")  # fmt: skip
            # A compaction that a land commit overtook changed nothing (and says so): run again.
            assert ran.returncode == 0 or "changed while it was compacted" in ran.stderr, ran.stderr
            compactions += ran.returncode == 0
        _wait_for_rows(landed, 240)
    finally:
        for job in jobs:
            if job.poll() is None:
                job.send_signal(signal.SIGTERM)  # commit what it read, exit 0
        outcomes = [(job.wait(60), *job.communicate(timeout=30)) for job in jobs]
    for code, _out, err in outcomes:
        assert code == 0 or (code == 1 and "moved since they were read" in err), err
    assert any(code == 0 for code, _, _ in outcomes)
    assert compactions >= 1
    ids = landed.event_ids()
    assert len(ids) == 240 and set(ids) == landed.sent  # none lost, none twice

    landed.job("expire", "--older-than", "0s")
    landed.job("orphans", "--older-than", "0s")
    live = referenced(landed.table())
    location = landed.tmp_path / "warehouse" / "tide" / landed.topic
    on_disk = {str(p) for p in location.rglob("*") if p.is_file()}
    assert on_disk == {p.removeprefix("file://") for p in live}  # nothing unreferenced left
    assert landed.event_ids() == ids


def _wait_for_rows(landed: Landed, expected: int, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while len(landed.event_ids()) < expected:
        assert time.monotonic() < deadline, f"fewer than {expected} rows landed in time"
        time.sleep(0.2)  # polling interval of the condition


def _files(landed: Landed) -> dict[str, int]:
    """Each data file of the table's current snapshot, with its size."""
    files = landed.table().inspect.files()
    sizes = files.column("file_size_in_bytes").to_pylist()
    return dict(zip(files.column("file_path").to_pylist(), sizes, strict=True))


def test_land_and_compact_report_their_bytes_in_and_out(landed: Landed) -> None:
    """A land job's result counts the record bytes it read and the bytes of the data files
    it committed; a compaction's, the bytes of the files it replaced and of those it wrote."""
    for start in range(0, 60, 20):
        before = _files(landed) if start else {}
        landed.produce(range(start, start + 20))
        out = landed.tide("jobs", "submit", "land", "--topic", landed.topic, "-o", "json")
        result = json.loads(out.stdout)
        read = sum(len(landed.serializer.encode(click(i))) for i in range(start, start + 20))
        added = {path: size for path, size in _files(landed).items() if path not in before}
        assert (result["rows_landed"], result["bytes_in"]) == (20, read)
        assert result["bytes_out"] == sum(added.values()) > 0
    replaced = _files(landed)
    compacted = landed.job("compact")
    assert compacted["files_rewritten"] == len(replaced)
    assert compacted["bytes_in"] == sum(replaced.values())
    assert compacted["bytes_out"] == sum(_files(landed).values()) > 0
