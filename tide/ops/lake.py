"""The lake as the CLI sees it: the catalog from settings, landing, SQL, tables and snapshots."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from pyiceberg.catalog import Catalog

from jobs.land import LandConfig, LandJob, LandResult
from lake.catalog import ensure_namespace, open_catalog
from lake.errors import CatalogError
from lake.parquet_store.s3 import S3Root
from lake.parquet_store.s3_requests import s3_options
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


@dataclass(frozen=True)
class Follow:
    """Continuous landing: commit at least every ``every_s`` seconds, until ``stop`` is set."""

    stop: threading.Event
    every_s: float = 5.0


@dataclass(frozen=True)
class Backfill:
    """Land from here (into a new table) instead of resuming: an offset in every partition, or
    the first record at or after a time (epoch ms)."""

    offset: int | None = None
    time_ms: int | None = None


def land_topic(
    settings: TideSettings,
    topic: str,
    table: str | None = None,
    progress: Callable[[LandJob, int], None] | None = None,
    follow: Follow | None = None,
    commit_rows: int | None = None,
    watch: Callable[[LandJob], None] | None = None,
    backfill: Backfill | None = None,
    parquet: bool = False,
) -> LandResult:
    """Land everything ``topic`` holds now into its lake table (exactly once); with ``follow``,
    go on landing what arrives until ``follow.stop`` is set. A commit holds at most
    ``commit_rows`` rows (the job's default if None). With ``parquet``, plain hive-partitioned
    Parquet files under ``<warehouse>/parquet/<table>`` instead (``parquet_root``)."""
    registry = RegistryClient(settings.registry.url)
    try:
        config = LandConfig(
            settings.kafka.bootstrap_servers,
            topic,
            settings.lake.namespace,
            table=table,
            extension_dir=settings.data_dir / "duckdb",
        )
        if follow is not None:
            config = replace(config, follow=True, commit_every_s=follow.every_s)
        if commit_rows is not None:
            config = replace(config, batch_size=commit_rows)
        if backfill is not None:
            config = replace(config, from_offset=backfill.offset, from_time_ms=backfill.time_ms)
        if parquet:
            config = replace(config, parquet_root=parquet_root(settings, config.table_name))
        job: LandJob
        job = LandJob(
            config,
            catalog(settings),
            AvroDeserializer(registry),
            None if progress is None else (lambda rows: progress(job, rows)),
        )
        if watch is not None:
            watch(job)  # before it runs: its metrics are served from the start
        return job.run(None if follow is None else follow.stop)
    finally:
        registry.close()


def parquet_root(settings: TideSettings, table: str) -> Path | S3Root:
    """Where `land --format parquet` writes ``table``: ``<warehouse>/parquet/<table>``, a local
    directory or an S3 prefix (reached with the catalog's ``s3.*`` properties, credentials from
    the standard ``AWS_*`` variables where those leave them out)."""
    warehouse = settings.warehouse
    if warehouse.startswith("file://"):
        return Path(warehouse.removeprefix("file://")) / "parquet" / table
    if warehouse.startswith(("s3://", "s3a://")):
        options = s3_options(settings.lake.catalog_properties(), os.environ)
        return S3Root(f"{warehouse.rstrip('/')}/parquet/{table}", options)
    raise CatalogError(
        f"--format parquet writes to a file:// or s3:// warehouse; this one is {warehouse}"
    )


def query_engine(settings: TideSettings) -> QueryEngine:
    return QueryEngine(catalog(settings), settings.lake.namespace, settings.data_dir / "duckdb")


def lake_tables(settings: TideSettings) -> list[TableStats]:
    """Every lake table's rows, files, bytes, partitions, snapshots and last commit."""
    return table_stats(catalog(settings), settings.lake.namespace)


def lake_snapshots(settings: TideSettings, name: str) -> list[SnapshotEntry]:
    """The snapshots of lake table ``name``, oldest first, with the offsets each recorded."""
    return snapshot_log(load_table(catalog(settings), settings.lake.namespace, name))
