"""The engine's views: made again only for tables that changed, reading what iceberg_scan reads."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from pyiceberg.catalog import Catalog
from pyiceberg.types import StringType

from lake.arrow_schema import avro_to_arrow, records_to_arrow
from lake.catalog import table_locations
from lake.offsets import append_with_offsets
from lake.query import QueryEngine
from lake.tables import ensure_table
from lake.views import literal
from schemas.loader import load
from tests.unit.lake.conftest import NAMESPACE
from tests.unit.lake.samples import click, order, roundtrip


def _append(catalog: Catalog, topic: str, records: list[dict[str, object]], first: int) -> None:
    schema = load(topic).schema
    table = ensure_table(catalog, NAMESPACE, topic, avro_to_arrow(schema))
    data = records_to_arrow(roundtrip(topic, records), schema)
    expected = {0: first} if first else {}
    append_with_offsets(table, data, topic, {0: first + len(records)}, expected=expected)


@pytest.fixture
def engine(catalog: Catalog, extension_dir: Path) -> Iterator[QueryEngine]:
    _append(catalog, "clicks", [click(i) for i in range(120)], 0)
    _append(catalog, "orders", [order(i) for i in range(40)], 0)
    engine = QueryEngine(catalog, NAMESPACE, extension_dir)
    yield engine
    engine.close()


def _view_sql(engine: QueryEngine, name: str) -> str:
    rows = engine.query(f"SELECT sql FROM duckdb_views() WHERE view_name = '{name}'").to_pylist()  # noqa: S608
    return str(rows[0]["sql"])


def _rows(con: duckdb.DuckDBPyConnection, scan: str) -> list[tuple[object, ...]]:
    return sorted(con.execute(f"SELECT * FROM {scan}").fetchall(), key=repr)  # noqa: S608


def _same_as_iceberg_scan(engine: QueryEngine, catalog: Catalog, name: str) -> None:
    location = table_locations(catalog, NAMESPACE)[name]
    con = duckdb.connect()
    try:
        con.execute(f"SET extension_directory = {literal(str(engine.extension_dir))}")
        con.execute("LOAD iceberg")
        con.execute("SET TimeZone = 'UTC'")
        expected = con.execute(f"DESCRIBE SELECT * FROM iceberg_scan({literal(location)})")  # noqa: S608
        columns = [(row[0], row[1]) for row in expected.fetchall()]
        wanted = _rows(con, f"iceberg_scan({literal(location)})")
    finally:
        con.close()
    described = engine.query(f'DESCRIBE "{name}"').to_pylist()
    assert [(row["column_name"], row["column_type"]) for row in described] == columns
    got = engine.query(f'SELECT * FROM "{name}"')  # noqa: S608
    assert sorted((tuple(row.values()) for row in got.to_pylist()), key=repr) == wanted


def test_a_query_on_unchanged_tables_makes_no_view(engine: QueryEngine) -> None:
    assert engine.query("SELECT count(*) AS n FROM clicks").to_pylist() == [{"n": 120}]
    made = engine._views.created
    assert made == 2
    for _ in range(3):
        assert engine.query("SELECT count(*) AS n FROM orders").to_pylist() == [{"n": 40}]
    assert engine._views.created == made


def test_a_commit_makes_only_its_tables_view_again(engine: QueryEngine, catalog: Catalog) -> None:
    assert engine.query("SELECT count(*) AS n FROM clicks").to_pylist() == [{"n": 120}]
    orders_view = _view_sql(engine, "orders")
    _append(catalog, "clicks", [click(i) for i in range(120, 130)], 120)
    assert engine.query("SELECT count(*) AS n FROM clicks").to_pylist() == [{"n": 130}]
    assert engine._views.created == 3
    assert _view_sql(engine, "orders") == orders_view


def test_a_dropped_tables_view_goes(engine: QueryEngine, catalog: Catalog) -> None:
    assert engine.tables() == ["clicks", "orders"]
    engine.query("SELECT 1")
    catalog.drop_table((NAMESPACE, "orders"))
    assert engine.query("SELECT count(*) AS n FROM clicks").to_pylist() == [{"n": 120}]
    assert "orders" not in engine.query("SHOW TABLES").column(0).to_pylist()


def test_plain_file_views_read_what_iceberg_scan_reads(
    engine: QueryEngine, catalog: Catalog
) -> None:
    engine.query("SELECT 1")
    for name in ("clicks", "orders"):
        assert "read_parquet" in _view_sql(engine, name)
        _same_as_iceberg_scan(engine, catalog, name)


def test_an_added_column_reads_null_from_older_files(engine: QueryEngine, catalog: Catalog) -> None:
    table = ensure_table(catalog, NAMESPACE, "clicks", avro_to_arrow(load("clicks").schema))
    with table.update_schema() as update:
        update.add_column("campaign", StringType())
    table = table.refresh()
    schema = table.schema().as_arrow()
    newer = records_to_arrow(roundtrip("clicks", [click(500)]), load("clicks").schema)
    newer = newer.append_column("campaign", pa.array(["spring"], pa.large_string()))
    append_with_offsets(table, newer.cast(schema), "clicks", {0: 121}, expected={0: 120})
    result = engine.query("SELECT campaign, count(*) AS n FROM clicks GROUP BY 1 ORDER BY 1")
    assert result.to_pylist() == [{"campaign": "spring", "n": 1}, {"campaign": None, "n": 120}]
    assert "read_parquet" in _view_sql(engine, "clicks")
    _same_as_iceberg_scan(engine, catalog, "clicks")


def test_a_renamed_column_is_read_through_iceberg_scan(
    engine: QueryEngine, catalog: Catalog
) -> None:
    table = ensure_table(catalog, NAMESPACE, "clicks", avro_to_arrow(load("clicks").schema))
    with table.update_schema() as update:
        update.rename_column("device", "device_kind")
    result = engine.query("SELECT count(DISTINCT device_kind) AS n FROM clicks")
    assert result.to_pylist()[0]["n"] > 1
    assert "iceberg_scan" in _view_sql(engine, "clicks")
    _same_as_iceberg_scan(engine, catalog, "clicks")
