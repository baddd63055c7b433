"""`tide jobs submit land --format parquet`: plain hive-partitioned Parquet files named by topic,
partition and first offset, exactly once without a catalog — a re-run with nothing new writes
nothing, new events land in new files, and what a crashed run left past the committed offsets
is removed before landing goes on. Read back with DuckDB's read_parquet."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from tests.integration.maintenance_fixtures import Landed


def parquet_ids(root: Path) -> list[str]:
    """Every landed event id, as DuckDB reads the hive-partitioned files."""
    glob = str(root / "**" / "*.parquet")
    rows = duckdb.sql(
        f"SELECT event_id FROM read_parquet('{glob}', hive_partitioning = true, "  # noqa: S608
        "union_by_name = true)"
    ).fetchall()
    return [r[0] for r in rows]


def _land(landed: Landed) -> dict[str, object]:
    out = landed.tide("jobs", "submit", "land", "--topic", landed.topic, "--format", "parquet",
                      "-o", "json").stdout  # fmt: skip
    result: dict[str, object] = json.loads(out)
    return result


def test_parquet_landing_is_exactly_once_and_named_by_offsets(landed: Landed) -> None:
    root = landed.tmp_path / "warehouse" / "parquet" / landed.topic
    landed.produce(range(60))  # partitions 0 and 1, offsets 0..29 each
    first = _land(landed)
    assert first["rows_landed"] == 60
    files = sorted(p.relative_to(root) for p in root.rglob("*.parquet"))
    assert first["bytes_out"] == sum((root / p).stat().st_size for p in files)
    assert files and all(p.parts[0].startswith("event_time_day=") for p in files)
    assert all(p.parts[1].startswith("region=") for p in files)
    assert {p.name for p in files} == {f"{landed.topic}+0+0.parquet", f"{landed.topic}+1+0.parquet"}
    state = json.loads((root / "_tide_offsets.json").read_text())
    assert state["offsets"] == {"0": 30, "1": 30}
    assert sorted(parquet_ids(root)) == sorted(landed.sent)

    assert _land(landed)["rows_landed"] == 0  # nothing new: nothing written
    assert sorted(p.relative_to(root) for p in root.rglob("*.parquet")) == files

    # What a run killed mid-commit leaves: a file of the next batch, its offsets not committed.
    folder = root / files[0].parent
    stray = folder / f"{landed.topic}+0+30.parquet"
    stray.write_bytes((root / files[0]).read_bytes())
    landed.produce(range(60, 80))
    assert _land(landed)["rows_landed"] == 20
    ids = parquet_ids(root)
    assert len(ids) == 80 and set(ids) == landed.sent  # the stray went, nothing twice
    names = {p.name for p in root.rglob("*.parquet")}
    assert f"{landed.topic}+0+30.parquet" in names and f"{landed.topic}+1+30.parquet" in names
