"""A real lake in a test's data dir, where the CLI finds it: the SQLite catalog, Parquet files
in the warehouse, rows appended with their offsets the way the land job commits them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lake.arrow_schema import avro_to_arrow, records_to_arrow
from lake.offsets import append_with_offsets, committed_offsets
from lake.tables import ensure_table
from schemas.loader import load
from tests.unit.lake.samples import click, order, roundtrip
from tide.ops.lake import catalog
from tide.settings import TideSettings

SAMPLES = {"clicks": click, "orders": order}


def lake_settings(data_dir: Path) -> TideSettings:
    return TideSettings(data_dir=data_dir)


def land(settings: TideSettings, topic: str, numbers: range, offsets: dict[int, int]) -> int:
    """Append sample records ``numbers`` of ``topic`` with ``offsets``; the new snapshot's id."""
    schema = load(topic).schema
    table = ensure_table(catalog(settings), settings.lake.namespace, topic, avro_to_arrow(schema))
    records: list[dict[str, Any]] = [SAMPLES[topic](i) for i in numbers]
    data = records_to_arrow(roundtrip(topic, records), schema)
    return append_with_offsets(table, data, topic, offsets, committed_offsets(table, topic))
