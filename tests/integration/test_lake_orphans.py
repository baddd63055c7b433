"""`tide jobs submit orphans`: a stray Parquet file in a table's data folder (what a writer
that lost a commit race leaves) is deleted, every referenced file stays, results are unchanged.
Real catalog, Parquet files and DuckDB through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from lake.maintenance.compact import compact
from lake.maintenance.expire import expire_snapshots
from lake.maintenance.orphans import referenced, remove_orphans
from lake.tables import load_table
from tests.integration.lake_fixtures import lake_settings, land
from tests.integration.test_bad_input import run
from tide.ops.lake import catalog, query_engine
from tide.settings import TideSettings

QUERY = "SELECT * FROM clicks ORDER BY event_id"


def _rows(settings: TideSettings) -> list[dict[str, object]]:
    engine = query_engine(settings)
    try:
        return engine.query(QUERY).to_pylist()
    finally:
        engine.close()


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
    before = _rows(settings)
    assert isinstance(before, list) and len(before) == 60

    assert remove_orphans(table, 3600.0).removed == 0  # all younger than the safety age
    assert stray.exists()

    result = run(tmp_path, {}, "jobs", "submit", "orphans", "--table", "clicks",
                 "--older-than", "0s", "-o", "json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    removed = json.loads(result.stdout)["removed"]
    assert str(stray.relative_to(location)) in removed
    assert any(r.startswith("metadata/snap-") for r in removed)  # the expired manifest list
    assert not stray.exists()
    assert all(Path(p).exists() for p in live)  # nothing referenced removed
    assert _rows(settings) == before


def test_compact_expire_orphans_frees_the_replaced_files(tmp_path: Path) -> None:
    settings = lake_settings(tmp_path)
    for start in range(0, 60, 20):
        land(settings, "clicks", range(start, start + 20), {0: start + 20})
    before = _rows(settings)
    table = load_table(catalog(settings), "tide", "clicks")
    compacted = compact(table, 128 * 1024**2)
    assert compacted.rewritten > compacted.written > 0
    expire_snapshots(table, 0.0)
    removed = remove_orphans(table, 0.0)
    parquet = [f for f in removed.removed_files if f.endswith(".parquet")]
    assert len(parquet) == compacted.rewritten  # the replaced files, nothing else
    on_disk = list((tmp_path / "warehouse" / "tide" / "clicks" / "data").rglob("*.parquet"))
    assert len(on_disk) == compacted.written
    assert _rows(settings) == before
