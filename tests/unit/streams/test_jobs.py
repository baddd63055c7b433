"""Declaring jobs: the shipped ones, TOML files, mistakes named, and the output schemas."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from schemas.loader import load
from streams.errors import JobDefinitionError, UnknownJobError
from streams.jobs.base import AggKind, Aggregation, Timing, WindowJob
from streams.jobs.catalog import available_jobs, select
from streams.jobs.output_schema import output_schema, output_schema_str
from streams.jobs.shipped import shipped_jobs

TIMING = Timing(60_000, 10_000)


def test_shipped_output_schemas_are_the_contracts_in_schemas() -> None:
    for job in shipped_jobs(TIMING).values():
        assert json.loads(output_schema_str(job)) == load(job.output_topic).schema, job.name


def test_a_jobs_file_declares_a_job(tmp_path: Path) -> None:
    path = tmp_path / "jobs.toml"
    path.write_text("""
[[job]]
name = "clicks_per_device"
source = "clicks"
time = "event_time"
key = "device"
window_seconds = 30
early_every_seconds = 5
aggregations = [
  { name = "clicks", kind = "count" },
  { name = "users", kind = "distinct", field = "user_id" },
]
""")
    jobs = available_jobs(TIMING, path)
    job = jobs["clicks_per_device"]
    assert job.timing == Timing(30_000, 10_000, 0)
    assert job.aggregations[1] == Aggregation("users", AggKind.DISTINCT, "user_id")
    assert job.early_every_s == 5 and job.output_topic == "clicks_per_device"
    assert "clicks_per_minute" in jobs  # the shipped ones are still there
    names = [f["name"] for f in output_schema(job)["fields"]]
    assert names == ["device", "window_start", "window_end", "clicks", "users", "emit"]


HEAD = '[[job]]\nname="x"\nsource="c"\ntime="t"\nkey="k"\n'


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[[job]]\nname = "x"\n', "missing 'source'"),
        (
            HEAD + 'aggregations=[{name="n", kind="median"}]',
            "'median' is not a valid AggKind",
        ),
        (
            HEAD + 'colour="red"\naggregations=[]',
            "unknown keys ['colour']",
        ),
        (
            HEAD + 'aggregations=[{name="s", kind="sum"}]',
            "sum needs a field",
        ),
        (
            HEAD.replace('"x"', '"Bad Name"') + 'aggregations=[{name="n", kind="count"}]',
            "use lower_snake_case",
        ),
        (
            HEAD + 'window_seconds="1m"\naggregations=[]',
            "window_seconds must be a number",
        ),
        ("not toml [", "jobs file"),
    ],
)
def test_mistakes_in_a_jobs_file_are_named(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "jobs.toml"
    path.write_text(body)
    with pytest.raises(JobDefinitionError, match=message.replace("[", r"\[").replace("]", r"\]")):
        available_jobs(TIMING, path)


def test_output_field_names_may_not_clash() -> None:
    with pytest.raises(JobDefinitionError, match="clash"):
        WindowJob(
            "x",
            "clicks",
            "event_time",
            "page",
            (Aggregation("window_start", AggKind.COUNT),),
            TIMING,
        )


def test_selecting_jobs_by_name() -> None:
    jobs = shipped_jobs(TIMING)
    assert [j.name for j in select(jobs, [])] == list(jobs)
    assert [j.name for j in select(jobs, ["revenue_per_region"])] == ["revenue_per_region"]
    with pytest.raises(UnknownJobError, match="known: clicks_per_minute"):
        select(jobs, ["nope"])
