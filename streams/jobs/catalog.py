"""The jobs a worker can run: the shipped ones and those of the jobs file, by name."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from streams.errors import JobDefinitionError, UnknownJobError
from streams.jobs.base import Timing, WindowJob
from streams.jobs.files import load_jobs_file
from streams.jobs.shipped import shipped_jobs


def available_jobs(timing: Timing, jobs_file: Path | None = None) -> dict[str, WindowJob]:
    jobs = shipped_jobs(timing)
    if jobs_file is not None:
        for name, job in load_jobs_file(jobs_file, timing).items():
            if name in jobs:
                raise JobDefinitionError(f"{jobs_file}: job {name!r} is already a shipped job")
            jobs[name] = job
    return jobs


def select(jobs: dict[str, WindowJob], names: Sequence[str]) -> tuple[WindowJob, ...]:
    """The named jobs, in the order given (all of them when no name is given)."""
    if not names:
        return tuple(jobs.values())
    unknown = [n for n in names if n not in jobs]
    if unknown:
        raise UnknownJobError(f"unknown job(s) {unknown} (known: {', '.join(jobs)})")
    return tuple(dict.fromkeys(jobs[n] for n in names))
