"""The job log marks a RUNNING job whose process is gone as LOST, and only such a job."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from jobs.liveness import Runner, is_gone, this_process
from jobs.store import JobStore


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # exited and reaped
    return child.pid


def test_a_job_of_a_gone_process_is_lost_others_are_not(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.sqlite")
    dead, alive, other_host, finished = (store.start("land", {}) for _ in range(4))
    store.finish(finished, {"rows": 1})
    db = sqlite3.connect(tmp_path / "jobs.sqlite")
    with db:
        db.execute("UPDATE jobs SET pid=? WHERE id IN (?, ?)", (_dead_pid(), dead, finished))
        db.execute("UPDATE jobs SET host='elsewhere', pid=? WHERE id=?", (_dead_pid(), other_host))
    states = {j.id: j.state for j in store.list()}
    assert states == {dead: "LOST", alive: "RUNNING", other_host: "RUNNING", finished: "SUCCEEDED"}
    lost = store.get(dead)
    assert lost.error is not None and "ended without recording an outcome" in lost.error
    assert lost.finished_at is None


def test_a_reused_pid_does_not_keep_a_job_alive() -> None:
    me = this_process()
    assert not is_gone(me)
    assert is_gone(Runner(me.pid, me.host, "1")) == (me.started is not None)


def test_a_log_written_before_pids_were_kept_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE jobs (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, "
               "args TEXT NOT NULL, state TEXT NOT NULL, submitted_at REAL NOT NULL, "
               "finished_at REAL, result TEXT, error TEXT)")  # fmt: skip
    db.execute("INSERT INTO jobs (kind, args, state, submitted_at) VALUES ('land', ?, "
               "'RUNNING', 1.0)", (json.dumps({}),))  # fmt: skip
    db.commit()
    db.close()
    store = JobStore(path)
    (old,) = store.list()
    assert old.state == "RUNNING" and old.pid is None  # unknown process: left as it was
    new = store.start("expire", {})
    assert store.get(new).pid == this_process().pid
