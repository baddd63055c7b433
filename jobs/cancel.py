"""Cancel a job: ask for it in the job log, send its process SIGTERM, wait for its outcome."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import time

from jobs.errors import JobError, NotCancellableError
from jobs.store import ACTIVE, JobRecord, JobStore

_POLL_S = 0.1  # how often the log is read while waiting for the job's outcome


def cancel(store: JobStore, job_id: int, wait_s: float) -> JobRecord:
    """Cancel job ``job_id`` and return it as it ended (CANCELLED, or whatever it reached first:
    a job that finished meanwhile keeps its outcome). Raises JobError if it is not running, runs
    on another host, or has not stopped within ``wait_s``."""
    job = store.get(job_id)
    if job.state not in ACTIVE:
        raise NotCancellableError(f"job {job_id} is {job.state}: nothing to cancel")
    if job.host is not None and job.host != socket.gethostname():
        raise NotCancellableError(
            f"job {job_id} runs on host {job.host}: cancel it there (this is "
            f"{socket.gethostname()})"
        )
    store.request_cancel(job_id)
    if job.pid is not None:
        with contextlib.suppress(ProcessLookupError):  # gone: reading the log records it
            os.kill(job.pid, signal.SIGTERM)
    deadline = time.monotonic() + wait_s
    while True:
        job = store.get(job_id)
        if job.state not in ACTIVE:
            return job
        if time.monotonic() > deadline:
            raise JobError(
                f"job {job_id} (pid {job.pid}) has not stopped {wait_s:g} s after SIGTERM (a "
                f"commit may be under way): `tide jobs status {job_id}` shows when it does; "
                f"`kill -9 {job.pid}` ends it at once (it then shows CANCELLED)"
            )
        time.sleep(_POLL_S)
