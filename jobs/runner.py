"""Run a job in the foreground and keep its state and result in the job log."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, is_dataclass
from typing import Any

from jobs.store import JobStore
from tide.errors import TideError

log = logging.getLogger(__name__)


def run_logged(store: JobStore, kind: str, args: dict[str, Any], work: Callable[[], Any]) -> Any:
    """Record the job, run ``work``, record its result or its error (which is re-raised)."""
    job_id = store.start(kind, args)
    log.info("job started", extra={"job_id": job_id, "kind": kind})
    try:
        result = work()
    except (TideError, OSError) as e:
        store.fail(job_id, str(e))
        log.info("job failed", extra={"job_id": job_id, "error": str(e)})
        raise
    except BaseException as e:
        store.fail(job_id, f"{type(e).__name__}: {e}")
        raise
    summary = asdict(result) if is_dataclass(result) and not isinstance(result, type) else {}
    store.finish(job_id, {"job_id": job_id, **summary})
    log.info("job succeeded", extra={"job_id": job_id, "kind": kind})
    return result
