from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest
from pyiceberg.catalog import Catalog

from lake.arrow_schema import avro_to_arrow, records_to_arrow
from lake.errors import QueryError, QueryRefusedError
from lake.offsets import append_with_offsets
from lake.query import QueryEngine
from lake.tables import ensure_table
from schemas.loader import load
from tests.unit.lake.conftest import NAMESPACE
from tests.unit.lake.samples import DAY0, click, order, roundtrip

CLICKS = [click(i) for i in range(200)]
ORDERS = [order(i) for i in range(40)]


def _land(catalog: Catalog, topic: str, records: list[dict[str, object]]) -> None:
    schema = load(topic).schema
    table = ensure_table(catalog, NAMESPACE, topic, avro_to_arrow(schema))
    data = records_to_arrow(roundtrip(topic, records), schema)
    append_with_offsets(table, data, topic, {0: len(records)}, expected={})


@pytest.fixture
def engine(catalog: Catalog, extension_dir: Path) -> Iterator[QueryEngine]:
    _land(catalog, "clicks", CLICKS)
    _land(catalog, "orders", ORDERS)
    engine = QueryEngine(catalog, NAMESPACE, extension_dir)
    yield engine
    engine.close()


def test_count_and_group_by_match_what_landed(engine: QueryEngine) -> None:
    assert engine.query("SELECT count(*) AS n FROM clicks").to_pylist() == [{"n": 200}]
    result = engine.query("SELECT region, count(*) AS n FROM clicks GROUP BY region")
    counts = dict(zip(*(c.to_pylist() for c in result.columns), strict=True))
    assert counts == Counter(c["region"] for c in CLICKS)
    by_day = engine.query(
        "SELECT date_trunc('day', event_time) AS day, count(*) AS n FROM clicks GROUP BY 1"
    )
    assert sorted(by_day.column("n").to_pylist()) == [66, 67, 67]


def test_timestamps_come_back_as_utc(engine: QueryEngine) -> None:
    result = engine.query("SELECT min(event_time) AS first, max(event_time) AS last FROM clicks")
    first_type = result.schema.field("first").type
    assert pa.types.is_timestamp(first_type)
    assert first_type.tz in ("UTC", "Etc/UTC")
    row = result.to_pylist()[0]
    assert row["first"] == DAY0
    assert row["last"] == max(c["event_time"] for c in CLICKS)
    assert row["first"].utcoffset() == dt.timedelta(0)


def test_both_tables_are_views(engine: QueryEngine) -> None:
    assert engine.tables() == ["clicks", "orders"]
    paid = engine.query(
        "SELECT payload.OrderPaid.method AS method, count(*) AS n FROM orders "
        "WHERE payload.OrderPaid IS NOT NULL GROUP BY 1"
    )
    assert paid.to_pylist() == [{"method": "PAYPAL", "n": 10}]
    joined = engine.query("SELECT count(*) AS n FROM orders o JOIN clicks c ON o.region = c.region")
    assert joined.column("n")[0].as_py() > 0
    shown = engine.query("SHOW TABLES").column(0).to_pylist()
    assert sorted(shown) == ["clicks", "orders"]


def test_new_commits_are_visible_to_the_next_query(engine: QueryEngine, catalog: Catalog) -> None:
    assert engine.query("SELECT count(*) FROM clicks").column(0)[0].as_py() == 200
    table = ensure_table(catalog, NAMESPACE, "clicks", avro_to_arrow(load("clicks").schema))
    more = records_to_arrow(roundtrip("clicks", [click(1000)]), load("clicks").schema)
    append_with_offsets(table, more, "clicks", {0: 201}, expected={0: 200})
    assert engine.query("SELECT count(*) FROM clicks").column(0)[0].as_py() == 201


def test_empty_table_is_queryable(catalog: Catalog, extension_dir: Path) -> None:
    ensure_table(catalog, NAMESPACE, "clicks", avro_to_arrow(load("clicks").schema))
    engine = QueryEngine(catalog, NAMESPACE, extension_dir)
    assert engine.query("SELECT count(*) AS n FROM clicks").to_pylist() == [{"n": 0}]


def test_bad_sql_is_a_query_error_with_duckdb_message(engine: QueryEngine) -> None:
    with pytest.raises(QueryError) as raised:
        engine.query("SELEC page FROM clicks")
    assert str(raised.value).startswith('Parser Error: syntax error at or near "SELEC"')
    assert "\n" not in str(raised.value)


def test_missing_table_is_named(engine: QueryEngine) -> None:
    with pytest.raises(QueryError, match="Table with name purchases does not exist"):
        engine.query("SELECT * FROM purchases")


def test_missing_column_is_named(engine: QueryEngine) -> None:
    with pytest.raises(QueryError, match=r"Binder Error: .*\"nope\""):
        engine.query("SELECT nope FROM clicks")


@pytest.mark.parametrize(
    ("sql", "kind"),
    [
        ("CREATE TABLE t AS SELECT * FROM clicks", "CREATE"),
        ("COPY clicks TO '{out}'", "COPY"),
        ("INSERT INTO clicks SELECT * FROM clicks", "INSERT"),
        ("EXPLAIN ANALYZE COPY (SELECT 1) TO '{out}'", "COPY"),
        ("DROP VIEW clicks", "DROP"),
        ("ATTACH '{out}' AS other", "ATTACH"),
        ("SET enable_external_access = true", "SET"),
        ("INSTALL httpfs", "LOAD"),
    ],
)
def test_writes_are_refused(engine: QueryEngine, tmp_path: Path, sql: str, kind: str) -> None:
    out = tmp_path / "out.csv"
    with pytest.raises(QueryRefusedError, match=f"not {kind}$"):
        engine.query(sql.format(out=out))
    assert not out.exists()
    assert engine.query("SELECT count(*) FROM clicks").column(0)[0].as_py() == 200


def test_several_statements_are_refused(engine: QueryEngine) -> None:
    with pytest.raises(QueryRefusedError, match="one SQL statement, got 2"):
        engine.query("SELECT 1; DROP VIEW clicks")


def test_read_only_forms_are_allowed(engine: QueryEngine) -> None:
    assert engine.query("DESCRIBE clicks").num_rows == 8
    assert engine.query("SUMMARIZE clicks").num_rows == 8
    plan = engine.query("EXPLAIN ANALYZE SELECT count(*) FROM clicks WHERE region = 'eu'")
    assert plan.num_rows >= 1
    assert engine.query("FROM clicks LIMIT 3").num_rows == 3


def test_files_outside_the_warehouse_cannot_be_read(engine: QueryEngine) -> None:
    with pytest.raises(QueryError, match="Permission Error"):
        engine.query("SELECT * FROM read_text('/etc/hostname')")
