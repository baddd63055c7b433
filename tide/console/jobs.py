"""Jobs: the job log as `tide jobs list` shows it, newest first."""

from __future__ import annotations

from typing import Any

from jobs.store import JobStore
from tide.console.context import ConsoleContext


def job_list(ctx: ConsoleContext, limit: int = 50) -> dict[str, Any]:
    path = ctx.settings.data_dir / "jobs.sqlite"
    if not path.exists():  # nothing submitted yet: no log to create from here
        return {"jobs": []}
    store = JobStore(path)
    try:
        return {"jobs": [job.as_dict() for job in store.list(limit)]}
    finally:
        store.close()
