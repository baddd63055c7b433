"""Jobs from the console: submit one (as `tide jobs submit KIND ... --detach` would), cancel
one (as `tide jobs cancel`), read one's log. Submitting runs the CLI itself, detached: the
console holds no second way to run a job."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from jobs.cancel import cancel
from jobs.joblog import log_path
from jobs.store import JobStore
from tide.console.context import ConsoleContext
from tide.console.errors import BadParameterError

# The arguments each kind takes from the console (the CLI's flags, with _ for -).
KINDS: dict[str, set[str]] = {
    "land": {"topic", "table", "follow", "commit_every", "commit_rows"},
    "compact": {"table", "target_size"},
    "expire": {"table", "older_than", "retain_last"},
    "orphans": {"table", "older_than"},
}
LOG_TAIL_BYTES = 64 * 1024
_CANCEL_WAIT_S = 30.0


def submit(ctx: ConsoleContext, body: Any) -> dict[str, Any]:
    """Start the job ``body`` names ({"kind": ..., "args": {...}}) in the background."""
    if not isinstance(body, dict) or not isinstance(body.get("kind"), str):
        raise BadParameterError('the body must be {"kind": "land|compact|expire|orphans", '
                                '"args": {...}}')  # fmt: skip
    kind, args = body["kind"], body.get("args") or {}
    if kind not in KINDS:
        raise BadParameterError(f"kind {kind!r}: one of {', '.join(sorted(KINDS))}")
    if not isinstance(args, dict):
        raise BadParameterError("args must be an object of the job's flags")
    unknown = sorted(set(args) - KINDS[kind])
    if unknown:
        raise BadParameterError(
            f"{kind} takes no {', '.join(unknown)} (it takes {', '.join(sorted(KINDS[kind]))})"
        )
    argv = ["jobs", "submit", kind, *_flags(args), "--detach", "-o", "json"]
    env = {**os.environ, "TIDE_DATA_DIR": str(ctx.settings.data_dir)}
    done = subprocess.run(  # noqa: S603 - our own CLI, flags checked above, no shell
        [sys.executable, "-m", "tide", *argv], env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        raise BadParameterError(lines[-1].removeprefix("error: ") if lines else "refused")
    started: dict[str, Any] = json.loads(done.stdout)
    return started


def cancel_job(ctx: ConsoleContext, job_id: int) -> dict[str, Any]:
    store = _store(ctx)
    try:
        return cancel(store, job_id, _CANCEL_WAIT_S).as_dict()
    finally:
        store.close()


def job_log(ctx: ConsoleContext, job_id: int) -> dict[str, Any]:
    """The last LOG_TAIL_BYTES of the job's log."""
    store = _store(ctx)
    try:
        job = store.get(job_id)  # an unknown id: 404
    finally:
        store.close()
    path = log_path(ctx.settings.data_dir / "jobs.sqlite", job_id)
    if not path.exists():
        return {"job_id": job_id, "state": job.state, "log": "", "truncated": False}
    size = path.stat().st_size
    with path.open("rb") as f:
        f.seek(max(0, size - LOG_TAIL_BYTES))
        text = f.read().decode("utf-8", "replace")
    return {"job_id": job_id, "state": job.state, "log": text, "truncated": size > LOG_TAIL_BYTES}


def _store(ctx: ConsoleContext) -> JobStore:
    return JobStore(ctx.settings.data_dir / "jobs.sqlite")


def _flags(args: dict[str, Any]) -> list[str]:
    flags: list[str] = []
    for name, value in args.items():
        flag = "--" + name.replace("_", "-")
        if isinstance(value, bool):
            flags += [flag] if value else []
        elif isinstance(value, int | float | str) and str(value).strip():
            flags.append(f"{flag}={value}")  # one token: a value is never read as a flag
        elif value is not None:
            raise BadParameterError(f"{name}: a string, number or boolean")
    return flags
