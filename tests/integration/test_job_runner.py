"""The job runner as a user drives it, on the real broker and lake: a continuous land started
with --detach lands in the background (its log readable with `tide jobs logs`) until
`tide jobs cancel` stops it, having committed what it read; a maintenance job scheduled
with --every runs again and again, each run a job of its own, until its schedule is
cancelled."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from jobs.store import JobRecord, JobStore
from tests.integration.maintenance_fixtures import Landed
from tests.integration.test_bad_input import run
from tide.errors import TideError
from tide.stack.ports import free_port


def wait_for(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)  # polling interval of the condition


def _rows(landed: Landed) -> int:
    try:
        return len(landed.event_ids())
    except TideError:  # the table is not there before the first commit
        return 0


def _metrics(port: int) -> dict[tuple[str, str | None], float]:
    """The land job's /metrics: (sample name, its partition label) -> value."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
        text = answer.read().decode()
    return {
        (sample.name, sample.labels.get("partition")): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _json(landed: Landed, *args: str) -> Any:
    return json.loads(landed.tide(*args, "-o", "json").stdout)


def test_a_detached_continuous_land_runs_until_cancelled(landed: Landed) -> None:
    landed.produce(range(20))
    port = free_port()
    submitted = _json(landed, "jobs", "submit", "land", "--topic", landed.topic, "--follow",
                      "--commit-every", "300ms", "--metrics-port", str(port),
                      "--detach")  # fmt: skip
    job_id = submitted["job_id"]
    wait_for(lambda: _rows(landed) == 20, 90, "the detached job to land 20 events")
    landed.produce(range(20, 30))  # it goes on landing what arrives
    wait_for(lambda: _rows(landed) == 30, 60, "the detached job to land 10 more")
    lag = ("tide_land_lag_records", "1")
    wait_for(lambda: _metrics(port).get(lag) == 0, 30, "the job's metrics to show no lag")
    metrics = _metrics(port)
    assert metrics[("tide_land_rows_total", None)] == 30
    assert metrics[("tide_land_records_read_total", None)] == 30
    assert metrics[("tide_land_lag_records", "0")] == 0
    assert metrics[("tide_land_commits_total", None)] >= 1
    through = metrics[("tide_land_valid_through_seconds", None)]  # the sample clicks' times
    assert abs(metrics[("tide_land_freshness_seconds", None)] - (time.time() - through)) < 60
    status = _json(landed, "jobs", "status", str(job_id))
    assert status["state"] == "RUNNING" and status["pid"] == submitted["pid"]

    ended = _json(landed, "jobs", "cancel", str(job_id))
    assert ended["state"] == "CANCELLED" and ended["result"]["rows"] == 30
    ids = landed.event_ids()
    assert len(ids) == 30 and set(ids) == landed.sent  # nothing lost or doubled by the cancel
    log = landed.tide("jobs", "logs", str(job_id)).stdout
    assert "job started" in log and "job ended" in log and '"rows_landed": 30' in log
    again = run(landed.tmp_path, landed.env, "jobs", "cancel", str(job_id))
    assert again.returncode == 1 and f"job {job_id} is CANCELLED: nothing to cancel" in again.stderr


def test_a_scheduled_job_runs_every_interval_until_its_schedule_is_cancelled(
    landed: Landed,
) -> None:
    landed.land(range(10))
    landed.land(range(10, 20))  # two snapshots: the first run expires one, later runs none
    submitted = _json(landed, "jobs", "submit", "expire", "--table", landed.topic,
                      "--older-than", "0s", "--every", "1s", "--detach")  # fmt: skip
    schedule = submitted["job_id"]

    def runs() -> list[JobRecord]:  # the job log as `tide jobs list` reads it, oldest first
        store = JobStore(landed.tmp_path / "jobs.sqlite")
        try:
            return [j for j in reversed(store.list()) if j.kind == "expire"]
        finally:
            store.close()

    wait_for(lambda: sum(j.state == "SUCCEEDED" for j in runs()) >= 2, 60, "two runs")
    ended = _json(landed, "jobs", "cancel", str(schedule))
    assert ended["state"] == "CANCELLED" and ended["kind"] == "schedule"
    assert ended["result"]["runs"] >= 2 and ended["result"]["failed"] == 0
    done = runs()
    assert len(done) == ended["result"]["runs"]
    assert all(j.state == "SUCCEEDED" for j in done)  # the run under way finished first
    expired = [j.result["expired"] if j.result else None for j in done]
    assert expired == [1] + [0] * (len(done) - 1)
    assert len(landed.table().snapshots()) == 1 and _rows(landed) == 20
