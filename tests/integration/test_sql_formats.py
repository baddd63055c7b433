"""`tide sql --format table|json|csv` and `--out F.parquet` on a real lake: what is written
parses back to the engine's own result, and writing a file opens the sandbox to nothing."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from lake.errors import QueryRefusedError
from lake.query import QueryEngine
from tests.integration.lake_fixtures import lake_settings, land
from tests.integration.test_bad_input import assert_refused, run
from tide.ops.lake import query_engine

QUERY = "SELECT event_id, event_time, user_id, page, referrer, region FROM clicks ORDER BY event_id"
NESTED = "SELECT order_id, payload, event_time FROM orders ORDER BY event_id"


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    settings = lake_settings(tmp_path / "data")
    land(settings, "clicks", range(200), {0: 200})
    land(settings, "orders", range(12), {0: 12})
    return tmp_path / "data"


@pytest.fixture
def engine(lake: Path) -> Iterator[QueryEngine]:
    engine = query_engine(lake_settings(lake))
    yield engine
    engine.close()


def _ok(lake: Path, *args: str) -> str:
    result = run(lake, {}, "sql", *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_json_parses_back_to_the_result(lake: Path, engine: QueryEngine) -> None:
    rows = json.loads(_ok(lake, "--format", "json", QUERY))
    for row in rows:
        row["event_time"] = datetime.fromisoformat(row["event_time"])
    assert rows == engine.query(QUERY).to_pylist()
    assert len(rows) == 200


def test_csv_parses_back_to_the_result(lake: Path, engine: QueryEngine) -> None:
    parsed = list(csv.DictReader(io.StringIO(_ok(lake, "--format", "csv", QUERY))))
    expected = engine.query(QUERY).to_pylist()
    assert len(parsed) == len(expected) == 200
    for got, row in zip(parsed, expected, strict=True):
        assert datetime.fromisoformat(got.pop("event_time")) == row.pop("event_time")
        assert got == {k: "" if v is None else v for k, v in row.items()}


def test_csv_writes_nested_values_as_json(lake: Path, engine: QueryEngine) -> None:
    parsed = list(csv.DictReader(io.StringIO(_ok(lake, "-o", "csv", NESTED))))
    expected = engine.query(NESTED).to_pylist()
    assert [json.loads(r["payload"]) for r in parsed] == [
        json.loads(json.dumps(r["payload"])) for r in expected
    ]


def test_table_is_for_people(lake: Path) -> None:
    out = _ok(lake, "--format", "table", "SELECT count(*) AS clicks FROM clicks")
    assert "clicks" in out and "200" in out and "┃" in out


def test_out_writes_the_whole_result_to_parquet(
    lake: Path, engine: QueryEngine, tmp_path: Path
) -> None:
    out = tmp_path / "result.parquet"
    printed = _ok(lake, "--max-rows", "5", "--out", str(out), "-o", "json", NESTED)
    assert json.loads(printed) == {"rows": 12, "file": str(out)}
    assert pq.read_table(out).equals(engine.query(NESTED))  # whole, not cut
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "result.parquet"]  # no .partial


def test_out_refuses_the_warehouse_and_other_formats(lake: Path) -> None:
    inside = lake / "warehouse" / "x.parquet"
    assert_refused(run(lake, {}, "sql", "--out", str(inside), "SELECT 1"), "inside the lake")
    assert not inside.exists()
    assert_refused(run(lake, {}, "sql", "--out", str(lake / "x.csv"), "SELECT 1"), "*.parquet")


def test_a_timed_out_export_leaves_no_file(lake: Path, tmp_path: Path) -> None:
    out = tmp_path / "never.parquet"
    runaway = "SELECT a.event_id FROM clicks a, clicks b, clicks c, range(1000000000) d"
    result = run(lake, {}, "sql", "--timeout", "1s", "--out", str(out), runaway)
    assert_refused(result, "timeout of 1 s", "not written")
    assert [p.name for p in tmp_path.iterdir()] == ["data"]


def test_an_export_opens_the_sandbox_to_nothing(engine: QueryEngine, tmp_path: Path) -> None:
    assert engine.export(QUERY, tmp_path / "a.parquet") == 200
    copied = tmp_path / "copied.csv"
    with pytest.raises(QueryRefusedError, match="not COPY"):
        engine.query(f"COPY clicks TO '{copied}'")
    with pytest.raises(QueryRefusedError, match="Permission Error"):
        engine.query(f"SELECT * FROM read_parquet('{tmp_path / 'a.parquet'}')")  # noqa: S608
    with pytest.raises(QueryRefusedError, match="Permission Error"):
        engine.query("SELECT * FROM read_csv('/etc/passwd')")
    assert not copied.exists()
