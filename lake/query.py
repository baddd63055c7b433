"""Read-only SQL over the lake with DuckDB: every lake table is a view named like the table."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlparse

import duckdb
import duckdb_extensions
import pyarrow as pa
from pyiceberg.catalog import Catalog

from lake.catalog import table_locations
from lake.deadline import Deadline
from lake.errors import LakeError, QueryError, QueryRefusedError
from lake.export import check_target, write_parquet
from lake.result import MAX_BATCH_ROWS, QueryResult, batch_rows, take
from lake.time_travel import AsOf, pin_tables
from lake.views import LakeViews, create_view, literal

log = logging.getLogger(__name__)

_READ_ONLY = {duckdb.StatementType.SELECT}  # DESCRIBE, SHOW, SUMMARIZE, PRAGMA x parse as SELECT
_EXPLAIN_PREFIX = re.compile(r"^\s*EXPLAIN\s+(ANALYZE\s+|\([^)]*\)\s*)?", re.IGNORECASE)


class QueryEngine:
    """DuckDB over the Iceberg tables of one catalog namespace, refreshed before each query
    (only the views of tables committed to since the last one are made again: lake.views).

    With ``sandbox`` (the default) the connection may read only the warehouse: file
    functions elsewhere (``read_csv('/etc/passwd')``) fail, and settings are locked.
    """

    def __init__(
        self, catalog: Catalog, namespace: str, extension_dir: Path, sandbox: bool = True
    ) -> None:
        self.catalog = catalog
        self.namespace = namespace
        self.extension_dir = extension_dir
        self.sandbox = sandbox
        self._con: duckdb.DuckDBPyConnection | None = None
        self._views = LakeViews(catalog)
        self._lock = threading.Lock()

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A new in-memory DuckDB connection with the lake's extensions and a view per table."""
        return self._open(LakeViews(self.catalog), table_locations(self.catalog, self.namespace))

    def _open(self, views: LakeViews, locations: dict[str, str]) -> duckdb.DuckDBPyConnection:
        self.extension_dir.mkdir(parents=True, exist_ok=True)
        config: dict[str, str | bool | int | float | list[str]] = {
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "extension_directory": str(self.extension_dir),
        }
        warehouse = str(self.catalog.properties.get("warehouse", ""))
        try:
            con = duckdb.connect(":memory:", config=config)
            for name in _extensions(warehouse):
                duckdb_extensions.import_extension(name, con=con)
                con.execute(f"LOAD {name}")
            con.execute("SET TimeZone = 'UTC'")
            if warehouse.startswith(("s3://", "s3a://")):
                _create_s3_secret(con, self.catalog.properties)
            views.refresh(con, locations)
            if self.sandbox:
                _lock_down(con, warehouse)
        except duckdb.Error as e:
            raise LakeError(f"cannot start the DuckDB query engine: {_first_line(e)}") from e
        return con

    def tables(self) -> list[str]:
        """The names of the lake tables, queryable as views."""
        return sorted(table_locations(self.catalog, self.namespace))

    def query(self, sql: str) -> pa.Table:
        """Every row of one read-only statement; QueryRefusedError for anything that writes."""
        return self.run(sql).table

    def run(
        self, sql: str, max_rows: int = 0, timeout_s: float = 0.0, as_of: AsOf | None = None
    ) -> QueryResult:
        """One read-only statement cut at ``max_rows`` rows (0: all), reading one row past
        the limit only; QueryTimeoutError once it ran ``timeout_s`` seconds (0: no limit).
        ``as_of``: the tables it reads are read as they were then."""
        with self.stream(sql, timeout_s, batch_rows(max_rows), as_of) as reader:
            return take(reader, max_rows)

    def export(
        self, sql: str, path: Path, timeout_s: float = 0.0, as_of: AsOf | None = None
    ) -> int:
        """Write every row of one read-only statement to the Parquet file ``path``, outside
        the warehouse (no row limit; the timeout holds); the number of rows."""
        check_target(path, str(self.catalog.properties.get("warehouse", "")))
        with self.stream(sql, timeout_s, as_of=as_of) as reader:
            return write_parquet(reader, path)

    @contextmanager
    def stream(
        self,
        sql: str,
        timeout_s: float = 0.0,
        rows_per_batch: int = MAX_BATCH_ROWS,
        as_of: AsOf | None = None,
    ) -> Iterator[pa.RecordBatchReader]:
        """The result of one read-only statement as Arrow batches, computed as the block reads
        them; the timeout covers the whole block."""
        cursor, tables = self._cursor()
        try:
            with _engine_errors(), Deadline(cursor, timeout_s):
                statement = _read_only_statement(cursor, sql)
                if as_of is not None:
                    self._travel(cursor, sql, tables, as_of)
                yield cursor.execute(statement).to_arrow_reader(rows_per_batch)
        finally:
            cursor.close()

    def _cursor(self) -> tuple[duckdb.DuckDBPyConnection, list[str]]:
        """A cursor of the shared connection, its views pointing at the tables' current state,
        and the names of the tables."""
        with self._lock:
            locations = table_locations(self.catalog, self.namespace)
            if self._con is None:
                self._views = LakeViews(self.catalog)
                self._con = self._open(self._views, locations)
            else:
                try:
                    self._views.refresh(self._con, locations)
                except duckdb.Error as e:
                    raise QueryError(f"cannot refresh the lake views: {_first_line(e)}") from e
            return self._con.cursor(), sorted(locations)

    def _travel(
        self, cursor: duckdb.DuckDBPyConnection, sql: str, tables: list[str], as_of: AsOf
    ) -> None:
        """Shadow, for this cursor only, the view of each table ``sql`` reads with one of
        the table at its snapshot as of ``as_of``."""
        pins = pin_tables(self.catalog, self.namespace, tables, _read(sql, tables), as_of)
        for name, pin in pins.items():
            location = literal(pin.metadata_location)
            if pin.snapshot_id is None:
                scan = f"iceberg_scan({location}) LIMIT 0"
            else:
                scan = f"iceberg_scan({location}, snapshot_from_id={pin.snapshot_id})"
            create_view(cursor, name, scan, temporary=True)

    def close(self) -> None:
        """Close the engine's connection (a later query reconnects)."""
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None


@contextmanager
def _engine_errors() -> Iterator[None]:
    """DuckDB's errors as QueryError with its message; the sandbox's as QueryRefusedError."""
    try:
        yield
    except duckdb.PermissionException as e:
        raise QueryRefusedError(_first_line(e)) from e
    except (duckdb.Error, pa.ArrowException, OSError) as e:  # OSError: from Arrow batches
        raise QueryError(_first_line(e)) from e


def _read_only_statement(con: duckdb.DuckDBPyConnection, sql: str) -> duckdb.Statement:
    statements = con.extract_statements(sql)
    if len(statements) != 1:
        raise QueryRefusedError(f"expected one SQL statement, got {len(statements)}")
    statement = statements[0]
    kind = statement.type
    if kind == duckdb.StatementType.EXPLAIN:
        # EXPLAIN ANALYZE runs its statement: check what it explains.
        inner = con.extract_statements(_EXPLAIN_PREFIX.sub("", sql, count=1))
        if len(inner) == 1 and inner[0].type in _READ_ONLY:
            return statement
        kind = inner[0].type if inner else kind
    elif kind in _READ_ONLY:
        return statement
    raise QueryRefusedError(f"only read-only queries are allowed, not {kind.name}")


def _extensions(warehouse: str) -> list[str]:
    remote = warehouse.startswith(("s3://", "s3a://"))
    return ["avro", "iceberg", *(["httpfs"] if remote else [])]


def _read(sql: str, tables: list[str]) -> list[str]:
    """The lake tables ``sql`` names (all of them when DuckDB cannot tell).

    Asked of a bare connection: one holding the lake's views answers with what they read.
    """
    try:
        with duckdb.connect(":memory:") as parser:
            named = {name.lower() for name in parser.get_table_names(sql)}
    except duckdb.Error:
        return tables
    return [table for table in tables if table.lower() in named]


def _lock_down(con: duckdb.DuckDBPyConnection, warehouse: str) -> None:
    parsed = urlparse(warehouse)
    root = unquote(parsed.path) if parsed.scheme in ("file", "") else warehouse
    con.execute(f"SET allowed_directories = [{literal(root.rstrip('/') + '/')}]")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


def _create_s3_secret(con: duckdb.DuckDBPyConnection, props: dict[str, str]) -> None:
    """A DuckDB S3 secret from the catalog's pyiceberg ``s3.*`` properties."""
    options = {
        "KEY_ID": props.get("s3.access-key-id"),
        "SECRET": props.get("s3.secret-access-key"),
        "REGION": props.get("s3.region"),
    }
    clauses = [f"{key} {literal(value)}" for key, value in options.items() if value]
    endpoint = props.get("s3.endpoint")
    if endpoint:
        url = urlparse(endpoint)
        clauses.append(f"ENDPOINT {literal(url.netloc or endpoint)}")
        clauses.append(f"USE_SSL {'true' if url.scheme == 'https' else 'false'}")
    if props.get("s3.path-style-access", "").lower() == "true":
        clauses.append("URL_STYLE 'path'")
    con.execute(f"CREATE OR REPLACE SECRET lake_s3 (TYPE s3{''.join(', ' + c for c in clauses)})")


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
