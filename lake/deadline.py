"""A statement's timeout: a timer thread that interrupts the DuckDB cursor running it.

DuckDB checks for an interrupt between the chunks its operators produce, so a runaway
statement (a cross join, a huge sort) stops within moments of the timeout. The interrupt
surfaces as DuckDB's InterruptException, or — while Arrow batches are being read — as the
OSError pyarrow makes of it; both are recognised.
"""

from __future__ import annotations

import threading
from types import TracebackType

import duckdb

from lake.errors import QueryCancelledError, QueryTimeoutError


class Deadline:
    """``with Deadline(cursor, seconds):`` interrupts ``cursor`` once ``seconds`` have passed.

    Inside the block DuckDB's interrupt becomes QueryTimeoutError when the timer fired, and
    QueryCancelledError when it did not (the user's Ctrl-C). ``seconds`` 0: no timeout.
    """

    def __init__(self, cursor: duckdb.DuckDBPyConnection, seconds: float) -> None:
        self.seconds = seconds
        self._fired = threading.Event()
        self._cursor = cursor
        self._timer = threading.Timer(seconds, self._interrupt) if seconds > 0 else None

    def _interrupt(self) -> None:
        self._fired.set()
        self._cursor.interrupt()

    def __enter__(self) -> Deadline:
        if self._timer is not None:
            self._timer.daemon = True
            self._timer.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if not _is_interrupt(error):
            return
        if self._fired.is_set():
            raise QueryTimeoutError(
                f"the statement ran past its timeout of {self.seconds:g} s and was stopped"
            ) from error
        raise QueryCancelledError("query cancelled") from error


def _is_interrupt(error: BaseException | None) -> bool:
    if isinstance(error, duckdb.InterruptException):
        return True
    return isinstance(error, OSError) and str(error).startswith("INTERRUPT Error")
