"""The lake as the CLI sees it: the catalog from settings, landing, SQL, tables and snapshots."""

from __future__ import annotations

from collections.abc import Callable

from pyiceberg.catalog import Catalog

from jobs.land import LandConfig, LandJob, LandResult
from lake.catalog import ensure_namespace, open_catalog
from lake.query import QueryEngine
from lake.snapshot_log import SnapshotEntry, snapshot_log
from lake.table_stats import TableStats, table_stats
from lake.tables import load_table
from producers.deserializer import AvroDeserializer
from producers.registry_client import RegistryClient
from tide.settings import TideSettings


def catalog(settings: TideSettings) -> Catalog:
    cat = open_catalog(
        settings.catalog_uri, settings.warehouse, properties=settings.lake.catalog_properties()
    )
    ensure_namespace(cat, settings.lake.namespace)
    return cat


def land_topic(
    settings: TideSettings,
    topic: str,
    table: str | None = None,
    progress: Callable[[LandJob, int], None] | None = None,
) -> LandResult:
    """Land everything ``topic`` holds now into its lake table (exactly once)."""
    registry = RegistryClient(settings.registry.url)
    try:
        config = LandConfig(
            settings.kafka.bootstrap_servers,
            topic,
            settings.lake.namespace,
            table=table,
            extension_dir=settings.data_dir / "duckdb",
        )
        job: LandJob
        job = LandJob(
            config,
            catalog(settings),
            AvroDeserializer(registry),
            None if progress is None else (lambda rows: progress(job, rows)),
        )
        return job.run()
    finally:
        registry.close()


def query_engine(settings: TideSettings) -> QueryEngine:
    return QueryEngine(catalog(settings), settings.lake.namespace, settings.data_dir / "duckdb")


def lake_tables(settings: TideSettings) -> list[TableStats]:
    """Every lake table's rows, files, bytes, partitions, snapshots and last commit."""
    return table_stats(catalog(settings), settings.lake.namespace)


def lake_snapshots(settings: TideSettings, name: str) -> list[SnapshotEntry]:
    """The snapshots of lake table ``name``, oldest first, with the offsets each recorded."""
    return snapshot_log(load_table(catalog(settings), settings.lake.namespace, name))
