"""`tide lake tables` and `tide lake snapshots T` on a real lake: counts checked against the
Parquet files on disk and the rows DuckDB reads, offsets against what each landing recorded."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from lake.arrow_schema import avro_to_arrow
from lake.tables import ensure_table
from schemas.loader import load
from tests.integration.lake_fixtures import lake_settings, land
from tests.integration.test_bad_input import assert_refused, run
from tests.unit.lake.samples import DAY0, REGIONS
from tide.ops.lake import catalog


@dataclass(frozen=True)
class Lake:
    data_dir: Path
    clicks: tuple[int, int]  # the two snapshots of clicks
    orders: int


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Lake:
    data_dir = tmp_path_factory.mktemp("inventory")
    settings = lake_settings(data_dir)
    first = land(settings, "clicks", range(100), {0: 60, 1: 40})
    second = land(settings, "clicks", range(100, 150), {0: 90, 1: 60})
    orders = land(settings, "orders", range(8), {3: 8})
    ensure_table(catalog(settings), "tide", "empty", avro_to_arrow(load("clicks").schema))
    return Lake(data_dir, (first, second), orders)


def _json(lake: Lake, *args: str) -> list[dict[str, object]]:
    result = run(lake.data_dir, {}, *args, "-o", "json")
    assert result.returncode == 0, result.stderr
    parsed = json.loads(result.stdout)
    assert isinstance(parsed, list)
    return parsed


def test_tables_count_rows_files_bytes_partitions_and_snapshots(lake: Lake) -> None:
    listed = {t["table"]: t for t in _json(lake, "lake", "tables")}
    assert sorted(listed) == ["clicks", "empty", "orders"]
    files = list((lake.data_dir / "warehouse").glob("tide/clicks/data/**/*.parquet"))
    counted = _json(lake, "sql", "SELECT count(*) AS n FROM clicks")[0]["n"]
    days_regions = {((DAY0 + dt.timedelta(days=i % 3)).date(), REGIONS[i % 4]) for i in range(150)}
    snapshots = _json(lake, "lake", "snapshots", "clicks")
    clicks = listed["clicks"]
    assert clicks["rows"] == counted == 150
    assert clicks["files"] == len(files) > 0
    assert clicks["bytes"] == sum(f.stat().st_size for f in files)
    assert clicks["partitions"] == len(days_regions) == 12
    assert clicks["snapshots"] == 2
    assert clicks["last_commit"] == snapshots[-1]["time"]
    assert listed["orders"]["rows"] == 8 and listed["orders"]["snapshots"] == 1
    assert listed["empty"] == {"table": "empty", "rows": 0, "files": 0, "bytes": 0,
                               "partitions": 0, "snapshots": 0, "last_commit": None,
                               "valid_through": None}  # fmt: skip


def test_snapshots_show_what_each_commit_added_and_its_offsets(lake: Lake) -> None:
    snapshots = _json(lake, "lake", "snapshots", "clicks")
    assert [s["snapshot_id"] for s in snapshots] == list(lake.clicks)
    assert [s["operation"] for s in snapshots] == ["append", "append"]
    assert [s["added_rows"] for s in snapshots] == [100, 50]
    assert all(isinstance(s["added_files"], int) and s["added_files"] > 0 for s in snapshots)
    assert [s["offsets"] for s in snapshots] == [
        {"clicks": {"0": 60, "1": 40}},
        {"clicks": {"0": 90, "1": 60}},
    ]
    times = [dt.datetime.fromisoformat(str(s["time"])) for s in snapshots]
    assert times == sorted(times)
    (orders,) = _json(lake, "lake", "snapshots", "orders")
    assert orders["snapshot_id"] == lake.orders
    assert orders["offsets"] == {"orders": {"3": 8}}
    assert _json(lake, "lake", "snapshots", "empty") == []


def test_the_text_listing_shows_whole_ids(lake: Lake) -> None:
    result = run(lake.data_dir, {}, "lake", "snapshots", "clicks")
    assert result.returncode == 0, result.stderr
    assert all(str(i) in result.stdout for i in lake.clicks)
    assert "clicks 0: 60, 1: 40" in " ".join(result.stdout.split())


def test_a_missing_table_is_named(lake: Lake) -> None:
    assert_refused(run(lake.data_dir, {}, "lake", "snapshots", "nope"), "tide.nope does not exist")
