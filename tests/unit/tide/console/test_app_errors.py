"""The console app with its dependencies down: each section answers 503 naming the one it
needs, the SQL box answers and refuses as `tide sql serve` does, the page and /metrics serve."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tide.console.app import create_app
from tide.console.context import ConsoleContext
from tide.settings import KafkaSettings, RegistrySettings, TideSettings

DOWN_BROKER, DOWN_REGISTRY = "127.0.0.1:1", "http://127.0.0.1:1"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = TideSettings(
        data_dir=tmp_path,
        kafka=KafkaSettings(bootstrap_servers=DOWN_BROKER),
        registry=RegistrySettings(url=DOWN_REGISTRY),
    )
    with TestClient(create_app(ConsoleContext(settings))) as test_client:
        yield test_client


@pytest.mark.parametrize(
    ("path", "dependency"),
    [
        ("/api/topics", "broker"),
        ("/api/groups", "broker"),
        ("/api/schemas", "registry"),
        ("/api/topics/t/messages", "broker"),
    ],
)
def test_a_section_whose_dependency_is_down_answers_503_naming_it(
    client: TestClient, path: str, dependency: str
) -> None:
    response = client.get(path)
    assert response.status_code == 503
    assert response.json()["dependency"] == dependency


def test_sections_without_that_dependency_still_answer(client: TestClient) -> None:
    overview = client.get("/api/overview").json()
    health = {part["name"]: part["health"] for part in overview["configured"]}
    assert health["broker"] == health["registry"] == "not answering"
    assert client.get("/api/jobs").json() == {"jobs": []}
    assert client.get("/api/lake/tables").json() == {"tables": []}
    assert client.get("/api/streams").json()["workers"] == []


def test_the_sql_box_runs_a_select_and_refuses_writes_and_bad_bodies(client: TestClient) -> None:
    answer = client.post("/api/sql", json={"sql": "SELECT 42 AS answer"})
    assert answer.json() == {"columns": ["answer"], "rows": [[42]], "truncated": False}
    refused = client.post("/api/sql", json={"sql": "DROP TABLE clicks"})
    assert refused.status_code == 403
    assert "DROP" in refused.json()["message"]
    bad = client.post("/api/sql", json={"query": "SELECT 1"})
    assert bad.status_code == 400
    assert "sql" in bad.json()["message"]


def test_the_page_and_the_console_metrics_are_served(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    for path in ("/api/overview", "/api/streams", "/api/topics", "/api/lake/tables", "/api/sql"):
        assert path in page.text
    client.get("/api/topics")
    text = client.get("/metrics").text
    assert 'tide_console_requests_total{route="/api/topics",status="503"}' in text
    assert 'tide_console_errors_total{cause="broker"}' in text


def test_a_parameter_of_the_wrong_kind_is_a_400_naming_it(client: TestClient) -> None:
    response = client.get("/api/topics/t/messages", params={"limit": "ten"})
    assert response.status_code == 400
    assert response.json()["message"].startswith("limit: ")
