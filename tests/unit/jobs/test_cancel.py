"""Cancelling a job: a real job process gets SIGTERM. A job that does not handle it is
interrupted and ends CANCELLED (exit 143); one that does (a continuous land) returns and ends
CANCELLED with its result; a queued job's process killed before it starts ends CANCELLED too;
a finished job cannot be cancelled."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from jobs.cancel import cancel
from jobs.errors import JobError
from jobs.joblog import log_path
from jobs.liveness import process
from jobs.store import JobStore

# A job process: run_logged around work that blocks until SIGTERM (``handles``: the work turns
# SIGTERM into a stop and returns a result, like `land --follow`).
_JOB = """
import signal, sys, threading
from dataclasses import dataclass
from pathlib import Path
from jobs.joblog import log_path
from jobs.runner import run_logged
from jobs.store import JobStore

@dataclass
class Result:
    rows: int

def work():
    stop = threading.Event()
    if {handles}:
        signal.signal(signal.SIGTERM, lambda _n, _f: stop.set())
    print("ready", flush=True)
    stop.wait()
    return Result(rows=7)

path = Path(sys.argv[1])
run_logged(JobStore(path), "land", {{}}, work, log_file=lambda i: log_path(path, i))
"""


def _start(tmp_path: Path, handles: bool) -> tuple[subprocess.Popen[str], JobStore, int]:
    path = tmp_path / "jobs.sqlite"
    script = textwrap.dedent(_JOB.format(handles=handles))
    job = subprocess.Popen(
        [sys.executable, "-c", script, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert job.stdout is not None and job.stdout.readline() == "ready\n"  # RUNNING, blocked
    store = JobStore(path)
    (record,) = store.list()
    assert record.state == "RUNNING" and record.pid == job.pid
    return job, store, record.id


def test_a_job_that_ignores_sigterm_is_interrupted_and_cancelled(tmp_path: Path) -> None:
    job, store, job_id = _start(tmp_path, handles=False)
    ended = cancel(store, job_id, wait_s=30)
    assert job.communicate(timeout=30)[1] is None and job.returncode == 143
    assert ended.state == "CANCELLED" and ended.result is None and ended.finished_at
    assert "job cancelled" in log_path(tmp_path / "jobs.sqlite", job_id).read_text()
    with pytest.raises(JobError, match=f"job {job_id} is CANCELLED: nothing to cancel"):
        cancel(store, job_id, wait_s=1)


def test_a_job_that_stops_on_sigterm_keeps_its_result(tmp_path: Path) -> None:
    job, store, job_id = _start(tmp_path, handles=True)
    ended = cancel(store, job_id, wait_s=30)
    job.communicate(timeout=30)
    assert job.returncode == 0
    assert ended.state == "CANCELLED" and ended.result == {"job_id": job_id, "rows": 7}
    lines = log_path(tmp_path / "jobs.sqlite", job_id).read_text().splitlines()
    assert [line.split()[3:5] for line in lines] == [["job", "started"], ["job", "ended"]]


def test_a_queued_job_whose_process_dies_on_sigterm_is_cancelled(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.sqlite")
    job_id = store.queue("compact", {"table": "t"})
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    store.assign(job_id, process(sleeper.pid))
    assert store.get(job_id).state == "QUEUED"
    ended = cancel(store, job_id, wait_s=30)  # the sleeper is a zombie now: gone
    assert ended.state == "CANCELLED" and ended.error is not None and "SIGTERM" in ended.error
    assert sleeper.wait(30) == -15


def test_a_queued_job_whose_process_died_is_lost(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.sqlite")
    job_id = store.queue("compact", {"table": "t"})
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    store.assign(job_id, process(child.pid))
    child.wait()
    assert store.get(job_id).state == "LOST"
