"""Decode a partition's batch of wire-format records column-wise, routing bad records aside.

Records are grouped by writer schema id; each group becomes one in-memory Avro container that
DuckDB's ``read_avro`` decodes in one pass, selecting just what the job needs (event time, key,
``where``, values, and HyperLogLog register updates computed from DuckDB's ``hash``). Bad input
never stops the worker: a wrong magic byte, an unknown schema id, a body that does not decode, a
missing event time or one further in the future than the allowed skew becomes a dead letter with
a reason; the rest of the batch goes on. A registry that does not answer is not bad input: that
raises, and the batch is read again later.
"""

from __future__ import annotations

import io
import itertools
import json
import operator
import os
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, cast

import duckdb
import fastavro
import pyarrow as pa
import pyarrow.compute as pc

from lake import ocf
from lake.avro_batch import avro_connection
from producers.errors import RegistryRequestError
from streams.aggregations import hll
from streams.aggregations.partials import PartialPlan
from streams.errors import FieldPathError
from streams.io import paths
from streams.jobs.base import AggKind, WindowJob

_BODY = operator.itemgetter(slice(5, None))


class SchemaSource(Protocol):
    """Writer schemas by id (the registry client); RegistryRequestError 404 for an unknown id."""

    def schema_by_id(self, schema_id: int) -> str: ...


@dataclass
class Decoded:
    """Rows in offset order (``pos`` indexes the batch) and the dead letters, by position."""

    table: pa.Table
    dead: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True)
class _Query:
    sql: str
    head: bytes


class BatchDecoder:
    """One per job and thread: a DuckDB connection and the queries of each writer schema."""

    def __init__(
        self,
        job: WindowJob,
        plan: PartialPlan,
        registry: SchemaSource,
        max_skew_ms: int,
        work_dir: Path,
    ) -> None:
        self.job = job
        self.plan = plan
        self._registry = registry
        self._max_skew_ms = max_skew_ms
        self._queries: dict[int, _Query | str] = {}  # a str is why that schema cannot be read
        self._con = avro_connection(work_dir / "duckdb_extensions")
        shm = Path("/dev/shm")  # noqa: S108 - memory-backed; mkstemp makes the file private
        fd, name = tempfile.mkstemp(suffix=".avro", dir=shm if shm.is_dir() else None)
        os.close(fd)
        self._file = Path(name)
        self.schema = pa.schema(
            [("pos", pa.int32()), ("t", pa.int64()), ("m", pa.bool_()), ("k", pa.string())]
            + list(plan.value_types().items())
            + [c for i in plan.distinct for c in ((f"hi{i}", pa.uint16()), (f"hr{i}", pa.uint8()))]
        )

    def close(self) -> None:
        self._con.close()
        self._file.unlink(missing_ok=True)

    def decode(self, values: list[bytes | None]) -> Decoded:
        groups, dead = _by_schema(values)
        tables = []
        for schema_id, positions in groups.items():
            query = self._query(schema_id)
            if isinstance(query, str):
                dead += [(pos, query) for pos in positions]
                continue
            table, bad = self._run(query, schema_id, cast(list[bytes], values), positions)
            tables.append(table)
            dead += bad
        table = pa.concat_tables(tables) if tables else self.schema.empty_table()
        if len(tables) > 1:
            table = table.sort_by("pos")
        return self._screen(table, dead)

    def _screen(self, table: pa.Table, dead: list[tuple[int, str]]) -> Decoded:
        """Dead-letter events without a time or too far in the future."""
        times = table["t"]
        limit = int(time.time() * 1000) + self._max_skew_ms
        missing = pc.is_null(times)
        future = pc.fill_null(pc.greater(times, limit), False)
        bad = pc.or_(missing, future)
        if pc.any(bad).as_py():
            now_ms = limit - self._max_skew_ms
            for row in table.filter(bad).select(["pos", "t"]).to_pylist():
                dead.append((row["pos"], self._time_reason(row["t"], now_ms)))
            table = table.filter(pc.invert(bad))
        return Decoded(table, sorted(dead))

    def _time_reason(self, event_ms: int | None, now_ms: int) -> str:
        if event_ms is None:
            return f"event time field {self.job.time_path} is missing or null"
        ahead, skew = (event_ms - now_ms) / 1000, self._max_skew_ms / 1000
        return f"event time is {ahead:.0f} s ahead of the wall clock (max skew {skew:.0f} s)"

    def _query(self, schema_id: int) -> _Query | str:
        if schema_id not in self._queries:
            try:
                schema_json = self._registry.schema_by_id(schema_id)
            except RegistryRequestError as e:
                if e.status_code != 404:
                    raise
                self._queries[schema_id] = f"unknown schema id {schema_id} (not in the registry)"
                return self._queries[schema_id]
            try:
                sql = self._select(json.loads(schema_json))
            except FieldPathError as e:
                self._queries[schema_id] = f"schema id {schema_id}: {e}"
                return self._queries[schema_id]
            self._queries[schema_id] = _Query(sql, ocf.header(schema_json))
        return self._queries[schema_id]

    def _select(self, schema: dict[str, Any]) -> str:
        job = self.job
        when = paths.resolve(schema, job.time_path)
        if paths.is_timestamp(when.avro):
            t_sql = f"epoch_ms({when.sql})"
        elif when.avro in ("long", "int"):
            t_sql = f"CAST({when.sql} AS BIGINT)"
        else:
            raise FieldPathError(f"time field {job.time_path} is neither a timestamp nor a long")
        cols = [
            f"{t_sql} AS t",
            f"CAST({paths.resolve(schema, job.key_path).sql} AS VARCHAR) AS k",
            "TRUE AS m"
            if job.where is None
            else f"({paths.resolve(schema, job.where).sql}) IS NOT NULL AS m",
        ]
        types = self.plan.value_types()
        for i, agg in enumerate(job.aggregations):
            if agg.path is None:
                continue
            value = _optional(schema, agg.path)
            if agg.kind is AggKind.DISTINCT:
                h = f"hash({value})"
                cols += [
                    f"CASE WHEN {value} IS NULL THEN NULL ELSE {hll.index_sql(h)} END AS hi{i}",
                    f"CASE WHEN {value} IS NULL THEN NULL ELSE {hll.rank_sql(h)} END AS hr{i}",
                ]
            else:
                sql_type = "BIGINT" if types[f"v{i}"] == pa.int64() else "DOUBLE"
                cols.append(f"TRY_CAST({value} AS {sql_type}) AS v{i}")
        # paths are checked against the job's pattern and quoted as identifiers
        return "SELECT " + ", ".join(cols) + " FROM read_avro('{file}')"  # noqa: S608

    def _run(
        self, query: _Query, schema_id: int, values: list[bytes], positions: list[int]
    ) -> tuple[pa.Table, list[tuple[int, str]]]:
        bodies = (
            list(map(_BODY, values))
            if len(positions) == len(values)
            else [values[p][5:] for p in positions]
        )
        try:
            return self._decode(query, bodies, positions), []
        except duckdb.Error:
            pass  # find the records that do not decode, then decode the rest
        schema = fastavro.parse_schema(json.loads(self._registry.schema_by_id(schema_id)))
        good, bad = [], []
        for pos, body in zip(positions, bodies, strict=True):
            try:
                fastavro.schemaless_reader(io.BytesIO(body), schema, None)
                good.append(pos)
            except Exception as e:
                bad.append((pos, f"body does not decode with schema id {schema_id}: {e}"))
        if not good:
            return self.schema.empty_table(), bad
        return self._decode(query, [values[p][5:] for p in good], good), bad

    def _decode(self, query: _Query, bodies: list[bytes], positions: list[int]) -> pa.Table:
        self._file.write_bytes(ocf.container(query.head, bodies))
        table = self._con.execute(query.sql.format(file=self._file)).to_arrow_table()
        if table.num_rows != len(positions):
            raise duckdb.InvalidInputException("record count does not match the block")
        table = table.append_column("pos", pa.array(positions, pa.int32()))
        return table.select(self.schema.names).cast(self.schema)


def _optional(schema: dict[str, Any], path: str) -> str:
    """A value path that a writer schema may lack: NULL then (an older or newer version)."""
    try:
        return paths.resolve(schema, path).sql
    except FieldPathError:
        return "NULL"


def _by_schema(values: list[bytes | None]) -> tuple[dict[int, list[int]], list[tuple[int, str]]]:
    """Positions per writer schema id, and the records that are not in the wire format."""
    if values and values[0] is not None and values[0][:1] == b"\x00" and len(values[0]) >= 5:
        head = values[0][:5]
        try:
            same = all(map(bytes.startswith, cast(list[bytes], values), itertools.repeat(head)))
        except TypeError:  # a value is None
            same = False
        if same:
            return {int.from_bytes(head[1:5], "big"): list(range(len(values)))}, []
    groups: dict[int, list[int]] = defaultdict(list)
    dead: list[tuple[int, str]] = []
    for pos, v in enumerate(values):
        if v is None:
            dead.append((pos, "record has no value (a tombstone)"))
        elif len(v) < 5:
            dead.append((pos, f"record of {len(v)} bytes is shorter than the 5-byte wire header"))
        elif v[0] != 0:
            dead.append((pos, f"unknown magic byte {v[0]} (expected 0, Confluent wire format)"))
        else:
            groups[int.from_bytes(v[1:5], "big")].append(pos)
    return groups, dead
