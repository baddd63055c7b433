"""`tide sql serve` as a real process over a real lake: POST /query answers JSON or Arrow,
keeps the sandbox (403 for every forbidden statement), stops a runaway statement at its
timeout (408), cuts at the row limit, reads as of a snapshot, and requires basic auth."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyarrow as pa
import pytest

from registry.api.auth import hash_password
from tests.integration.lake_fixtures import lake_settings, land
from tide.stack.ports import free_port
from tide.stack.process import ServerProcess

AUTH = ("alice", "s3cret")
RUNAWAY = "SELECT count(*) FROM clicks a, clicks b, clicks c, range(1000000000) d"


@dataclass(frozen=True)
class Endpoint:
    url: str
    log: Path
    first_snapshot: int
    out: Path  # where a forbidden statement would write

    def post(self, body: object, **kwargs: object) -> httpx.Response:
        return httpx.post(self.url, json=body, auth=AUTH, timeout=60, **kwargs)  # type: ignore[arg-type]


def _answers(url: str) -> bool:
    try:
        httpx.post(url, json={"sql": "SELECT 1"}, auth=AUTH, timeout=1)
    except httpx.HTTPError:
        return False
    return True


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoint]:
    data_dir = tmp_path_factory.mktemp("sql-serve")
    settings = lake_settings(data_dir)
    first = land(settings, "clicks", range(100), {0: 100})
    land(settings, "clicks", range(100, 200), {0: 200})
    port = free_port()
    users = json.dumps({AUTH[0]: hash_password(AUTH[1], iterations=1000)})
    env = {**os.environ, "TIDE_DATA_DIR": str(data_dir), "TIDE_SQL__USERS": users,
           "TIDE_SQL__MAX_ROWS": "50", "TIDE_SQL__TIMEOUT_SECONDS": "30"}  # fmt: skip
    log = data_dir / "serve.log"
    server = ServerProcess("sql serve", [sys.executable, "-m", "tide", "sql", "serve", "--port",
                                         str(port)], log, env)  # fmt: skip
    url = f"http://127.0.0.1:{port}/query"
    server.start(lambda: _answers(url), timeout_s=60)
    try:
        yield Endpoint(url, log, first, data_dir / "escaped.csv")
    finally:
        server.stop()


def test_it_prints_its_address_and_logs_structured_lines(endpoint: Endpoint) -> None:
    endpoint.post({"sql": "SELECT 42 AS answer"})
    text = endpoint.log.read_text()
    assert f"SQL endpoint at {endpoint.url} (read-only, basic auth)" in text
    assert f"sql endpoint starting url={endpoint.url} auth=basic max_rows=50" in text
    assert "info lake.http.app query answered status=200" in text


def test_a_query_answers_columns_rows_and_truncated(endpoint: Endpoint) -> None:
    response = endpoint.post({"sql": "SELECT region, count(*) AS n FROM clicks GROUP BY 1 "
                              "ORDER BY 1"})  # fmt: skip
    assert response.status_code == 200
    rows = [["apac", 50], ["eu", 50], ["latam", 50], ["us", 50]]
    assert response.json() == {"columns": ["region", "n"], "truncated": False, "rows": rows}


def test_the_row_limit_cuts_and_says_so(endpoint: Endpoint) -> None:
    default = endpoint.post({"sql": "SELECT * FROM clicks"}).json()
    assert len(default["rows"]) == 50 and default["truncated"] is True  # the server's limit
    fewer = endpoint.post({"sql": "SELECT * FROM clicks", "max_rows": 7}).json()
    assert len(fewer["rows"]) == 7 and fewer["truncated"] is True
    more = endpoint.post({"sql": "SELECT * FROM clicks", "max_rows": 500}).json()
    assert len(more["rows"]) == 50  # a request cannot raise the server's ceiling
    whole = endpoint.post({"sql": "SELECT * FROM clicks LIMIT 50"}).json()
    assert whole["truncated"] is False


def test_arrow_ipc_when_asked(endpoint: Endpoint) -> None:
    sql = "SELECT event_id, event_time FROM clicks ORDER BY event_id"
    response = endpoint.post({"sql": sql, "max_rows": 10},
                             headers={"Accept": "application/vnd.apache.arrow.stream"})  # fmt: skip
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.apache.arrow.stream"
    assert response.headers["x-tide-truncated"] == "true"
    table = pa.ipc.open_stream(response.content).read_all()
    rows = endpoint.post({"sql": sql, "max_rows": 10}).json()["rows"]
    assert table.column("event_id").to_pylist() == [r[0] for r in rows]
    assert pa.types.is_timestamp(table.schema.field("event_time").type)


def test_as_of_reads_the_old_rows(endpoint: Endpoint) -> None:
    count = "SELECT count(*) FROM clicks"
    assert endpoint.post({"sql": count}).json()["rows"] == [[200]]
    old = endpoint.post({"sql": count, "as_of": endpoint.first_snapshot})
    assert old.json()["rows"] == [[100]]
    missing = endpoint.post({"sql": count, "as_of": 12345})
    assert missing.status_code == 400
    assert "no lake table has a snapshot with id 12345" in missing.json()["message"]
    early = endpoint.post({"sql": count, "as_of": "2001-01-01T00:00:00Z"})
    assert early.status_code == 400
    assert "lake table clicks has no snapshot at or before 2001-01-01" in early.json()["message"]


@pytest.mark.parametrize(
    ("sql", "needle"),
    [
        ("CREATE TABLE t AS SELECT * FROM clicks", "not CREATE"),
        ("INSERT INTO clicks SELECT * FROM clicks", "not INSERT"),
        ("DELETE FROM clicks", "not DELETE"),
        ("DROP VIEW clicks", "not DROP"),
        ("COPY clicks TO '{out}'", "not COPY"),
        ("COPY (SELECT 1) TO '{out}' (FORMAT csv)", "not COPY"),
        ("EXPLAIN ANALYZE COPY (SELECT 1) TO '{out}'", "not COPY"),
        ("ATTACH '{out}' AS other", "not ATTACH"),
        ("SET enable_external_access = true", "not SET"),
        ("INSTALL httpfs", "not LOAD"),
        ("SELECT 1; DROP VIEW clicks", "one SQL statement, got 2"),
        ("SELECT * FROM read_csv('/etc/passwd')", "Permission Error"),
        ("SELECT * FROM read_text('/etc/hostname')", "Permission Error"),
        ("SELECT * FROM read_parquet('/tmp/*.parquet')", "Permission Error"),
        ("SELECT * FROM glob('/etc/*')", "Permission Error"),
    ],
)
def test_forbidden_statements_are_refused(endpoint: Endpoint, sql: str, needle: str) -> None:
    response = endpoint.post({"sql": sql.format(out=endpoint.out)})
    assert response.status_code == 403, response.text
    assert response.json()["error"] == "forbidden"
    assert needle in response.json()["message"]
    assert not endpoint.out.exists()
    assert endpoint.post({"sql": "SELECT count(*) FROM clicks"}).json()["rows"] == [[200]]


def test_bad_sql_is_400_with_duckdbs_message(endpoint: Endpoint) -> None:
    response = endpoint.post({"sql": "SELEC 1"})
    assert response.status_code == 400
    assert response.json()["message"].startswith('Parser Error: syntax error at or near "SELEC"')
    assert endpoint.post({"sql": "SELECT nope FROM clicks"}).status_code == 400
    assert endpoint.post({"sqll": "SELECT 1"}).status_code == 400
    assert httpx.post(endpoint.url, content=b"{", auth=AUTH).status_code == 400


def test_a_runaway_statement_times_out(endpoint: Endpoint) -> None:
    response = endpoint.post({"sql": RUNAWAY, "timeout_s": 1})
    assert response.status_code == 408
    assert response.json() == {"error": "timeout", "message": "the statement ran past its "
                               "timeout of 1 s and was stopped"}  # fmt: skip
    assert endpoint.post({"sql": "SELECT 1 AS one"}).json()["rows"] == [[1]]  # and it goes on


def test_basic_auth_is_required(endpoint: Endpoint) -> None:
    for auth in (None, ("alice", "wrong"), ("bob", "s3cret")):
        response = httpx.post(endpoint.url, json={"sql": "SELECT 1"}, auth=auth, timeout=10)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == 'Basic realm="tide-sql"'
