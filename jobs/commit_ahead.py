"""Commits run one at a time on a thread of their own, while the next batch is read.

A land job's commit (column-wise decode, Parquet writes, the Iceberg commit) spends most of
its time in DuckDB and Arrow, which release the GIL; reading the next batch meanwhile keeps
the consumer busy instead of idle for the length of every commit. One commit is in flight at
most, and each starts only after the one before it ended, so commits keep their order and
each sees the offsets the previous one committed. A commit's error is raised by the next
``submit`` or ``wait``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

log = logging.getLogger(__name__)


class CommitAhead:
    """At most one commit in flight, on one worker thread."""

    def __init__(self, name: str) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._last: Future[None] | None = None

    def submit(self, commit: Callable[[], None]) -> None:
        """Run ``commit`` once the one in flight has ended (raising that one's error)."""
        self.wait()
        self._last = self._pool.submit(commit)

    def wait(self) -> None:
        """Until the commit in flight has ended; its error, if it failed."""
        last, self._last = self._last, None
        if last is not None:
            last.result()

    def close(self) -> None:
        """Let the commit in flight end (a commit is whole or nothing either way); an error it
        ends with is logged, as the job is ending with an error of its own or has waited."""
        last, self._last = self._last, None
        self._pool.shutdown(wait=True)
        if last is not None and last.exception() is not None:
            log.error("land commit failed while the job ended", exc_info=last.exception())
