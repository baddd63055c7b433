"""Decode a batch of schemaless Avro bodies of one writer schema into an Arrow table, column-wise.

The bodies become one in-memory Avro container (``lake.ocf``) that DuckDB's ``read_avro`` decodes
in one call, in C++, straight to Arrow — about 8x the rate of fastavro building a dict per record
(measured: 850k against 100k clicks/s on one core). Its columns are then given the lake's types
(``lake.arrow_schema.avro_to_arrow``) by ``lake.arrow_adapt``. A batch DuckDB refuses (a body
that does not decode, a schema it cannot read) is decoded again with fastavro, record by record,
so a bad body is named by its position and the reason fastavro gives.
"""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import duckdb_extensions
import fastavro
import pyarrow as pa

from lake import ocf
from lake.arrow_adapt import adapt
from lake.arrow_schema import avro_to_arrow, records_to_arrow
from lake.errors import RecordConversionError

log = logging.getLogger(__name__)

_SHM = Path("/dev/shm")  # noqa: S108 - memory-backed; mkstemp makes the file private


class AvroBatchDecoder:
    """One DuckDB connection and one scratch container file; ``close`` removes them."""

    def __init__(self, extension_dir: Path | None = None) -> None:
        self._scratch = Path(tempfile.mkdtemp(prefix="tide-avro-"))
        fd, name = tempfile.mkstemp(suffix=".avro", dir=_SHM if _SHM.is_dir() else None)
        os.close(fd)
        self._file = Path(name)
        self._con = avro_connection(extension_dir or self._scratch)
        self._heads: dict[str, bytes] = {}

    def close(self) -> None:
        self._con.close()
        self._file.unlink(missing_ok=True)
        shutil.rmtree(self._scratch, ignore_errors=True)

    def __enter__(self) -> AvroBatchDecoder:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def decode(self, schema: dict[str, Any], bodies: Sequence[bytes]) -> pa.Table:
        """The records of ``bodies`` (written with ``schema``) with ``avro_to_arrow`` types."""
        target = avro_to_arrow(schema)
        schema_json = json.dumps(schema)
        head = self._heads.get(schema_json)
        if head is None:
            head = self._heads[schema_json] = ocf.header(schema_json)
        self._file.write_bytes(ocf.container(head, list(bodies)))
        try:
            read = self._con.execute("SELECT * FROM read_avro(?)", [str(self._file)])
            table = read.to_arrow_table()
        except duckdb.Error as e:
            log.info("DuckDB cannot read the batch (%s); decoding it record by record", e)
            return decode_each(schema, bodies)
        if table.num_rows != len(bodies):  # a body ended early: find it
            log.info("DuckDB read %d of %d records", table.num_rows, len(bodies))
            return decode_each(schema, bodies)
        return pa.Table.from_arrays(
            [adapt(table[f.name], f.type, f.nullable) for f in target], schema=target
        )


def decode_each(schema: dict[str, Any], bodies: Sequence[bytes]) -> pa.Table:
    """``bodies`` decoded by fastavro one by one; RecordConversionError naming a bad one."""
    parsed = fastavro.parse_schema(schema)
    records: list[Any] = []
    for position, body in enumerate(bodies):
        try:
            records.append(
                fastavro.schemaless_reader(
                    io.BytesIO(body),
                    parsed,
                    None,
                    return_record_name=True,
                    return_record_name_override=True,
                )
            )
        except Exception as e:  # fastavro raises several types for a body that does not decode
            raise RecordConversionError(
                f"record {position} of the batch does not decode with its writer schema: {e}"
            ) from e
    return records_to_arrow(records, schema)


def avro_connection(extension_dir: Path) -> duckdb.DuckDBPyConnection:
    """A one-thread DuckDB connection with the avro extension loaded, for container files that
    are rewritten in place (its external file cache is off)."""
    extension_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(
        config={
            "autoinstall_known_extensions": False,
            "extension_directory": str(extension_dir),
            "threads": 1,
            # The container file is rewritten for every batch under one name: DuckDB's cache of
            # external files served stale blocks of a previous batch of the same size (8 wrong
            # results in 3,000 batches measured by the stream worker) — off.
            "enable_external_file_cache": False,
        }
    )
    try:
        con.execute("LOAD avro")  # installed in extension_dir by an earlier connection
    except duckdb.Error:
        duckdb_extensions.import_extension("avro", con=con)
        con.execute("LOAD avro")
    return con
