"""Landing under kill -9: a continuous land job (`tide jobs submit land --follow`, a real
process) is killed with SIGKILL at random points while events keep arriving, and restarted each
time; halfway through, the producers switch to a compatible v2 of the schema (an added
optional field). At the end the table holds exactly the produced events — count, distinct
event ids, set equality — and each v2 event its field, each v1 event null.

Both landing formats: an Iceberg table, and plain Parquet files (`--format parquet`). CI-sized
by default (3 kills, on Kafka); `make chaos` (TIDE_CHAOS=1) kills 20 times, on both
brokers. The seed is printed: a failure can be replayed with TIDE_CHAOS_SEED."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from producers.serializer import AvroSerializer
from schemas.loader import load
from tests.integration.test_bad_input import run
from tests.integration.test_land_follow import Source, stop
from tests.unit.lake.samples import click

BIG = os.environ.get("TIDE_CHAOS") == "1"
KILLS = 20 if BIG else 3
V2 = json.dumps({**load("clicks").schema, "fields": [
    *load("clicks").schema["fields"],
    {"name": "campaign", "type": ["null", "string"], "default": None}]})  # fmt: skip


@pytest.fixture
def source(tmp_path: Path, long_data_broker: Any, registry_url: str) -> Iterator[Source]:
    made = Source(tmp_path, long_data_broker, registry_url)
    yield made
    made.registry.close()


class Feed:
    """Events produced in small waves from a thread until stopped: v1, then v2 once asked."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.v2: AvroSerializer | None = None
        self.campaigns: dict[str, str | None] = {}  # event id -> its campaign (None: a v1 event)
        self.next = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Feed:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(60)

    def switch_to_v2(self) -> None:
        with self._lock:
            self.v2 = AvroSerializer(self.source.registry, f"{self.source.topic}-value", V2)

    def _run(self) -> None:
        producer = self.source.producer
        while not self._stop.is_set():
            with self._lock:
                for _ in range(20):
                    i, self.next = self.next, self.next + 1
                    event = click(i)
                    campaign = None if self.v2 is None else f"c{i}"
                    encoder = self.source.serializer if self.v2 is None else self.v2
                    value = encoder.encode({**event, "campaign": campaign} if self.v2 else event)
                    producer.produce(self.source.topic, value, partition=i % 2)
                    self.source.sent[event["event_id"]] = i % 2
                    self.campaigns[event["event_id"]] = campaign
                assert producer.flush(30) == 0
            self._stop.wait(0.05)  # the feed's pace: ~400 events/s


@pytest.mark.parametrize("fmt", ["iceberg", "parquet"])
def test_land_killed_at_random_points_with_a_schema_change_lands_each_event_once(
    source: Source, fmt: str
) -> None:
    seed = int(os.environ.get("TIDE_CHAOS_SEED", random.randrange(1 << 30)))
    print(f"TIDE_CHAOS_SEED={seed}")
    rng = random.Random(seed)
    extra = ("--format", fmt)
    with Feed(source) as feed:
        for kill in range(KILLS):
            if kill == KILLS // 2:
                feed.switch_to_v2()
            with source.follow(*extra) as job:
                time.sleep(rng.uniform(0.5, 3.0))  # the random point of the kill, not a sync
                job.send_signal(signal.SIGKILL)
                job.communicate(timeout=30)
            assert job.returncode == -signal.SIGKILL
    total = len(source.sent)
    with source.follow(*extra) as last:
        _await(lambda: len(_landed(source, fmt)) >= total, last)
        stop(last)
    rows = _landed(source, fmt)
    assert len(rows) == total and len(set(rows)) == total  # none lost, none twice
    assert set(rows) == set(source.sent)
    assert rows == feed.campaigns  # each v2 event its field, each v1 event null
    assert any(c is not None for c in feed.campaigns.values())  # v2 events were landed


def _landed(source: Source, fmt: str) -> dict[str, str | None]:
    """event id -> campaign of every landed row (a duplicate id would shrink the dict, so the
    count is checked on the list first)."""
    if fmt == "parquet":
        root = source.tmp_path / "warehouse" / "parquet" / source.topic
        if not (root / "_tide_offsets.json").exists():
            return {}
        glob = str(root / "**" / "*.parquet")
        try:  # files of v1 only have no campaign column at all: read them whole
            relation = duckdb.sql(
                f"SELECT * FROM read_parquet('{glob}', hive_partitioning = true, "  # noqa: S608
                "union_by_name = true)"
            )
            rows = [dict(zip(relation.columns, r, strict=True)) for r in relation.fetchall()]
        except duckdb.IOException:  # a killed run's file removed as it was listed: ask again
            return {}
        pairs = [(r["event_id"], r.get("campaign")) for r in rows]
    else:
        query = f"SELECT * FROM {source.topic}"  # noqa: S608 - campaign: only once v2 landed
        result = run(source.tmp_path, source.env, "sql", query, "-o", "json", "--max-rows", "0")
        if result.returncode != 0:
            assert "does not exist" in result.stderr, result.stderr
            return {}
        pairs = [(r["event_id"], r.get("campaign")) for r in json.loads(result.stdout)]
    landed = dict(pairs)
    assert len(landed) == len(pairs), "an event was landed twice"
    return landed


def _await(check: Callable[[], bool], job: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while not check():
        assert job.poll() is None, job.communicate()
        assert time.monotonic() < deadline, "the last run did not land everything in 120 s"
        time.sleep(0.3)  # polling interval of the condition
