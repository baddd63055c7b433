"""Each job's own log file, ``<data dir>/jobs/<id>.log``: its structured lines (at INFO, whatever
the terminal shows), and for a detached job everything it prints. ``tide jobs logs ID``."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tide.logs import KeyValueFormatter


def log_path(store_path: Path, job_id: int) -> Path:
    """Where job ``job_id`` of the job log at ``store_path`` writes its lines."""
    return store_path.parent / "jobs" / f"{job_id}.log"


@contextmanager
def capture(path: Path, *, to_file: bool = True) -> Iterator[None]:
    """While inside, INFO lines and above also go to ``path`` (``to_file=False``: the process's
    stderr already is that file). What the terminal shows keeps its own level."""
    if not to_file:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    level = root.level
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(KeyValueFormatter())
    quieted = [h for h in root.handlers if h.level == logging.NOTSET]
    for h in quieted:
        h.setLevel(level)  # the terminal keeps showing what it showed
    root.addHandler(handler)
    root.setLevel(min(level, logging.INFO))
    try:
        yield
    finally:
        root.removeHandler(handler)
        handler.close()
        root.setLevel(level)
        for h in quieted:
            h.setLevel(logging.NOTSET)
