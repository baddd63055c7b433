from __future__ import annotations

import threading
from pathlib import Path
from urllib.parse import urlparse

import pyarrow as pa
import pytest
from pyiceberg.catalog import Catalog
from pyiceberg.exceptions import CommitFailedException
from pyiceberg.transforms import DayTransform, IdentityTransform

from lake.arrow_schema import avro_to_arrow, records_to_arrow
from lake.catalog import open_catalog, table_locations
from lake.errors import SchemaMismatchError, TableNotFoundError
from lake.tables import ensure_table, load_table
from schemas.loader import load
from tests.unit.lake.conftest import NAMESPACE
from tests.unit.lake.samples import click, roundtrip


def _clicks(n: int) -> pa.Table:
    return records_to_arrow(
        roundtrip("clicks", [click(i) for i in range(n)]), load("clicks").schema
    )


def test_new_table_is_partitioned_by_day_and_region(catalog: Catalog) -> None:
    table = ensure_table(catalog, NAMESPACE, "clicks", avro_to_arrow(load("clicks").schema))
    spec = [(f.name, f.transform) for f in table.spec().fields]
    assert spec == [("event_time_day", DayTransform()), ("region", IdentityTransform())]

    table.append(_clicks(24))
    files = [urlparse(path).path for path in table.inspect.files()["file_path"].to_pylist()]
    partitions = {tuple(Path(f).parent.parts[-2:]) for f in files}
    assert partitions == {
        (f"event_time_day=2024-03-0{day}", f"region={region}")
        for day in (1, 2, 3)
        for region in ("eu", "us", "apac", "latam")
    }
    assert all(Path(f).is_file() for f in files)


def test_table_without_event_time_or_region_is_unpartitioned(catalog: Catalog) -> None:
    schema = pa.schema([pa.field("page", pa.string(), nullable=False)])
    table = ensure_table(catalog, NAMESPACE, "pages", schema)
    assert table.spec().fields == ()


def test_existing_table_is_returned(catalog: Catalog) -> None:
    schema = avro_to_arrow(load("clicks").schema)
    first = ensure_table(catalog, NAMESPACE, "clicks", schema)
    again = ensure_table(
        catalog, NAMESPACE, "clicks", schema.remove(schema.get_field_index("page"))
    )
    assert again.metadata.table_uuid == first.metadata.table_uuid


def test_existing_table_lacking_columns_is_refused(catalog: Catalog) -> None:
    paid = pa.struct([pa.field("payment_id", pa.string())])
    old = pa.schema(
        [pa.field("order_id", pa.string()), pa.field("payload", pa.struct([("OrderPaid", paid)]))]
    )
    ensure_table(catalog, NAMESPACE, "orders", old)
    with pytest.raises(SchemaMismatchError) as raised:
        ensure_table(catalog, NAMESPACE, "orders", avro_to_arrow(load("orders").schema))
    message = str(raised.value)
    assert "event_id, event_time, customer_id, region, producer, trace_id" in message
    assert "payload.OrderPlaced, payload.OrderPaid.amount_cents" in message
    assert "order_id," not in message


def test_load_missing_table(catalog: Catalog) -> None:
    with pytest.raises(TableNotFoundError, match=r"lake\.nope"):
        load_table(catalog, NAMESPACE, "nope")


def test_lake_tables_do_not_retry_commits_blindly(catalog: Catalog) -> None:
    schema = avro_to_arrow(load("clicks").schema)
    ensure_table(catalog, NAMESPACE, "clicks", schema)
    writer_a = load_table(catalog, NAMESPACE, "clicks")
    writer_b = load_table(catalog, NAMESPACE, "clicks")
    writer_b.append(_clicks(3))
    with pytest.raises(CommitFailedException):
        writer_a.append(_clicks(3))
    assert load_table(catalog, NAMESPACE, "clicks").scan().to_arrow().num_rows == 3


def test_catalog_lists_metadata_locations(catalog: Catalog, tmp_path: Path) -> None:
    assert table_locations(catalog, NAMESPACE) == {}
    assert table_locations(catalog, "absent") == {}
    clicks = ensure_table(catalog, NAMESPACE, "clicks", avro_to_arrow(load("clicks").schema))
    orders = ensure_table(catalog, NAMESPACE, "orders", avro_to_arrow(load("orders").schema))
    reopened = open_catalog(
        f"sqlite:///{tmp_path}/catalog/catalog.sqlite", f"file://{tmp_path}/warehouse"
    )
    assert table_locations(reopened, NAMESPACE) == {
        "clicks": clicks.metadata_location,
        "orders": orders.metadata_location,
    }


def test_writers_creating_the_namespace_at_once_all_succeed(tmp_path: Path) -> None:
    """Two land jobs (or a job and a reader) opening a fresh lake at the same moment: the one
    whose insert loses on the catalog's unique key finds the namespace there, no error."""
    from lake.catalog import ensure_namespace

    errors: list[BaseException] = []
    for attempt in range(6):
        uri = f"sqlite:///{tmp_path}/c{attempt}/catalog.sqlite"
        catalogs = [open_catalog(uri, f"file://{tmp_path}/w{attempt}") for _ in range(6)]
        start = threading.Barrier(len(catalogs))

        def create(catalog: Catalog, start: threading.Barrier = start) -> None:
            start.wait()
            try:
                ensure_namespace(catalog, "racing")
            except BaseException as e:  # collected: asserted below, in the test's thread
                errors.append(e)

        threads = [threading.Thread(target=create, args=(c,)) for c in catalogs]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert all(c.namespace_exists("racing") for c in catalogs)
    assert errors == []
