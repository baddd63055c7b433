"""`tide jobs submit orphans`: a stray Parquet file in a table's data folder (what a writer
that lost a commit race leaves) is deleted, every referenced file stays, results are unchanged.
Real catalog, Parquet files and DuckDB through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from lake.maintenance.expire import expire_snapshots
from lake.maintenance.orphans import referenced
from lake.tables import load_table
from tests.integration.lake_fixtures import lake_settings, land
from tests.integration.test_bad_input import assert_refused, run
from tide.ops.lake import catalog

QUERY = "SELECT * FROM clicks ORDER BY event_id"


def _rows(data_dir: Path) -> object:
    result = run(data_dir, {}, "sql", QUERY, "-o", "json", "--max-rows", "0")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_orphans_go_referenced_files_stay(tmp_path: Path) -> None:
    settings = lake_settings(tmp_path)
    land(settings, "clicks", range(40), {0: 40})
    land(settings, "clicks", range(40, 60), {0: 60})
    table = load_table(catalog(settings), "tide", "clicks")
    expire_snapshots(table, 0.0)  # the first snapshot's manifest list is now unreferenced
    location = tmp_path / "warehouse" / "tide" / "clicks"
    folder = next((location / "data").rglob("*.parquet")).parent
    stray = folder / "00000-0-lost-racer.parquet"
    pq.write_table(pa.table({"event_id": ["x"]}), stray)
    live = referenced(load_table(catalog(settings), "tide", "clicks"))
    before = _rows(tmp_path)
    assert isinstance(before, list) and len(before) == 60

    kept = run(tmp_path, {}, "jobs", "submit", "orphans", "--table", "clicks")
    assert kept.returncode == 0, kept.stderr
    assert kept.stdout.strip().startswith("clicks: 0 orphan file(s) removed")  # all too young
    assert stray.exists()

    result = run(tmp_path, {}, "jobs", "submit", "orphans", "--table", "clicks",
                 "--older-than", "0s", "-o", "json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    removed = json.loads(result.stdout)["removed"]
    assert str(stray.relative_to(location)) in removed
    assert any(r.startswith("metadata/snap-") for r in removed)  # the expired manifest list
    assert not stray.exists()
    assert all(Path(p).exists() for p in live)  # nothing referenced removed
    assert _rows(tmp_path) == before


def test_an_unknown_table_is_named(tmp_path: Path) -> None:
    assert_refused(
        run(tmp_path, {}, "jobs", "submit", "orphans", "--table", "nope"),
        "tide.nope does not exist",
    )
