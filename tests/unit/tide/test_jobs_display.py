"""How `tide jobs list|status` show a job: ISO times, a duration, arguments as flags."""

from __future__ import annotations

from datetime import datetime

from jobs.store import JobRecord
from tide.cli.jobs_cmd import duration, flags, iso, outcome


def job(finished_at: float | None, **kw: object) -> JobRecord:
    base = {
        "id": 1,
        "kind": "land",
        "args": {"topic": "clicks", "table": None},
        "state": "SUCCEEDED",
        "submitted_at": 1_796_151_853.67,
        "finished_at": finished_at,
        "result": {"table": "clicks", "rows": 500, "offsets": {"0": 10}},
        "error": None,
    }
    return JobRecord(**{**base, **kw})  # type: ignore[arg-type]


def test_times_are_iso_to_the_second_in_local_time() -> None:
    shown = iso(1_796_151_853.67)
    assert shown is not None
    assert datetime.fromisoformat(shown).timestamp() == 1_796_151_853
    assert iso(None) is None


def test_arguments_read_as_the_flags_that_submit_the_job_again() -> None:
    assert flags({"topic": "clicks", "table": None, "max_rows": 5}) == "--topic clicks --max-rows 5"


def test_duration_and_outcome() -> None:
    assert duration(job(1_796_151_855.17)) == "1.5 s"
    assert duration(job(1_796_151_853.67 + 125)) == "2 min 5 s"
    assert duration(job(None, state="RUNNING")) is None
    assert outcome(job(None)) == "table=clicks, rows=500"
    assert outcome(job(None, error="boom", result=None)) == "boom"
