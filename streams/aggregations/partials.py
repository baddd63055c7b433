"""Partial aggregates per (window, key), computed column-wise over Arrow batches and merged.

A partial is what can be combined without the events: counts and sums add, minima and maxima
take the extreme, a mean is a sum and a count, a distinct count is a HyperLogLog register set
(kept apart, one row per register, see ``hll.py``). The partition stage keeps partials in Arrow
tables and merges each batch with ``group_by``; the merge stage combines the partials of every
source partition in plain Python (few rows) and turns them into the output values.

Decoded batches name their columns ``W`` (window start, ms), ``k`` (key), ``v<i>`` (the value of
aggregation ``i``) and ``hi<i>``/``hr<i>`` (register index and rank for distinct ``i``).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from streams.aggregations import hll
from streams.jobs.base import AggKind, Aggregation, ValueType

GROUP = ["W", "k"]
HLL_GROUP = ["W", "k", "agg", "idx"]
_EXTREME: dict[str, Callable[[Any, Any], Any]] = {"sum": operator.add, "min": min, "max": max}


@dataclass(frozen=True)
class PartialColumn:
    """One column of the partial table: how a batch fills it and how two partials merge."""

    name: str
    source: str | None  # batch column; None counts rows
    batch_op: str
    merge_op: str
    type: pa.DataType


def _value_type(agg: Aggregation) -> pa.DataType:
    return pa.int64() if agg.value_type is ValueType.LONG else pa.float64()


def _columns(i: int, agg: Aggregation) -> list[PartialColumn]:
    v, t = f"v{i}", _value_type(agg)
    match agg.kind:
        case AggKind.COUNT:
            return [PartialColumn(f"a{i}_n", None, "count_all", "sum", pa.int64())]
        case AggKind.SUM:
            return [PartialColumn(f"a{i}_s", v, "sum", "sum", t)]
        case AggKind.MIN:
            return [PartialColumn(f"a{i}_min", v, "min", "min", t)]
        case AggKind.MAX:
            return [PartialColumn(f"a{i}_max", v, "max", "max", t)]
        case AggKind.MEAN:
            return [
                PartialColumn(f"a{i}_s", v, "sum", "sum", t),
                PartialColumn(f"a{i}_n", v, "count", "sum", pa.int64()),
            ]
        case AggKind.DISTINCT:
            return []


class PartialPlan:
    """The partial columns of a job's aggregations, and the operations over them."""

    def __init__(self, aggregations: Sequence[Aggregation]) -> None:
        self.aggregations = tuple(aggregations)
        self.columns = [c for i, a in enumerate(aggregations) for c in _columns(i, a)]
        self.distinct = [i for i, a in enumerate(aggregations) if a.kind is AggKind.DISTINCT]
        self.schema = pa.schema(
            [("W", pa.int64()), ("k", pa.string())] + [(c.name, c.type) for c in self.columns]
        )
        self.hll_schema = pa.schema(
            [
                ("W", pa.int64()),
                ("k", pa.string()),
                ("agg", pa.int16()),
                ("idx", pa.uint16()),
                ("rank", pa.uint8()),
            ]
        )

    def value_types(self) -> dict[str, pa.DataType]:
        """The batch value columns this plan reads and their types."""
        return {
            f"v{i}": _value_type(a)
            for i, a in enumerate(self.aggregations)
            if a.kind not in (AggKind.COUNT, AggKind.DISTINCT)
        }

    def empty(self) -> pa.Table:
        return self.schema.empty_table()

    def empty_hll(self) -> pa.Table:
        return self.hll_schema.empty_table()

    def aggregate(self, batch: pa.Table) -> pa.Table:
        """Partials of the rows of ``batch`` per (window, key)."""
        if batch.num_rows == 0:
            return self.empty()
        specs: list[Any] = [
            ([] if c.source is None else c.source, c.batch_op) for c in self.columns
        ]
        out = batch.group_by(GROUP, use_threads=False).aggregate(specs or [([], "count_all")])
        names = {_agg_name(c.source, c.batch_op): c.name for c in self.columns}
        return _conform(out, names, self.schema)

    def merge(self, tables: Iterable[pa.Table]) -> pa.Table:
        """One partial per (window, key) out of several tables of partials."""
        table = pa.concat_tables(list(tables))
        if table.num_rows == 0:
            return self.empty()
        specs: list[Any] = [(c.name, c.merge_op) for c in self.columns] or [([], "count_all")]
        out = table.group_by(GROUP, use_threads=False).aggregate(specs)
        names = {f"{c.name}_{c.merge_op}": c.name for c in self.columns}
        return _conform(out, names, self.schema)

    def aggregate_hll(self, batch: pa.Table) -> pa.Table:
        """Register updates (highest rank per register) of the distinct aggregations."""
        parts = []
        for i in self.distinct:
            rows = batch.select(["W", "k", f"hi{i}", f"hr{i}"]).rename_columns(
                ["W", "k", "idx", "rank"]
            )
            rows = rows.filter(pc.is_valid(rows["idx"]))
            agg = pa.array([i] * rows.num_rows, pa.int16())
            parts.append(rows.append_column("agg", agg).select(self.hll_schema.names))
        return self.merge_hll(parts)

    def merge_hll(self, tables: Iterable[pa.Table]) -> pa.Table:
        table = pa.concat_tables([t.cast(self.hll_schema) for t in tables] or [self.empty_hll()])
        if table.num_rows == 0:
            return self.empty_hll()
        out = table.group_by(HLL_GROUP, use_threads=False).aggregate([("rank", "max")])
        return _conform(out, {"rank_max": "rank"}, self.hll_schema)

    def combine(self, partials: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
        """Merge partials given as dicts (column name → value; None where nothing was seen)."""
        out: dict[str, Any] = {}
        for partial in partials:
            for c in self.columns:
                value = partial.get(c.name)
                if value is None:
                    continue
                prev = out.get(c.name)
                out[c.name] = value if prev is None else _EXTREME[c.merge_op](prev, value)
        return out

    def finalize(
        self, merged: Mapping[str, Any], registers: Mapping[int, Mapping[int, int]]
    ) -> dict[str, Any]:
        """The output values of one (window, key), by aggregation name."""
        values: dict[str, Any] = {}
        for i, a in enumerate(self.aggregations):
            match a.kind:
                case AggKind.COUNT:
                    values[a.name] = int(merged.get(f"a{i}_n") or 0)
                case AggKind.SUM:
                    values[a.name] = merged.get(f"a{i}_s")
                case AggKind.MIN:
                    values[a.name] = merged.get(f"a{i}_min")
                case AggKind.MAX:
                    values[a.name] = merged.get(f"a{i}_max")
                case AggKind.MEAN:
                    n = merged.get(f"a{i}_n") or 0
                    values[a.name] = None if n == 0 else merged[f"a{i}_s"] / n
                case AggKind.DISTINCT:
                    values[a.name] = hll.estimate(registers.get(i, {}))
        return values


def _agg_name(source: str | None, op: str) -> str:
    return op if source is None else f"{source}_{op}"


def _conform(table: pa.Table, names: dict[str, str], schema: pa.Schema) -> pa.Table:
    renamed = table.rename_columns([names.get(n, n) for n in table.column_names])
    return renamed.select(schema.names).cast(schema)
