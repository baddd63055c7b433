"""The lake's Iceberg catalog: a pyiceberg SQL catalog over SQLite (or any SQLAlchemy URI)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote, urlparse

from pyiceberg.catalog import Catalog
from pyiceberg.catalog.sql import IcebergTables, SqlCatalog
from pyiceberg.exceptions import NoSuchNamespaceError, NoSuchTableError
from sqlalchemy import select
from sqlalchemy.orm import Session

from lake.errors import CatalogError

log = logging.getLogger(__name__)

_SQLITE_PREFIX = "sqlite:///"


def open_catalog(
    uri: str, warehouse: str, name: str = "tide", properties: Mapping[str, str] | None = None
) -> Catalog:
    """Open (creating if needed) the SQL catalog at ``uri`` storing data under ``warehouse``.

    ``uri`` is an SQLAlchemy URI such as ``sqlite:////abs/path/catalog.sqlite``;
    ``warehouse`` is ``file:///abs/dir`` or ``s3://bucket/prefix``; ``properties`` are
    pyiceberg catalog properties (e.g. ``s3.endpoint``). Local parent directories are created.
    """
    _make_local_dirs(uri, warehouse)
    for attempt in range(1, 4):
        try:
            catalog = SqlCatalog(name, uri=uri, warehouse=warehouse, **dict(properties or {}))
            break
        except Exception as e:  # SQLAlchemy and pyiceberg raise many types here
            # Two processes opening a new catalog at once both create its tables; the one that
            # loses finds them there on the next try.
            if "already exists" in str(e) and attempt < 3:
                continue
            raise CatalogError(f"cannot open the lake catalog at {uri}: {e}") from e
    log.debug("opened catalog %s at %s (warehouse %s)", name, uri, warehouse)
    return catalog


def ensure_namespace(catalog: Catalog, namespace: str) -> None:
    """Create ``namespace`` unless it exists (also when another process creates it at once:
    the SQL catalog then fails on its unique key, and the namespace is there)."""
    try:
        catalog.create_namespace_if_not_exists(namespace)
    except Exception as e:
        try:
            exists = catalog.namespace_exists(namespace)
        except Exception:
            exists = False
        if exists:
            log.debug("namespace %s created concurrently", namespace)
            return
        raise CatalogError(f"cannot create namespace {namespace!r}: {e}") from e


def table_locations(catalog: Catalog, namespace: str) -> dict[str, str]:
    """The current metadata location of every table in ``namespace``, by table name."""
    if isinstance(catalog, SqlCatalog):
        return _sql_table_locations(catalog, namespace)
    try:
        identifiers = catalog.list_tables(namespace)
    except NoSuchNamespaceError:
        return {}
    except Exception as e:
        raise CatalogError(f"cannot list the tables of {namespace!r}: {e}") from e
    locations: dict[str, str] = {}
    for identifier in sorted(identifiers):
        try:
            table = catalog.load_table(identifier)
        except NoSuchTableError:
            continue  # dropped since it was listed
        except Exception as e:
            raise CatalogError(f"cannot load table {'.'.join(identifier)}: {e}") from e
        locations[identifier[-1]] = table.metadata_location
    return locations


def _sql_table_locations(catalog: SqlCatalog, namespace: str) -> dict[str, str]:
    """``table_locations`` of an SQL catalog in one SELECT on its ``iceberg_tables``: the
    rows ``list_tables`` and ``load_table`` read, without reading each table's metadata file."""
    statement = select(IcebergTables.table_name, IcebergTables.metadata_location).where(
        IcebergTables.catalog_name == catalog.name,
        IcebergTables.table_namespace == Catalog.namespace_to_string(namespace),
    )
    # pyiceberg's own filter leaving out views (rows of other engines) on a v1 catalog schema.
    type_filter = catalog._iceberg_type_filter()
    if type_filter is not None:
        statement = statement.where(type_filter)
    try:
        with Session(catalog.engine) as session:
            rows = session.execute(statement).all()
    except Exception as e:  # SQLAlchemy's errors, of many types
        raise CatalogError(f"cannot list the tables of {namespace!r}: {e}") from e
    return {name: location for name, location in sorted(rows) if location}


def _make_local_dirs(uri: str, warehouse: str) -> None:
    if uri.startswith(_SQLITE_PREFIX):
        path = uri[len(_SQLITE_PREFIX) :].split("?", 1)[0]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    parsed = urlparse(warehouse)
    if parsed.scheme == "file":
        Path(unquote(parsed.path)).mkdir(parents=True, exist_ok=True)
    elif parsed.scheme == "":
        Path(warehouse).mkdir(parents=True, exist_ok=True)
