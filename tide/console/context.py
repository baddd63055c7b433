"""What every section of the console reads: the settings and what the console was told."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from lake.http.request import Ceilings
from lake.query import QueryEngine
from tide.ops.lake import query_engine
from tide.settings import TideSettings


@dataclass
class ConsoleContext:
    """The settings of the stack shown, the window workers' /metrics URLs given on the command
    line (more are found in ``<data dir>/stack.json``), and the lake's query engine, opened on
    first use so that a console starts even while the lake cannot be read."""

    settings: TideSettings
    worker_urls: list[str] = field(default_factory=list)
    _engine: QueryEngine | None = field(default=None, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    @property
    def ceilings(self) -> Ceilings:
        return Ceilings(self.settings.sql.max_rows, self.settings.sql.timeout_seconds)

    def engine(self) -> QueryEngine:
        with self._lock:
            if self._engine is None:
                self._engine = query_engine(self.settings)
            return self._engine

    def close(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.close()
                self._engine = None
