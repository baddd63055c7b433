"""`tide sql` under its statement timeout and row limit, on a real lake (catalog, Parquet,
DuckDB): a runaway statement is stopped with one line and exit 1; a long result is cut at the
limit, said on stderr, without computing the rest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.lake_fixtures import lake_settings, land
from tests.integration.test_bad_input import assert_refused, run

# Hours of work: three copies of clicks (200 rows each) times a billion rows.
RUNAWAY = "SELECT count(*) FROM clicks a, clicks b, clicks c, range(1000000000) d"
ENDLESS = "SELECT range AS i FROM range(1000000000000000)"  # a quadrillion rows, one by one


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    land(lake_settings(tmp_path), "clicks", range(200), {0: 200})
    return tmp_path


def test_a_runaway_cross_join_is_stopped_at_the_timeout(lake: Path) -> None:
    result = run(lake, {}, "sql", "--timeout", "1s", RUNAWAY)
    assert_refused(result, "ran past its timeout of 1 s and was stopped", "--timeout")
    assert result.stdout == ""


def test_the_timeout_setting_applies_and_the_flag_overrides_it(lake: Path) -> None:
    env = {"TIDE_SQL__TIMEOUT_SECONDS": "0.5"}
    assert_refused(run(lake, env, "sql", RUNAWAY), "timeout of 0.5 s")
    quick = run(lake, env, "sql", "--timeout", "2m", "SELECT count(*) AS n FROM clicks", "-o",
                "json")  # fmt: skip
    assert quick.returncode == 0, quick.stderr
    assert json.loads(quick.stdout) == [{"n": 200}]


def test_a_bad_timeout_is_named(lake: Path) -> None:
    assert_refused(run(lake, {}, "sql", "--timeout", "soon", "SELECT 1"), "'soon'", "duration")


def test_a_result_over_the_limit_is_cut_and_the_cut_is_said(lake: Path) -> None:
    ordered = "SELECT * FROM clicks ORDER BY event_id"
    result = run(lake, {}, "sql", "--max-rows", "10", ordered, "-o", "json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    full = json.loads(run(lake, {}, "sql", "--max-rows", "0", ordered, "-o", "json").stdout)
    assert len(full) == 200
    assert rows == full[:10]
    assert "showing the first 10 rows; the result has more — --max-rows N to change" in (
        result.stderr
    )


def test_a_result_at_the_limit_is_whole_and_says_nothing(lake: Path) -> None:
    result = run(lake, {}, "sql", "--max-rows", "200", "SELECT * FROM clicks", "-o", "json")
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)) == 200
    assert "showing" not in result.stderr


def test_the_limit_stops_reading_instead_of_computing_everything(lake: Path) -> None:
    """A quadrillion rows could never be materialized: it answers only if reading stops at
    the limit (the timeout is the guard that turns a regression into a failure)."""
    result = run(lake, {}, "sql", "--max-rows", "5", "--timeout", "60s", ENDLESS, "-o", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [{"i": i} for i in range(5)]
    assert "showing the first 5 rows" in result.stderr


def test_the_row_limit_setting_applies(lake: Path) -> None:
    result = run(lake, {"TIDE_SQL__MAX_ROWS": "7"}, "sql", "SELECT * FROM clicks", "-o", "json")
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)) == 7
    assert "showing the first 7 rows" in result.stderr
