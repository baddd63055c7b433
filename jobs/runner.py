"""Run a job and keep its state, result and log in the job log.

A job ends SUCCEEDED, FAILED or CANCELLED. ``tide jobs cancel`` asks for the cancel in the log,
then sends SIGTERM: a job that handles SIGTERM itself (a continuous land commits what it read
and returns) ends CANCELLED with its result; any other job is interrupted where it is (every
commit is atomic, so nothing half-done stays) and ends CANCELLED.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

from jobs.joblog import capture
from jobs.store import JobStore
from tide.errors import TideError

log = logging.getLogger(__name__)


class JobCancelled(SystemExit):
    """SIGTERM reached a job that does not stop by itself: the process exits 143 (128 + 15)."""

    def __init__(self) -> None:
        super().__init__(143)


def run_logged(
    store: JobStore,
    kind: str,
    args: dict[str, Any],
    work: Callable[[], Any],
    *,
    job_id: int | None = None,
    log_file: Callable[[int], Path] | None = None,
    detached: bool = False,
) -> Any:
    """Record the job (or claim ``job_id``, queued by the process that detached it), run
    ``work`` with its lines going to ``log_file(id)``, record its result or its error (which is
    re-raised)."""
    if job_id is None:
        job_id = store.start(kind, args)
    else:
        store.claim(job_id)
    path = log_file(job_id) if log_file else None
    with capture(path, to_file=not detached) if path else nullcontext(), _cancellable():
        log.info("job started", extra={"job_id": job_id, "kind": kind, "job_args": args})
        try:
            result = work()
        except JobCancelled:
            store.cancelled(job_id, "cancelled (SIGTERM) before it finished")
            log.info("job cancelled", extra={"job_id": job_id})
            raise
        except (TideError, OSError) as e:
            store.fail(job_id, str(e))
            log.info("job failed", extra={"job_id": job_id, "error": str(e)})
            raise
        except BaseException as e:
            store.fail(job_id, f"{type(e).__name__}: {e}")
            log.info("job failed", extra={"job_id": job_id, "error": repr(e)})
            raise
        summary = asdict(result) if is_dataclass(result) and not isinstance(result, type) else {}
        store.finish(job_id, {"job_id": job_id, **summary})
        log.info("job ended", extra={"job_id": job_id, "kind": kind, **_scalars(summary)})
    return result


@contextmanager
def _cancellable() -> Iterator[None]:
    """SIGTERM raises JobCancelled inside, unless the job handles SIGTERM itself."""
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    ):
        yield
        return

    def interrupt(_signum: int, _frame: Any) -> None:
        raise JobCancelled()

    signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _scalars(summary: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in summary.items() if not isinstance(v, dict | list)}
