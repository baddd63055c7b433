"""The valid-through watermark: per-partition latest event times, recorded with the offsets."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
from pyiceberg.catalog import Catalog

from lake.arrow_schema import avro_to_arrow, records_to_arrow
from lake.offsets import append_with_offsets, committed_offsets, offset_properties
from lake.tables import ensure_table, load_table
from lake.watermarks import (
    committed_event_times,
    max_event_times,
    merged,
    valid_through,
    watermark_properties,
)
from schemas.loader import load
from tests.unit.lake.conftest import NAMESPACE
from tests.unit.lake.samples import click, roundtrip

T = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)


def _us(moment: dt.datetime) -> int:
    return (moment - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)


def test_the_latest_event_time_of_each_partition() -> None:
    times = pa.chunked_array([[T, T + dt.timedelta(seconds=5), T - dt.timedelta(seconds=1)]])
    latest = max_event_times([0, 0, 2], times.cast(pa.timestamp("us", tz="UTC")))
    assert latest == {0: _us(T) + 5_000_000, 2: _us(T) - 1_000_000}


def test_merging_keeps_the_later_time_and_partitions_seen_before() -> None:
    assert merged({0: 10, 1: 50}, {0: 20, 1: 40, 3: 5}) == {0: 20, 1: 50, 3: 5}


def test_valid_through_is_the_earliest_partition_and_absent_without_rows() -> None:
    props = watermark_properties("t", {1: _us(T) + 1, 0: _us(T)})
    assert props == {
        "tide.event-times.t": f'{{"0": {_us(T)}, "1": {_us(T) + 1}}}',
        "tide.valid-through.t": "2024-03-01T00:00:00+00:00",
    }
    assert watermark_properties("t", {}) == {}


def test_event_times_are_read_back_from_the_landing_commit(catalog: Catalog) -> None:
    schema = load("clicks").schema
    table = ensure_table(catalog, NAMESPACE, "clicks", avro_to_arrow(schema))
    assert valid_through(table, "clicks") is None
    data = records_to_arrow(roundtrip("clicks", [click(0), click(1)]), schema)
    props = watermark_properties("clicks", {0: _us(T) + 7, 1: _us(T) + 3})
    append_with_offsets(table, data, "clicks", {0: 1, 1: 1}, expected={}, properties=props)
    reloaded = load_table(catalog, NAMESPACE, "clicks")
    assert committed_offsets(reloaded, "clicks") == {0: 1, 1: 1}
    assert committed_event_times(reloaded, "clicks") == {0: _us(T) + 7, 1: _us(T) + 3}
    assert valid_through(reloaded, "clicks") == T + dt.timedelta(microseconds=3)


def test_a_compaction_carrying_offset_properties_keeps_the_event_times(catalog: Catalog) -> None:
    schema = load("clicks").schema
    table = ensure_table(catalog, NAMESPACE, "clicks", avro_to_arrow(schema))
    data = records_to_arrow(roundtrip("clicks", [click(0)]), schema)
    props = watermark_properties("clicks", {0: _us(T)})
    landed = append_with_offsets(table, data, "clicks", {0: 1}, expected={}, properties=props)
    table.overwrite(table.scan().to_arrow(), snapshot_properties=offset_properties(table))
    table.maintenance.expire_snapshots().by_id(landed).commit()
    assert committed_event_times(table, "clicks") == {0: _us(T)}
    assert valid_through(table, "clicks") == T
