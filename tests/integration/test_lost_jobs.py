"""A job whose process is killed with -9 records no outcome: `tide jobs list` and `status` show
it LOST, not RUNNING forever. The job is a real `tide jobs submit land --follow` subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from jobs.store import JobStore
from tests.integration.maintenance_fixtures import Landed


def test_a_killed_job_is_lost(tmp_path: Path, landed: Landed) -> None:
    landed.produce(range(5))
    command = [sys.executable, "-m", "tide", "jobs", "submit", "land", "--topic", landed.topic,
               "--follow"]  # fmt: skip
    env = {**os.environ, "TIDE_DATA_DIR": str(tmp_path), **landed.env}
    job = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        store_path = tmp_path / "jobs.sqlite"
        deadline = time.monotonic() + 60
        running: list[Any] = []
        while not running:  # until the job has recorded itself (polling the log, no sleep)
            assert time.monotonic() < deadline and job.poll() is None, job.communicate()
            if store_path.exists():
                store = JobStore(store_path)
                running = [j for j in store.list() if j.kind == "land"]
                store.close()
        (record,) = running
        assert record.state == "RUNNING" and record.pid == job.pid  # alive: not LOST
    finally:
        job.kill()  # SIGKILL: no outcome recorded
        job.communicate(timeout=30)
    listed = json.loads(landed.tide("jobs", "list", "-o", "json").stdout)
    assert [(j["id"], j["state"]) for j in listed] == [(record.id, "LOST")]
    assert f"process {job.pid}" in listed[0]["result"]
    store = JobStore(store_path)  # what `tide jobs status ID` shows
    status = store.get(record.id)
    store.close()
    assert status.state == "LOST" and status.pid == job.pid and status.finished_at is None
