"""`tide jobs submit expire`: old snapshots go, the current one and its landing offsets stay,
so the next land job resumes exactly where the last one stopped. Real broker, registry,
catalog and DuckDB; the jobs are subprocesses."""

from __future__ import annotations

import json
from pathlib import Path

from lake.maintenance.expire import expire_snapshots
from lake.tables import load_table
from tests.integration.lake_fixtures import lake_settings, land
from tests.integration.maintenance_fixtures import Landed
from tests.integration.test_bad_input import run
from tide.ops.lake import catalog


def test_expiry_keeps_the_offsets_the_next_land_resumes_from(landed: Landed) -> None:
    landed.land(range(30))
    landed.land(range(30, 50))
    before = [s.snapshot_id for s in landed.table().snapshots()]
    assert len(before) == 2
    result = landed.job("expire", "--older-than", "0s")
    assert result["snapshots_expired"] == 1 and result["expired_ids"] == before[:1]
    assert [s.snapshot_id for s in landed.table().snapshots()] == before[1:]
    landed.land(range(50, 60))
    ids = landed.event_ids()
    assert len(ids) == 60 and set(ids) == landed.sent  # none re-landed, none skipped
    jobs = json.loads(landed.tide("jobs", "list", "-o", "json").stdout)
    expiry = next(job for job in jobs if job["kind"] == "expire" and "0s" in job["args"])
    assert expiry["state"] == "SUCCEEDED" and "expired=1" in expiry["result"]


def test_retain_last_keeps_the_newest(tmp_path: Path) -> None:
    settings = lake_settings(tmp_path)
    for start in range(0, 40, 10):
        land(settings, "clicks", range(start, start + 10), {0: start + 10})
    table = load_table(catalog(settings), "tide", "clicks")
    assert expire_snapshots(table, 7 * 86400.0).expired == 0  # nothing that old
    result = run(tmp_path, {}, "jobs", "submit", "expire", "--table", "clicks",
                 "--older-than", "0s", "--retain-last", "3")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "clicks: 1 snapshot(s) expired, 3 kept"
