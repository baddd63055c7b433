"""`tide sql --as-of SNAPSHOT_ID|TIME` on a real lake: the tables a statement reads are read
as they were, after later landings appended more; a point before the history is named."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from lake.tables import load_table
from lake.time_travel import show_time
from tests.integration.lake_fixtures import lake_settings, land
from tests.integration.test_bad_input import assert_refused, run
from tide.ops.lake import catalog

COUNT = "SELECT count(*) AS n FROM clicks"


@dataclass(frozen=True)
class History:
    data_dir: Path
    clicks_first: int  # 100 clicks
    orders_first: int  # then 12 orders
    clicks_second: int  # then 50 more clicks


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> History:
    data_dir = tmp_path_factory.mktemp("time-travel")
    settings = lake_settings(data_dir)
    first = land(settings, "clicks", range(100), {0: 100})
    orders = land(settings, "orders", range(12), {0: 12})
    second = land(settings, "clicks", range(100, 150), {0: 150})
    return History(data_dir, first, orders, second)


def _json(history: History, *args: str) -> object:
    result = run(history.data_dir, {}, "sql", "-o", "json", *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _commit_time(history: History, table: str, snapshot_id: int) -> str:
    settings = lake_settings(history.data_dir)
    snapshot = load_table(catalog(settings), "tide", table).snapshot_by_id(snapshot_id)
    assert snapshot is not None
    return show_time(snapshot.timestamp_ms)


def test_a_snapshot_id_reads_the_old_rows(history: History) -> None:
    assert _json(history, COUNT) == [{"n": 150}]
    old = _json(history, "--as-of", str(history.clicks_first), "SELECT user_id, page, event_time "
                "FROM clicks ORDER BY event_id")  # fmt: skip
    now = _json(history, "SELECT user_id, page, event_time FROM clicks ORDER BY event_id")
    assert isinstance(old, list) and isinstance(now, list)
    assert old == now[:100]
    assert _json(history, "--as-of", str(history.clicks_second), COUNT) == [{"n": 150}]


def test_a_time_reads_the_snapshot_current_then(history: History) -> None:
    first = _commit_time(history, "clicks", history.clicks_first)
    assert _json(history, "--as-of", first, COUNT) == [{"n": 100}]
    orders_time = _commit_time(history, "orders", history.orders_first)
    assert _json(history, "--as-of", orders_time, COUNT) == [{"n": 100}]


def test_a_snapshot_of_one_table_reads_the_others_as_they_were_then(history: History) -> None:
    joined = "SELECT (SELECT count(*) FROM clicks) AS clicks, (SELECT count(*) FROM orders) AS o"
    assert _json(history, "--as-of", str(history.orders_first), joined) == [
        {"clicks": 100, "o": 12}
    ]
    refused = run(history.data_dir, {}, "sql", "--as-of", str(history.clicks_first), joined)
    first_orders = f"its first, {history.orders_first}"
    assert_refused(refused, "lake table orders has no snapshot at or before",
                   f"(snapshot {history.clicks_first})", first_orders)  # fmt: skip


def test_the_export_reads_the_old_rows_too(history: History, tmp_path: Path) -> None:
    out = tmp_path / "old.parquet"
    args = ("--as-of", str(history.clicks_first), "--out", str(out), "SELECT * FROM clicks")
    assert _json(history, *args) == {"rows": 100, "file": str(out)}
    assert pq.read_table(out).num_rows == 100


def test_an_unknown_snapshot_id_is_named(history: History) -> None:
    result = run(history.data_dir, {}, "sql", "--as-of", "12345", COUNT)
    assert_refused(result, "no lake table has a snapshot with id 12345")


def test_a_time_before_the_first_snapshot_is_named(history: History) -> None:
    result = run(history.data_dir, {}, "sql", "--as-of", "2001-02-03T04:05:06Z", COUNT)
    assert_refused(result, "lake table clicks has no snapshot at or before 2001-02-03T04:05:06",
                   f"its first, {history.clicks_first}")  # fmt: skip


def test_a_point_that_is_neither_is_named(history: History) -> None:
    assert_refused(run(history.data_dir, {}, "sql", "--as-of", "last week", COUNT),
                   "'last week' is neither a snapshot id nor an ISO 8601 time")  # fmt: skip
