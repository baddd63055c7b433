"""A Parquet root under an S3 prefix. S3 has no rename and no flock, so:

- each data file is written directly under its final, deterministic name (a PUT is atomic: an
  object is there whole or not at all; a re-run's PUT of the same name replaces it whole);
- the offsets object is written last, and only if its ETag is still the one this job read or
  last wrote (``If-Match``; ``If-None-Match: *`` for the first) — the commit point, which a
  second writer cannot move under this one unnoticed: its commit fails, nothing is overwritten;
- one job at a time holds the root by a renewed lease (``lease``); a job that takes it over
  first rewrites the offsets object (``claim``), so an earlier holder that lost the lease
  without noticing can no longer commit either.

Data files are written and listed through pyarrow's S3 file system; the offsets and lease
objects by conditional requests (``s3_requests``), which pyarrow cannot send.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import pyarrow as pa
import pyarrow.parquet as pq
from pyarrow import fs

from lake.errors import OffsetFencingError
from lake.parquet_store.base import ParquetStore
from lake.parquet_store.errors import ParquetSinkError, PreconditionFailedError
from lake.parquet_store.lease import LEASE_S, Lease
from lake.parquet_store.local import STATE
from lake.parquet_store.s3_requests import S3Objects, S3Options

LEASE = "_tide_lease.json"


@dataclass(frozen=True)
class S3Root:
    """Where to land: ``s3://bucket/prefix`` and how to reach it."""

    uri: str
    options: S3Options
    lease_s: float = LEASE_S


def filesystem(options: S3Options) -> fs.S3FileSystem:
    """pyarrow's S3 file system for ``options`` (credentials: pyarrow's usual chain if unset)."""
    endpoint = urlsplit(options.endpoint) if options.endpoint else None
    return fs.S3FileSystem(
        access_key=options.access_key,
        secret_key=options.secret_key,
        session_token=options.session_token,
        region=options.region,
        scheme=endpoint.scheme if endpoint and endpoint.scheme else None,
        endpoint_override=(endpoint.netloc or endpoint.path) if endpoint else None,
        force_virtual_addressing=not options.path_style and endpoint is not None,
    )


class S3Store(ParquetStore):
    """The objects under ``root.uri``."""

    def __init__(self, root: S3Root) -> None:
        parts = urlsplit(root.uri)
        if parts.scheme not in ("s3", "s3a") or not parts.netloc:
            raise ParquetSinkError(f"not an s3://bucket/prefix location: {root.uri}")
        self.uri = root.uri
        self._prefix = parts.path.strip("/")
        self._base = f"{parts.netloc}/{self._prefix}".rstrip("/")  # pyarrow's path of the root
        self._fs = filesystem(root.options)
        self._objects = S3Objects(root.options, parts.netloc)
        self._lease = Lease(self._objects, self._key(LEASE), root.lease_s)
        self._etag: str | None = None  # of the offsets object, as this job last read or wrote it

    def acquire(self) -> None:
        self._lease.acquire()

    def read_state(self) -> bytes | None:
        found = self._objects.get(self._key(STATE))
        self._etag = None if found is None else found.etag
        return None if found is None else found.body

    def claim(self, state: bytes) -> None:
        self.commit(state)

    def check(self) -> None:
        self._lease.check()

    def write_table(self, path: str, table: pa.Table) -> int:
        try:
            with self._fs.open_output_stream(f"{self._base}/{path}") as out:
                pq.write_table(table, out)
                return int(out.tell())
        except OSError as e:
            raise ParquetSinkError(f"cannot write {self.uri}/{path}: {e}") from e

    def files(self) -> list[str]:
        selector = fs.FileSelector(self._base, recursive=True, allow_not_found=True)
        try:
            infos = self._fs.get_file_info(selector)
        except OSError as e:
            raise ParquetSinkError(f"cannot list {self.uri}: {e}") from e
        cut = len(self._base) + 1
        return [i.path[cut:] for i in infos if i.type == fs.FileType.File]

    def delete(self, path: str) -> None:
        try:
            self._fs.delete_file(f"{self._base}/{path}")
        except FileNotFoundError:
            return
        except OSError as e:
            raise ParquetSinkError(f"cannot delete {self.uri}/{path}: {e}") from e

    def commit(self, state: bytes) -> None:
        self._lease.check()
        try:
            self._etag = self._objects.put(self._key(STATE), state, self._etag)
        except PreconditionFailedError as e:
            raise OffsetFencingError(
                f"the offsets of {self.uri} were changed by another writer since this job read "
                "them: this job's batch is not committed (one land job per table at a time)"
            ) from e

    def close(self) -> None:
        try:
            self._lease.release()
        finally:
            self._objects.close()

    def _key(self, name: str) -> str:
        return f"{self._prefix}/{name}" if self._prefix else name
