"""Column-wise decoding with the real DuckDB avro extension, and what becomes a dead letter."""

from __future__ import annotations

import io
import json
import random
import time
from pathlib import Path
from typing import Any

import fastavro
import pytest

from producers import wire
from producers.errors import RegistryRequestError
from producers.generators.clicks import clicks
from producers.generators.clock import EventClock
from producers.generators.orders import orders
from schemas.loader import load
from streams.aggregations.partials import PartialPlan
from streams.io.decode import BatchDecoder
from streams.jobs.base import Timing
from streams.jobs.shipped import shipped_jobs

JOBS = shipped_jobs(Timing(60_000))
CLICKS = load("clicks").schema
CLICKS_V2 = {
    **CLICKS,
    "fields": [
        *CLICKS["fields"],
        {"name": "campaign", "type": ["null", "string"], "default": None},
    ],
}


class Schemas:
    """Writer schemas by id, as the registry serves them."""

    def __init__(self, schemas: dict[int, dict[str, Any]]) -> None:
        self._schemas = {i: json.dumps(s) for i, s in schemas.items()}

    def schema_by_id(self, schema_id: int) -> str:
        if schema_id not in self._schemas:
            raise RegistryRequestError(f"schema {schema_id} not found", 404)
        return self._schemas[schema_id]


def encode(schema_id: int, schema: dict[str, Any], record: dict[str, Any]) -> bytes:
    out = io.BytesIO()
    fastavro.schemaless_writer(out, fastavro.parse_schema(schema), record)
    return wire.header(schema_id) + out.getvalue()


@pytest.fixture
def decoder(tmp_path: Path) -> Any:
    made: list[BatchDecoder] = []

    def make(job: str, schemas: dict[int, dict[str, Any]]) -> BatchDecoder:
        plan = PartialPlan(JOBS[job].aggregations)
        made.append(BatchDecoder(JOBS[job], plan, Schemas(schemas), 3_600_000, tmp_path))
        return made[-1]

    yield make
    for d in made:
        d.close()


def some_clicks(n: int) -> list[dict[str, Any]]:
    return [r for _, r in clicks(n, EventClock.spanning(n, 60), seed=3)]


def test_a_batch_decodes_column_wise_in_offset_order(decoder: Any) -> None:
    records = some_clicks(50)
    out = decoder("clicks_per_minute", {7: CLICKS}).decode([encode(7, CLICKS, r) for r in records])
    assert out.dead == []
    rows = out.table.to_pylist()
    assert [r["k"] for r in rows] == [r["page"] for r in records]
    assert [r["t"] for r in rows] == [int(r["event_time"].timestamp() * 1000) for r in records]
    assert [r["pos"] for r in rows] == list(range(50))


def test_two_writer_schema_versions_in_one_batch(decoder: Any) -> None:
    records = some_clicks(6)
    values = [
        encode(7, CLICKS, r) if i % 2 else encode(8, CLICKS_V2, {**r, "campaign": "x"})
        for i, r in enumerate(records)
    ]
    out = decoder("clicks_per_minute", {7: CLICKS, 8: CLICKS_V2}).decode(values)
    assert out.table["pos"].to_pylist() == list(range(6))
    assert out.table["k"].to_pylist() == [r["page"] for r in records]


def test_bad_records_become_dead_letters_with_reasons_and_the_rest_goes_on(decoder: Any) -> None:
    good = [encode(7, CLICKS, r) for r in some_clicks(3)]
    far = {**some_clicks(1)[0], "event_time": int((time.time() + 86_400) * 1000)}
    values: list[bytes | None] = [
        good[0],
        b'{"json": true}',
        b"\x00\x00",
        wire.header(99) + b"\x02",
        good[1],
        wire.header(7) + b"\xff\xff\xff",
        encode(7, CLICKS, far),
        None,
        good[2],
    ]
    out = decoder("clicks_per_minute", {7: CLICKS}).decode(values)
    assert out.table["pos"].to_pylist() == [0, 4, 8]
    reasons = dict(out.dead)
    assert "unknown magic byte 123" in reasons[1]
    assert "shorter than the 5-byte wire header" in reasons[2]
    assert "unknown schema id 99" in reasons[3]
    assert "does not decode with schema id 7" in reasons[5]
    assert "ahead of the wall clock" in reasons[6]
    assert "tombstone" in reasons[7]


def test_a_missing_time_field_is_a_dead_letter(decoder: Any) -> None:
    no_time = {**CLICKS, "fields": [f for f in CLICKS["fields"] if f["name"] != "event_time"]}
    record = {k: v for k, v in some_clicks(1)[0].items() if k != "event_time"}
    out = decoder("clicks_per_minute", {5: no_time}).decode([encode(5, no_time, record)])
    assert out.table.num_rows == 0
    assert "no field 'event_time'" in out.dead[0][1]


def test_union_branches_select_the_paid_amounts(decoder: Any) -> None:
    schema = load("orders").schema
    records = [r for _, r in orders(40, EventClock.spanning(40, 60), seed=5)]
    out = decoder("revenue_per_region", {3: schema}).decode([encode(3, schema, r) for r in records])
    paid = [
        r["payload"][1]["amount_cents"] if r["payload"][0].endswith("OrderPaid") else None
        for r in records
    ]
    assert out.table["m"].to_pylist() == [p is not None for p in paid]
    assert out.table["v0"].to_pylist() == paid
    assert out.table["k"].to_pylist() == [r["region"] for r in records]


def test_distinct_aggregations_get_register_updates(decoder: Any) -> None:
    records = some_clicks(20)
    out = decoder("distinct_users_per_page", {7: CLICKS}).decode(
        [encode(7, CLICKS, r) for r in records]
    )
    assert out.table["hi0"].null_count == 0
    assert all(1 <= r <= 53 for r in out.table["hr0"].to_pylist())


def test_successive_batches_of_the_same_size_are_never_mixed_up(decoder: Any) -> None:
    """Every batch rewrites one container file; each must decode to its own records."""
    records = some_clicks(400)
    values = [encode(7, CLICKS, r) for r in records]
    decode = decoder("clicks_per_minute", {7: CLICKS}).decode
    rng = random.Random(1)
    for _ in range(1_500):
        chosen = rng.sample(range(len(values)), 50)
        table = decode([values[i] for i in chosen]).table
        assert table["k"].to_pylist() == [records[i]["page"] for i in chosen]
        assert table["t"].to_pylist() == [
            int(records[i]["event_time"].timestamp() * 1000) for i in chosen
        ]
