"""The lake on an s3:// warehouse: a local S3 endpoint (moto_server, started by the project's
own `tide.stack.object_store`) holds the Iceberg data and metadata files; the land job writes
there exactly once (a second run resumes from the offsets), and `tide sql` reads it back
through DuckDB's S3 access. Real broker, registry, SQL catalog, S3 protocol."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.maintenance_fixtures import Landed
from tide.stack.object_store import CREDENTIALS, REGION, LocalObjectStore
from tide.stack.ports import free_port


@pytest.fixture
def on_s3(tmp_path: Path, broker: Any, registry_url: str) -> Iterator[tuple[Landed, str]]:
    store = LocalObjectStore(free_port(), tmp_path)
    store.start()
    store.create_bucket("lake")
    landed = Landed(tmp_path, broker, registry_url)
    landed.env.update({"TIDE_LAKE__WAREHOUSE": "s3://lake/warehouse",
                       "TIDE_LAKE__S3_ENDPOINT": store.endpoint,
                       "AWS_REGION": REGION, **CREDENTIALS})  # fmt: skip
    try:
        yield landed, store.endpoint
    finally:
        landed.close()
        store.stop()


def test_landing_into_an_s3_warehouse_is_exactly_once_and_queryable(
    on_s3: tuple[Landed, str],
) -> None:
    landed, endpoint = on_s3
    landed.produce(range(30))
    first = json.loads(landed.tide("jobs", "submit", "land", "--topic", landed.topic,
                                   "-o", "json").stdout)  # fmt: skip
    assert first["rows_landed"] == 30
    landed.produce(range(30, 45))
    again = json.loads(landed.tide("jobs", "submit", "land", "--topic", landed.topic,
                                   "-o", "json").stdout)  # fmt: skip
    assert again["rows_landed"] == 15  # resumed from the offsets in the S3-held snapshot
    query = f"SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM {landed.topic}"  # noqa: S608
    counted = json.loads(landed.tide("sql", query, "-o", "json").stdout)
    assert counted == [{"n": 45, "d": 45}]
    ids = json.loads(landed.tide("sql", f"SELECT event_id FROM {landed.topic}",  # noqa: S608
                                 "-o", "json", "--max-rows", "0").stdout)  # fmt: skip
    assert {r["event_id"] for r in ids} == landed.sent
    listing = httpx.get(f"{endpoint}/lake?list-type=2&prefix=warehouse/", timeout=10).text
    assert ".parquet" in listing and "metadata.json" in listing  # the files are in the bucket
    assert not (landed.tmp_path / "warehouse").exists()  # and not on the local disk
