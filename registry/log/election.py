"""Primary election through the log: an expiring lease renewed by heartbeats.

The primary appends a heartbeat every ``heartbeat_s``. An instance that has not heard of a
primary for ``lease_s`` claims the next epoch; the first claim for an epoch in the log wins.
Which instance is primary is read from the log, never assumed: a paused primary that wakes
up finds the newer claim there, and its late writes are fenced (see :mod:`registry.log.view`).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Protocol

from registry.errors import StoreError
from registry.log.records import Claim, Heartbeat, Record

log = logging.getLogger(__name__)


class LeaseLog(Protocol):
    instance: str
    url: str

    def lease(self) -> tuple[int, str | None, float]: ...

    def append(self, record: Record) -> int: ...


class Election:
    def __init__(self, store: LeaseLog, lease_s: float, heartbeat_s: float) -> None:
        self._store = store
        self._lease_s = lease_s
        self._heartbeat_s = heartbeat_s
        self._stop = threading.Event()
        self._claimed = 0  # the last epoch this instance claimed; it claims each one once
        self._thread = threading.Thread(target=self._run, name="registry-election", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        self._tick()
        while not self._stop.wait(self._heartbeat_s):
            self._tick()

    def _lease_expired(self, primary: str | None, renewed: float) -> bool:
        return primary is None or time.monotonic() - renewed > self._lease_s

    def _tick(self) -> None:
        epoch, primary, renewed = self._store.lease()
        me = self._store.instance
        try:
            if primary == me:
                self._store.append(Heartbeat(epoch, me))
            elif self._lease_expired(primary, renewed) and epoch + 1 > self._claimed:
                self._claimed = epoch + 1
                log.info("claiming primacy", extra={"instance": me, "epoch": epoch + 1,
                                                    "previous": primary})  # fmt: skip
                self._store.append(Claim(epoch + 1, me, self._store.url))
        except StoreError as e:
            log.warning("election append failed", extra={"instance": me, "error": str(e)})
