from __future__ import annotations

import pyarrow as pa
import pytest
from pyiceberg.catalog import Catalog
from pyiceberg.table import Table

from lake.arrow_schema import avro_to_arrow, records_to_arrow
from lake.errors import (
    OffsetFencingError,
    OffsetHistoryError,
    OffsetRegressionError,
    SchemaMismatchError,
)
from lake.maintenance.compact import compact
from lake.offsets import (
    append_with_offsets,
    committed_offsets,
    offset_properties,
    offsets_key,
)
from lake.tables import ensure_table, load_table
from schemas.loader import load
from tests.unit.lake.conftest import NAMESPACE
from tests.unit.lake.samples import click, roundtrip


@pytest.fixture
def table(catalog: Catalog) -> Table:
    return ensure_table(catalog, NAMESPACE, "clicks", avro_to_arrow(load("clicks").schema))


def _clicks(start: int, n: int) -> pa.Table:
    records = roundtrip("clicks", [click(i) for i in range(start, start + n)])
    return records_to_arrow(records, load("clicks").schema)


def _rows(catalog: Catalog) -> int:
    return int(load_table(catalog, NAMESPACE, "clicks").scan().to_arrow().num_rows)


def test_new_table_has_no_committed_offsets(table: Table) -> None:
    assert committed_offsets(table, "clicks") == {}


def test_appends_merge_offsets_and_land_rows(catalog: Catalog, table: Table) -> None:
    first = append_with_offsets(table, _clicks(0, 10), "clicks", {0: 6, 1: 4}, expected={})
    second = append_with_offsets(
        table, _clicks(10, 5), "clicks", {1: 9, 2: 1}, expected={0: 6, 1: 4}
    )
    reloaded = load_table(catalog, NAMESPACE, "clicks")
    assert committed_offsets(reloaded, "clicks") == {0: 6, 1: 9, 2: 1}
    assert _rows(catalog) == 15
    current = reloaded.current_snapshot()
    assert current is not None
    assert current.snapshot_id == second
    assert current.parent_snapshot_id == first
    assert current.summary is not None
    assert current.summary[offsets_key("clicks")] == '{"0": 6, "1": 9, "2": 1}'


def test_stale_expected_offsets_are_fenced_and_nothing_lands(
    catalog: Catalog, table: Table
) -> None:
    append_with_offsets(table, _clicks(0, 10), "clicks", {0: 10}, expected={})
    with pytest.raises(OffsetFencingError, match=r"expected \{\}, found \{0: 10\}"):
        append_with_offsets(table, _clicks(0, 10), "clicks", {0: 10}, expected={})
    assert _rows(catalog) == 10


def test_a_second_writer_with_an_old_table_object_is_fenced(catalog: Catalog, table: Table) -> None:
    stale = load_table(catalog, NAMESPACE, "clicks")
    append_with_offsets(table, _clicks(0, 3), "clicks", {0: 3}, expected={})
    with pytest.raises(OffsetFencingError):
        append_with_offsets(stale, _clicks(0, 3), "clicks", {0: 3}, expected={})
    assert _rows(catalog) == 3


def test_offsets_survive_foreign_snapshots_without_the_key(catalog: Catalog, table: Table) -> None:
    append_with_offsets(table, _clicks(0, 4), "clicks", {0: 4}, expected={})
    table.append(_clicks(100, 2))  # another writer, no offsets
    table.overwrite(table.scan().to_arrow())  # a compaction rewriting the data
    assert committed_offsets(load_table(catalog, NAMESPACE, "clicks"), "clicks") == {0: 4}
    append_with_offsets(table, _clicks(4, 1), "clicks", {0: 5}, expected={0: 4})
    assert committed_offsets(table, "clicks") == {0: 5}
    assert _rows(catalog) == 7


def test_topics_are_tracked_separately(table: Table) -> None:
    append_with_offsets(table, _clicks(0, 2), "clicks", {0: 2}, expected={})
    append_with_offsets(table, _clicks(2, 2), "clicks-replay", {0: 7}, expected={})
    assert committed_offsets(table, "clicks") == {0: 2}
    assert committed_offsets(table, "clicks-replay") == {0: 7}


def test_offsets_cannot_move_backwards(catalog: Catalog, table: Table) -> None:
    append_with_offsets(table, _clicks(0, 5), "clicks", {0: 5}, expected={})
    with pytest.raises(OffsetRegressionError, match=r"\{0: 3\}"):
        append_with_offsets(table, _clicks(0, 3), "clicks", {0: 3}, expected={0: 5})
    assert _rows(catalog) == 5


def test_data_is_conformed_to_the_table_schema(catalog: Catalog, table: Table) -> None:
    data = _clicks(0, 3)
    shuffled = data.select(list(reversed(data.schema.names)))
    append_with_offsets(table, shuffled, "clicks", {0: 3}, expected={})
    assert _rows(catalog) == 3
    with pytest.raises(SchemaMismatchError, match="missing"):
        append_with_offsets(table, data.drop_columns(["page"]), "clicks", {0: 4}, {0: 3})
    assert _rows(catalog) == 3


def test_expired_history_is_an_error_not_a_restart_from_zero(table: Table) -> None:
    landed = append_with_offsets(table, _clicks(0, 2), "clicks", {0: 2}, expected={})
    table.append(_clicks(2, 1))  # a foreign snapshot without the key
    table.maintenance.expire_snapshots().by_id(landed).commit()
    with pytest.raises(OffsetHistoryError, match="expired"):
        committed_offsets(table, "clicks")


def test_tables_created_elsewhere_get_commit_retry_disabled(catalog: Catalog) -> None:
    schema = avro_to_arrow(load("clicks").schema)
    foreign = catalog.create_table((NAMESPACE, "foreign"), schema=schema)
    assert "commit.retry.num-retries" not in foreign.properties
    append_with_offsets(foreign, _clicks(0, 2), "clicks", {0: 2}, expected={})
    reloaded = load_table(catalog, NAMESPACE, "foreign")
    assert reloaded.properties["commit.retry.num-retries"] == "0"
    assert committed_offsets(reloaded, "clicks") == {0: 2}


def test_a_compaction_carrying_offset_properties_survives_expiry(table: Table) -> None:
    first = append_with_offsets(table, _clicks(0, 2), "clicks", {0: 2}, expected={})
    second = append_with_offsets(table, _clicks(2, 2), "other", {3: 9}, expected={})
    table.overwrite(table.scan().to_arrow(), snapshot_properties=offset_properties(table))
    table.maintenance.expire_snapshots().by_ids([first, second]).commit()
    assert committed_offsets(table, "clicks") == {0: 2}
    assert committed_offsets(table, "other") == {3: 9}


def _interleaved(monkeypatch: pytest.MonkeyPatch, commit: object) -> list[int]:
    """Run ``commit`` (another writer's) once, between the land's offset check and its commit:
    the race a concurrent compaction or land makes. The calls seen, to show it ran."""
    import lake.offsets as offsets_module

    conform = offsets_module.evolution.conform
    calls: list[int] = []

    def racing(data: pa.Table, schema: pa.Schema, name: str) -> pa.Table:
        calls.append(1)
        if len(calls) == 1:
            commit()  # type: ignore[operator]
        return conform(data, schema, name)

    monkeypatch.setattr(offsets_module.evolution, "conform", racing)
    return calls


def test_a_commit_racing_a_writer_that_leaves_the_offsets_is_retried_on_top(
    catalog: Catalog, table: Table, monkeypatch: pytest.MonkeyPatch
) -> None:
    def one_partition(ks: range) -> pa.Table:  # clicks of one day and region: one file each
        return records_to_arrow(
            roundtrip("clicks", [click(12 * k) for k in ks]), load("clicks").schema
        )

    append_with_offsets(table, one_partition(range(6)), "clicks", {0: 6}, expected={})
    append_with_offsets(table, one_partition(range(6, 12)), "clicks", {0: 12}, expected={0: 6})
    other = load_table(catalog, NAMESPACE, "clicks")
    compacted: list[int] = []  # a compaction: a new snapshot, the offsets as they were
    calls = _interleaved(monkeypatch, lambda: compacted.append(compact(other, 1 << 30).written))
    append_with_offsets(table, _clicks(12, 3), "clicks", {0: 15}, expected={0: 12})
    assert compacted and compacted[0] >= 1  # the compaction did commit in between
    assert len(calls) >= 2  # the first commit lost the race, a later one landed on top
    reloaded = load_table(catalog, NAMESPACE, "clicks")
    assert committed_offsets(reloaded, "clicks") == {0: 15} and _rows(catalog) == 15


def test_a_commit_racing_another_land_is_fenced(
    catalog: Catalog, table: Table, monkeypatch: pytest.MonkeyPatch
) -> None:
    append_with_offsets(table, _clicks(0, 4), "clicks", {0: 4}, expected={})
    other = load_table(catalog, NAMESPACE, "clicks")
    _interleaved(monkeypatch, lambda: append_with_offsets(
        other, _clicks(4, 2), "clicks", {0: 6}, expected={0: 4}))  # fmt: skip
    with pytest.raises(OffsetFencingError, match=r"expected \{0: 4\}, found \{0: 6\}"):
        append_with_offsets(table, _clicks(4, 3), "clicks", {0: 7}, expected={0: 4})
    assert _rows(catalog) == 6  # the other land's rows, not this one's
