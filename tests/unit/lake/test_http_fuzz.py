"""Fuzz `POST /query` (in-process ASGI client over a real lake: SQLite catalog, Parquet files,
DuckDB). Random SQL built from the statements an attacker would try, random bodies and
limits; properties:
- no response is a 5xx (nor an exception out of the app);
- every answer is JSON of the documented shape, or an Arrow stream when asked;
- nothing is ever written: the lake keeps its rows and no file appears outside it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from pyiceberg.catalog import Catalog

from lake.http.app import create_app
from lake.http.encoding import ARROW_STREAM
from lake.http.request import Ceilings
from lake.query import QueryEngine
from tests.unit.lake.test_query import CLICKS, _land

FUZZ = settings(
    max_examples=400 if os.environ.get("TIDE_CHAOS") == "1" else 80,  # make chaos: longer
    deadline=None,
    database=None,  # no .hypothesis/ directory in the tree; failures print their example
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],  # see the registry's
)
OUT = "/tmp/tide-sql-fuzz-escape"
PIECES = [
    "SELECT", "*", "count(*)", "FROM", "clicks", "orders", "WHERE", "region = 'eu'", "LIMIT",
    "1", "0", "-1", "GROUP BY 1", "ORDER BY 1", ",", "(", ")", ";", "'", '"', "NULL", "UNION ALL",
    "JOIN", "ON true", "range(3)", "'nan'::DOUBLE", "1/0", "'inf'::DOUBLE", "INTERVAL 1 DAY",
    "'\\x00'::BLOB", "[1, 2]", "{'a': 1}", "MAP {'k': 1}", "1::HUGEINT", "1.5::DECIMAL(10,2)",
    "TIME '10:00'", "uuid()", "'ünï'", "DESCRIBE", "SHOW TABLES", "SUMMARIZE", "EXPLAIN",
    "EXPLAIN ANALYZE", "CREATE TABLE t AS", "INSERT INTO clicks", "DELETE FROM clicks",
    "DROP VIEW clicks", f"COPY clicks TO '{OUT}'", f"COPY (SELECT 1) TO '{OUT}'",
    f"ATTACH '{OUT}' AS x", "DETACH x", "SET enable_external_access = true",
    "SET lock_configuration = false", "RESET ALL", "PRAGMA version", "INSTALL httpfs",
    "LOAD httpfs", "read_csv('/etc/passwd')", "read_text('/etc/hostname')",
    "read_parquet('/tmp/*.parquet')", "glob('/*')", f"write_csv('{OUT}')", "getenv('HOME')",
    "CALL pragma_version()", "VACUUM", "CHECKPOINT", "BEGIN", "COMMIT", "USE memory",
    "CREATE SECRET s (TYPE s3)", "query('SELECT 1')", "query_table('clicks')",
    "iceberg_scan('/etc')", "sql_auto_complete('SEL')", "duckdb_settings()",
]  # fmt: skip
VALUES = [
    "*", "count(*)", "region", "event_time", "'nan'::DOUBLE", "'inf'::DOUBLE", "-'inf'::DOUBLE",
    "1/0", "INTERVAL 1 DAY", "'\\x00\\xff'::BLOB", "[1, NULL]", "{'a': 1, 'b': [2.5]}",
    "MAP {'k': 1}", "170141183460469231731687303715884105727::HUGEINT", "1.25::DECIMAL(10,2)",
    "TIME '10:00'", "DATE '2024-02-29'", "TIMESTAMPTZ '2024-01-01 00:00:00+05'", "uuid()",
    "'ünï ✓'", "NULL", "true", "union_value(k := 1)", "2::UTINYINT", "'a'::ENUM_TYPE_MISSING",
    "repeat('x', 10000)", "range", "to_json({'a': 1})", "getenv('HOME')",
]  # fmt: skip
selects = st.builds(
    "SELECT {} FROM {} LIMIT {}".format,
    st.lists(st.sampled_from(VALUES), min_size=1, max_size=3).map(", ".join),
    st.sampled_from(["clicks", "range(30)", "clicks, range(2)", "(SELECT 1)"]),
    st.integers(0, 40),
)
sql_text = st.one_of(
    selects,
    st.lists(st.sampled_from(PIECES), min_size=1, max_size=8).map(" ".join),
    st.text(max_size=60),
)
limits = st.one_of(st.none(), st.integers(-5, 10**20), st.floats(allow_nan=True),
                   st.text(max_size=5), st.booleans())  # fmt: skip
as_of = st.one_of(st.none(), st.integers(-(2**70), 2**70), st.text(max_size=30),
                  st.sampled_from(["2001-01-01", "2999-01-01T00:00:00Z", "0", "now"]),
                  st.lists(st.integers(), max_size=2))  # fmt: skip
query_bodies = st.fixed_dictionaries(
    {"sql": sql_text},
    optional={"max_rows": limits, "timeout_s": limits, "as_of": as_of, "extra": st.integers()},
).map(json.dumps)
sound_bodies = st.fixed_dictionaries(  # the body is right: the SQL and its values are tested
    {"sql": selects}, optional={"max_rows": st.integers(0, 30), "timeout_s": st.just(2)}
).map(json.dumps)
other_bodies = st.one_of(
    st.binary(max_size=40).map(lambda b: b.decode("latin-1")),
    st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=10),
                 lambda inner: st.lists(inner, max_size=3)
                 | st.dictionaries(st.sampled_from(["sql", "as_of", "x"]), inner, max_size=3),
                 max_leaves=6).map(json.dumps),
    st.just("[" * 100_000),
    st.just('{"sql": "' + "x" * (1024 * 1024) + '"}'),
)  # fmt: skip
accepts = st.sampled_from([None, "application/json", ARROW_STREAM, "*/*", "text/csv"])


@pytest.fixture
def client(catalog: Catalog, extension_dir: Path) -> Iterator[TestClient]:
    _land(catalog, "clicks", CLICKS)
    engine = QueryEngine(catalog, "lake", extension_dir)
    with TestClient(create_app(engine, Ceilings(max_rows=20, timeout_s=2.0))) as test_client:
        yield test_client
    engine.close()


def _check(client: TestClient, body: str, accept: str | None) -> None:
    headers = {"Content-Type": "application/json", **({"Accept": accept} if accept else {})}
    try:
        response = client.post("/query", content=body.encode("utf-8", "surrogatepass"),
                               headers=headers)  # fmt: skip
    except Exception as e:
        raise AssertionError(f"the app raised {type(e).__name__}: {e} on {body[:300]!r}") from e
    assert response.status_code < 500, (response.status_code, response.text, body[:300])
    if response.status_code == 200 and accept == ARROW_STREAM:
        assert pa.ipc.open_stream(response.content).read_all().num_rows <= 20
        return
    answer: Any = response.json()
    if response.status_code == 200:
        assert set(answer) == {"columns", "rows", "truncated"}
        assert len(answer["rows"]) <= 20 and isinstance(answer["truncated"], bool)
    else:
        assert response.status_code in (400, 403, 408), response.text
        assert isinstance(answer["message"], str) and answer["error"]


@FUZZ
@given(bodies=st.lists(st.one_of(sound_bodies, query_bodies, other_bodies), min_size=1,
                      max_size=3),
       accept=accepts)  # fmt: skip
def test_no_input_gets_a_5xx_or_writes(
    client: TestClient, bodies: list[str], accept: str | None
) -> None:
    for body in bodies:
        _check(client, body, accept)
    assert not Path(OUT).exists()
    counted = client.post("/query", json={"sql": "SELECT count(*) FROM clicks"}).json()
    assert counted["rows"] == [[len(CLICKS)]]
