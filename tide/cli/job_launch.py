"""How a submitted job runs: in the foreground, detached (``--detach``: a background process
writing to the job's log file), or on a schedule (``--every 10m``: once per interval until
SIGTERM or Ctrl-C, each run its own job). Cron, a Kubernetes CronJob or Dagster calling the CLI
is the way to run jobs on several machines; this is for one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import typer

from jobs.joblog import log_path
from jobs.liveness import process
from jobs.runner import run_logged
from jobs.store import JobStore
from tide.cli.context import settings
from tide.cli.duration import parse_duration
from tide.cli.output import OutputFormat, emit_object, errors
from tide.errors import TideError

JOB_ID_ENV = "TIDE_JOB_ID"  # set for a detached job's process: the queued job it runs

DETACH = typer.Option(
    False, "--detach", help="Run in the background; print the job id (`tide jobs logs ID`)."
)
EVERY = typer.Option(
    None, "--every", help="Run once per interval (10m, 1h) until SIGTERM or Ctrl-C."
)


@dataclass(frozen=True)
class Launch:
    detach: bool = False
    every: str | None = None
    output: OutputFormat = OutputFormat.text


def store() -> JobStore:
    return JobStore(settings().data_dir / "jobs.sqlite")


def launch(
    kind: str,
    args: dict[str, Any],
    work: Callable[[], Any],
    show: Callable[[Any], None],
    how: Launch,
) -> None:
    """Run ``work`` as job ``kind`` the way ``how`` says; ``show`` prints each run's result."""
    every_s = parse_duration(how.every, "--every") if how.every else None
    if every_s is not None and every_s <= 0:
        raise TideError("--every must be more than 0s")
    if every_s is None:
        if how.detach:
            _detach(kind, args, how.output)
        else:
            show(run(kind, args, work))
        return
    schedule = {"job": kind, **args, "every": how.every}  # the schedule is a job of its own
    if how.detach:
        _detach("schedule", schedule, how.output)
    else:
        run("schedule", schedule, lambda: _schedule(kind, args, work, show, every_s))


@dataclass
class ScheduleResult:
    job: str
    runs: int = 0
    failed: int = 0


def _schedule(
    kind: str, args: dict[str, Any], work: Callable[[], Any], show: Callable[[Any], None],
    every_s: float,
) -> ScheduleResult:  # fmt: skip
    """Run ``work`` as a job of its own once per ``every_s`` until SIGTERM or Ctrl-C (a run
    under way finishes first). The schedule is a job too: `tide jobs cancel` stops it."""
    result = ScheduleResult(kind)
    with stop_on_signals() as stop:
        first = time.monotonic()
        while True:
            result.runs += 1
            try:
                show(run(kind, args, work))
            except TideError as e:  # this run failed; the schedule goes on, like cron's
                result.failed += 1
                errors.print(f"[red]error:[/red] {e}", highlight=False, soft_wrap=True)
            ticks = int((time.monotonic() - first) // every_s) + 1  # a tick missed is skipped
            if stop.wait(max(0.0, first + ticks * every_s - time.monotonic())):
                return result


def run(kind: str, args: dict[str, Any], work: Callable[[], Any]) -> Any:
    """Run ``work`` now, in this process, as a logged job (the queued one if detached here)."""
    job_store = store()
    queued = os.environ.pop(JOB_ID_ENV, None)  # only the first run of a schedule claims it
    path = settings().data_dir / "jobs.sqlite"
    try:
        return run_logged(
            job_store, kind, args, work,
            job_id=int(queued) if queued else None,
            log_file=lambda job_id: log_path(path, job_id),
            detached=queued is not None,
        )  # fmt: skip
    finally:
        job_store.close()


def _detach(kind: str, args: dict[str, Any], output: OutputFormat) -> None:
    """Queue the job, start this same command without --detach in its own session, its output
    going to the job's log file; print the job's id."""
    job_store = store()
    job_id = job_store.queue(kind, {k: v for k, v in args.items() if v is not None})
    path = log_path(settings().data_dir / "jobs.sqlite", job_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    argv = [a for a in sys.argv[1:] if a != "--detach"]
    with path.open("ab") as out:
        child = subprocess.Popen(  # noqa: S603 - our own argv again, no shell
            [sys.executable, "-m", "tide", *argv],
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            env={**os.environ, JOB_ID_ENV: str(job_id), "TIDE_LOG_LEVEL": _log_level()},
            start_new_session=True,
        )  # fmt: skip
    job_store.assign(job_id, process(child.pid))
    job_store.close()
    if output is OutputFormat.json:
        emit_object({"job_id": job_id, "pid": child.pid, "log": str(path)}, output)
    else:
        typer.echo(
            f"job {job_id} submitted ({kind}, pid {child.pid}, detached): "
            f"`tide jobs status {job_id}`, `tide jobs logs {job_id} --follow`, "
            f"`tide jobs cancel {job_id}`"
        )


def _log_level() -> str:
    """A detached job logs at INFO at least: its log file is all there is to read."""
    wanted = os.environ.get("TIDE_LOG_LEVEL", "INFO").upper()
    return "DEBUG" if wanted == "DEBUG" else "INFO"


@contextmanager
def stop_on_signals(enabled: bool = True) -> Iterator[threading.Event]:
    """An event set by SIGTERM or SIGINT while inside, if ``enabled`` (the previous handlers
    restored after)."""
    stop = threading.Event()
    signals = (signal.SIGTERM, signal.SIGINT) if enabled else ()
    previous = {sig: signal.signal(sig, lambda _n, _f: stop.set()) for sig in signals}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
