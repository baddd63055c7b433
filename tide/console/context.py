"""What every section of the console reads: the settings and what the console was told."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from lake.http.request import Ceilings
from lake.query import QueryEngine
from registry.api.auth import BasicAuth
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

    @cached_property
    def authorize(self) -> Callable[[str | None], bool] | None:
        """The basic-auth check of the console's actions (None: open, no users configured)."""
        users = self.settings.console.users or self.settings.registry.users
        return BasicAuth(users).allows if users else None

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
