"""The lake's views in one DuckDB connection, re-created only for the tables that changed.

Every lake table is a view named like it. A commit gives a table a new metadata location, so
a view is re-created only when its table's location differs from the one it was made from;
the views of dropped tables are dropped. A statement on unchanged tables re-creates nothing.

A view reads the data files of its table's snapshot with ``read_parquet``, listed once per
metadata location by pyiceberg's scan planning and mapped to the table's schema by field id
(``read_parquet``'s ``schema``: the columns in the schema's order, files older than a column
read it as NULL, older types are cast to promoted ones), with the very names and types that
``iceberg_scan`` gives; a query then reads no Iceberg metadata. Where plain files would not
read the same rows — delete files, a field with an initial default, a field renamed or dropped
since a file was written, files without field ids (a name mapping), no snapshot — the view is
``iceberg_scan``, which reads the metadata at each query.
"""

from __future__ import annotations

import logging

import duckdb
from pyiceberg.catalog import Catalog
from pyiceberg.schema import index_by_id, index_name_by_id
from pyiceberg.table import StaticTable, Table
from pyiceberg.table.metadata import TableMetadata

log = logging.getLogger(__name__)

_NAME_MAPPING = "schema.name-mapping.default"


class LakeViews:
    """The lake views of one DuckDB connection and the metadata location each one reads."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.created = 0  # views created so far, for tests and logs
        self._read: dict[str, str] = {}

    def refresh(self, con: duckdb.DuckDBPyConnection, locations: dict[str, str]) -> None:
        """Make the views read ``locations``, the current metadata location of each table."""
        for name in sorted(self._read.keys() - locations.keys()):
            con.execute(f"DROP VIEW IF EXISTS {quote_name(name)}")
            del self._read[name]
            log.debug("lake view %s dropped", name)
        for name, location in locations.items():
            if self._read.get(name) != location:
                self._read.pop(name, None)  # until it is made again: a failure retries
                create_view(con, name, self._scan(con, location))
                self._read[name] = location
                self.created += 1
                log.debug("lake view %s reads %s", name, location)

    def _scan(self, con: duckdb.DuckDBPyConnection, location: str) -> str:
        """The table function a view reads the table at ``location`` with."""
        iceberg = f"iceberg_scan({literal(location)})"
        table = StaticTable.from_metadata(location, dict(self.catalog.properties))
        files = plain_files(table)
        if files is None:
            return iceberg
        columns = _describe(con, iceberg)
        ids = [field.field_id for field in table.schema().fields]
        if [field.name for field in table.schema().fields] != [name for name, _ in columns]:
            return iceberg
        entries = ", ".join(
            f"{field_id}: {{name: {literal(name)}, type: {literal(kind)}, default_value: NULL}}"
            for field_id, (name, kind) in zip(ids, columns, strict=True)
        )
        paths = ", ".join(literal(path) for path in files)
        # Paths like ``region=eu/`` are Iceberg partition folders, not columns to add.
        parquet = f"read_parquet([{paths}], hive_partitioning = false, schema = MAP {{{entries}}})"
        if _describe(con, parquet) != columns:  # pragma: no cover - a safety net
            log.warning("lake table at %s: its files read differently, kept iceberg_scan", location)
            return iceberg
        return parquet


def plain_files(table: Table) -> list[str] | None:
    """The data files of ``table``'s current snapshot if reading them by field id reads the
    table; None where it would not (see the module's docstring) or there are none."""
    if table.current_snapshot() is None or _NAME_MAPPING in table.properties:
        return None
    if not _stable_fields(table.metadata):
        return None
    try:
        tasks = list(table.scan().plan_files())
    except ValueError:  # equality deletes, which pyiceberg does not plan
        return None
    if not tasks or any(task.delete_files for task in tasks):
        return None
    return [task.file.file_path for task in tasks]


def _stable_fields(metadata: TableMetadata) -> bool:
    """Every field of every schema the table had is in its current one under the same name
    (none renamed or dropped), and no field has an initial default to fill older files with."""
    current = metadata.schema()
    if any(field.initial_default is not None for field in index_by_id(current).values()):
        return False
    names = index_name_by_id(current).items()
    return all(index_name_by_id(schema).items() <= names for schema in metadata.schemas)


def _describe(con: duckdb.DuckDBPyConnection, scan: str) -> list[tuple[str, str]]:
    rows = con.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()  # noqa: S608
    return [(str(row[0]), str(row[1])) for row in rows]


def create_view(
    con: duckdb.DuckDBPyConnection, name: str, scan: str, temporary: bool = False
) -> None:
    """``CREATE OR REPLACE`` the view ``name`` of every row of the table function ``scan``."""
    kind = "TEMP VIEW" if temporary else "VIEW"
    # A view cannot take parameters: the name and locations are quoted instead.
    con.execute(f"CREATE OR REPLACE {kind} {quote_name(name)} AS SELECT * FROM {scan}")  # noqa: S608


def quote_name(name: str) -> str:
    """``name`` as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    """``value`` as an SQL string literal."""
    return "'" + value.replace("'", "''") + "'"
