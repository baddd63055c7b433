"""Lake tables: created partitioned by day(event_time) and region, looked up by name."""

from __future__ import annotations

import logging
from typing import Any

import pyarrow as pa
from pyiceberg.catalog import Catalog
from pyiceberg.exceptions import NoSuchTableError, TableAlreadyExistsError
from pyiceberg.table import Table
from pyiceberg.transforms import DayTransform, IdentityTransform, Transform

from lake.errors import CatalogError, SchemaMismatchError, TableNotFoundError

log = logging.getLogger(__name__)

# Writers fence on the offsets recorded in the snapshot they read (see lake.offsets):
# pyiceberg's automatic retry would re-apply an append on top of a concurrent commit,
# so lake tables are created with it disabled and a lost race surfaces as an error.
TABLE_PROPERTIES = {"commit.retry.num-retries": "0"}


def load_table(catalog: Catalog, namespace: str, name: str) -> Table:
    """The lake table ``namespace.name``; TableNotFoundError if it does not exist."""
    try:
        return catalog.load_table((namespace, name))
    except NoSuchTableError as e:
        raise TableNotFoundError(f"lake table {namespace}.{name} does not exist") from e
    except Exception as e:
        raise CatalogError(f"cannot load lake table {namespace}.{name}: {e}") from e


def ensure_table(catalog: Catalog, namespace: str, name: str, schema: pa.Schema) -> Table:
    """The table ``namespace.name``, created with ``schema`` and the lake's partitioning if missing.

    An existing table is returned as is; SchemaMismatchError if it lacks columns of ``schema``.
    """
    try:
        table = load_table(catalog, namespace, name)
    except TableNotFoundError:
        _create(catalog, (namespace, name), schema)
        table = load_table(catalog, namespace, name)
    missing = _missing_fields(pa.struct(list(table.schema().as_arrow())), pa.struct(list(schema)))
    if missing:
        raise SchemaMismatchError(
            f"lake table {namespace}.{name} lacks column(s) {', '.join(missing)}; "
            "schema evolution is not supported"
        )
    return table


def partition_fields(schema: pa.Schema) -> list[tuple[str, Transform[Any, Any], str]]:
    """The lake's partition fields for ``schema`` as (source column, transform, partition name)."""
    fields: list[tuple[str, Transform[Any, Any], str]] = []
    names = schema.names
    if "event_time" in names and pa.types.is_timestamp(schema.field("event_time").type):
        fields.append(("event_time", DayTransform(), "event_time_day"))
    if "region" in names and _is_string(schema.field("region").type):
        fields.append(("region", IdentityTransform(), "region"))
    return fields


def _create(catalog: Catalog, identifier: tuple[str, str], schema: pa.Schema) -> None:
    fields = partition_fields(schema)
    try:
        txn = catalog.create_table_transaction(
            identifier, schema=schema, properties=TABLE_PROPERTIES
        )
        if fields:
            with txn.update_spec() as spec:
                for source, transform, partition_name in fields:
                    spec.add_field(source, transform, partition_name)
        txn.commit_transaction()
    except TableAlreadyExistsError:
        log.info("lake table %s was created concurrently", ".".join(identifier))
        return
    except Exception as e:
        raise CatalogError(f"cannot create lake table {'.'.join(identifier)}: {e}") from e
    log.info(
        "created lake table %s partitioned by %s",
        ".".join(identifier),
        [partition_name for _, _, partition_name in fields] or "nothing",
    )


def _is_string(data_type: pa.DataType) -> bool:
    return bool(pa.types.is_string(data_type) or pa.types.is_large_string(data_type))


def _missing_fields(existing: pa.DataType, wanted: pa.DataType, path: str = "") -> list[str]:
    """Dotted paths of the fields of ``wanted`` that ``existing`` does not have."""
    if pa.types.is_struct(wanted) and pa.types.is_struct(existing):
        missing: list[str] = []
        for field in wanted:
            index = existing.get_field_index(field.name)
            if index < 0:
                missing.append(f"{path}{field.name}")
            else:
                sub = existing.field(index).type
                missing += _missing_fields(sub, field.type, f"{path}{field.name}.")
        return missing
    if _is_list(wanted) and _is_list(existing):
        return _missing_fields(existing.value_type, wanted.value_type, f"{path}element.")
    if pa.types.is_map(wanted) and pa.types.is_map(existing):
        return _missing_fields(existing.item_type, wanted.item_type, f"{path}value.")
    return []


def _is_list(data_type: pa.DataType) -> bool:
    return bool(pa.types.is_list(data_type) or pa.types.is_large_list(data_type))
