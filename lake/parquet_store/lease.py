"""An exclusive lease on an S3 prefix: what stands in for flock where there is none.

The lease is one small object, created only if absent (``If-None-Match: *``) and renewed by its
holder every ``ttl_s / 5`` with ``If-Match`` on its own last ETag. A job that finds it watches
it: a renewal (the ETag moves) means a live holder, and the job stops with an error; no change
for ``ttl_s`` on the watcher's own clock means a dead holder (killed), and the job takes the
lease over with ``If-Match`` on the stale ETag, so of two watchers only one can win. The
holder counts itself valid for ``ttl_s / 2`` after the start of its last successful renewal and
refuses to write once that has passed — before any watcher, which waits the whole ``ttl_s``
from a later moment, can take over. Clocks are never compared across machines; what is assumed
is that they run at roughly the same rate, and that a process does not stall (SIGSTOP, swap)
for longer than its margin *between* its check and the write that follows it.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid

from lake.parquet_store.errors import (
    LeaseLostError,
    ParquetSinkError,
    PreconditionFailedError,
    S3RequestError,
)
from lake.parquet_store.s3_requests import Found, S3Objects

log = logging.getLogger(__name__)

LEASE_S = 10.0  # a killed job's lease is taken over this long after its last renewal


class Lease:
    """The lease object ``key`` (of ``objects``' bucket), held by this process once acquired."""

    def __init__(self, objects: S3Objects, key: str, ttl_s: float = LEASE_S) -> None:
        self.objects, self.key, self.ttl_s = objects, key, ttl_s
        self.owner = uuid.uuid4().hex
        self.where = f"s3://{objects.bucket}/{key}"
        self._etag: str | None = None
        self._renewals = 0
        self._valid_until = 0.0  # time.monotonic()
        self._lost: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self) -> None:
        """Take the lease (waiting out a dead holder's); ParquetSinkError if a live job holds it."""
        while self._etag is None:
            found = self.objects.get(self.key)
            try:
                if found is None:
                    self._write(None)
                else:
                    self._take_over(found)
            except PreconditionFailedError:
                continue  # created or taken by another job meanwhile: look again
        self._thread = threading.Thread(target=self._renew, name="tide-lease", daemon=True)
        self._thread.start()

    def check(self) -> None:
        """LeaseLostError unless this job may still write: what it writes next is its own."""
        if self._lost is not None:
            raise LeaseLostError(f"this job lost its lease {self.where}: {self._lost}")
        if time.monotonic() > self._valid_until:
            raise LeaseLostError(
                f"this job could not renew its lease {self.where} for {self.ttl_s / 2:.0f}s: "
                "another job may take it over, so this one stops without committing"
            )

    def release(self) -> None:
        """Stop renewing and delete the lease, if it is still this job's."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._etag is not None and self._lost is None:
            try:
                self.objects.delete(self.key, self._etag)
            except S3RequestError as e:  # taken over meanwhile, or unreachable: not ours to fix
                log.warning("lease %s not released: %s", self.where, e)
        self._etag = None

    def _take_over(self, found: Found) -> None:
        holder = _holder(found.body)
        theirs = holder.get("ttl_s")
        wait_s = max(self.ttl_s, float(theirs) if isinstance(theirs, int | float) else 0.0)
        log.warning("%s is held by pid %s on %s: waiting up to %.0fs for it to renew or expire",
                    self.where, holder.get("pid"), holder.get("host"), wait_s)  # fmt: skip
        seen_at = time.monotonic()
        while time.monotonic() - seen_at < wait_s:
            self._stop.wait(min(0.5, wait_s / 10))  # the polling interval of the watch
            now = self.objects.get(self.key)
            if now is None:
                raise PreconditionFailedError("released meanwhile")  # look again
            if now.etag != found.etag:
                raise ParquetSinkError(
                    f"another land job writes {self.where.rsplit('/', 1)[0]} (pid "
                    f"{holder.get('pid')} on {holder.get('host')}, renewing its lease "
                    f"{self.where}): one job per table at a time"
                )
        log.warning("lease %s not renewed for %.0fs: taking it over", self.where, wait_s)
        self._write(found.etag)

    def _write(self, if_match: str | None) -> None:
        started = time.monotonic()
        self._renewals += 1
        body = {"owner": self.owner, "host": socket.gethostname(), "pid": os.getpid(),
                "renewals": self._renewals, "ttl_s": self.ttl_s}  # fmt: skip
        self._etag = self.objects.put(self.key, json.dumps(body).encode(), if_match)
        self._valid_until = started + self.ttl_s / 2

    def _renew(self) -> None:
        while not self._stop.wait(self.ttl_s / 5):
            try:
                self._write(self._etag)
            except PreconditionFailedError:
                self._lost = "another job took it over (this one was stalled or unreachable)"
                log.error("lease %s lost: %s", self.where, self._lost)
                return
            except S3RequestError as e:  # it lapses by itself if this goes on
                log.warning("lease %s not renewed: %s", self.where, e)


def _holder(body: bytes) -> dict[str, object]:
    try:
        holder = json.loads(body)
    except ValueError:
        return {}
    return holder if isinstance(holder, dict) else {}
