"""Backfill / replay: `tide jobs submit land --from-offset N | --from-time T --table NEW` lands a
topic from a chosen point into a new table, exactly the records from there on, on both brokers
(the embedded one answers a time with the start of the batch holding it: the job reads forward
to the exact record). The new table then resumes like any other; a backfill into a table that
already holds the topic's offsets is refused, and so is an offset the topic does not hold."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.integration.maintenance_fixtures import Landed
from tests.integration.test_bad_input import run
from tests.unit.lake.samples import click
from tide.ops.lake import query_engine

# The records' broker timestamps: BASE_MS + i seconds (recent: Kafka's 7-day retention would
# delete older ones at once)
BASE_MS = (int(time.time()) - 3600) * 1000


@pytest.fixture
def made(tmp_path: Path, data_broker: Any, registry_url: str) -> Iterator[Landed]:
    landed = Landed(tmp_path, data_broker, registry_url)
    yield landed
    landed.close()


def _produce(landed: Landed, numbers: range) -> None:
    """Clicks ``numbers`` in one flush (so one batch holds earlier and later times), click i to
    partition i % 2 with timestamp BASE_MS + i s."""
    for i in numbers:
        event = click(i)
        landed.producer.produce(landed.topic, landed.serializer.encode(event), partition=i % 2,
                                timestamp=BASE_MS + i * 1000)  # fmt: skip
        landed.sent.add(event["event_id"])
    assert landed.producer.flush(30) == 0


def _ids(landed: Landed, table: str) -> list[str]:
    engine = query_engine(landed.settings())
    try:
        rows = engine.query(f"SELECT event_id FROM {table} ORDER BY event_id").to_pylist()  # noqa: S608
    finally:
        engine.close()
    return [r["event_id"] for r in rows]


def _clicks(numbers: range) -> list[str]:
    return sorted(str(uuid.UUID(int=i)) for i in numbers)


def test_a_backfill_from_a_time_lands_exactly_what_came_at_or_after_it(made: Landed) -> None:
    _produce(made, range(20))
    cut = datetime.fromtimestamp((BASE_MS + 12_000) / 1000, UTC).isoformat()
    table = f"{made.topic}_since"
    made.tide("jobs", "submit", "land", "--topic", made.topic, "--table", table, "--from-time", cut)
    assert _ids(made, table) == _clicks(range(12, 20))
    _produce(made, range(20, 24))  # the backfilled table resumes where it was, like any other
    made.tide("jobs", "submit", "land", "--topic", made.topic, "--table", table)
    assert _ids(made, table) == _clicks(range(12, 24))


def test_a_backfill_from_an_offset_and_what_is_refused(landed: Landed) -> None:
    made = landed  # the embedded broker only: nothing here depends on the broker
    _produce(made, range(20))  # offsets 0..9 in each partition
    table = f"{made.topic}_tail"
    made.tide("jobs", "submit", "land", "--topic", made.topic, "--table", table,
              "--from-offset", "7")  # fmt: skip
    assert _ids(made, table) == _clicks(range(14, 20))  # offsets 7, 8, 9 of both partitions

    again = run(made.tmp_path, made.env, "jobs", "submit", "land", "--topic", made.topic,
                "--table", table, "--from-offset", "0")  # fmt: skip
    assert again.returncode == 1 and f"{table} already holds {made.topic}" in again.stderr
    beyond = run(made.tmp_path, made.env, "jobs", "submit", "land", "--topic", made.topic,
                 "--table", f"{made.topic}_x", "--from-offset", "50")  # fmt: skip
    assert beyond.returncode == 1 and "holds offsets 0..10" in beyond.stderr
    both = run(made.tmp_path, made.env, "jobs", "submit", "land", "--topic", made.topic,
               "--from-offset", "1", "--from-time", "2026-01-01T00:00:00Z")  # fmt: skip
    assert both.returncode == 1 and "not both" in both.stderr
    assert _ids(made, table) == _clicks(range(14, 20))  # the refusals changed nothing
