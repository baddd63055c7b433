"""The HTTP edge: Confluent paths, payloads, status and error codes (in-process ASGI client)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from registry.api.app import create_app
from registry.service import Registry
from registry.storage.sqlite import SqliteSchemaStore

VND = "application/vnd.schemaregistry.v1+json"
A = json.dumps({"type": "record", "name": "A", "fields": [{"name": "x", "type": "int"}]})


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    return TestClient(create_app(Registry(SqliteSchemaStore(tmp_path / "r.sqlite"))))


def post(client: TestClient, path: str, body: object) -> tuple[int, dict[str, object]]:
    response = client.post(path, content=json.dumps(body), headers={"Content-Type": VND})
    return response.status_code, response.json()


def test_register_lookup_and_read(client: TestClient) -> None:
    status, body = post(client, "/subjects/a-value/versions", {"schema": A, "ruleSet": None})
    assert status == 200
    schema_id = body["id"]
    assert post(client, "/subjects/a-value/versions", {"schema": A}) == (200, {"id": schema_id})
    status, found = post(client, "/subjects/a-value", {"schema": A})
    assert (status, found["id"], found["version"], found["subject"]) == (
        200,
        schema_id,
        1,
        "a-value",
    )
    assert client.get("/subjects").json() == ["a-value"]
    assert client.get("/subjects/a-value/versions").json() == [1]
    latest = client.get("/subjects/a-value/versions/latest")
    assert latest.headers["content-type"].startswith(VND)
    assert latest.json()["id"] == schema_id
    assert json.loads(client.get(f"/schemas/ids/{schema_id}").json()["schema"]) == json.loads(A)
    assert json.loads(client.get(f"/schemas/ids/{schema_id}/schema").text) == json.loads(A)
    assert json.loads(client.get("/subjects/a-value/versions/1/schema").text) == json.loads(A)
    assert client.get("/schemas/types").json() == ["AVRO", "JSON", "PROTOBUF"]
    assert client.get("/config").json() == {"compatibilityLevel": "BACKWARD"}


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("GET", "/subjects/none/versions", None, 404, 40401),
        ("GET", "/subjects/a-value/versions/7", None, 404, 40402),
        ("GET", "/schemas/ids/999", None, 404, 40403),
        ("POST", "/subjects/a-value", {"schema": A.replace('"A"', '"Z"')}, 404, 40403),
        ("POST", "/subjects/a-value/versions", {"schema": '{"type": "nope"}'}, 422, 42201),
        ("GET", "/subjects/a-value/versions/0", None, 422, 42202),
        ("GET", "/subjects/a-value/versions/x", None, 422, 42202),
        ("GET", "/schemas/ids/abc", None, 404, 404),  # as JAX-RS: an id that is no int
    ],
)
def test_error_codes(
    client: TestClient, method: str, path: str, body: object, status: int, code: int
) -> None:
    post(client, "/subjects/a-value/versions", {"schema": A})
    content = None if body is None else json.dumps(body)
    response = client.request(method, path, content=content, headers={"Content-Type": VND})
    assert response.status_code == status
    assert response.json()["error_code"] == code
    assert response.json()["message"]


def test_malformed_json_and_huge_payload_change_nothing(client: TestClient) -> None:
    post(client, "/subjects/a-value/versions", {"schema": A})
    bad = client.post("/subjects/a-value/versions", content="{oops", headers={"Content-Type": VND})
    assert bad.status_code == 400
    assert "malformed JSON" in bad.json()["message"]
    huge = {"schema": A, "padding": "x" * (1024 * 1024 + 1)}
    status, body = post(client, "/subjects/a-value/versions", huge)
    assert (status, body["error_code"]) == (413, 41301)
    assert client.get("/subjects/a-value/versions").json() == [1]


def test_metrics_count_requests(client: TestClient) -> None:
    client.get("/subjects")
    client.get("/subjects")
    text = client.get("/metrics").text
    assert 'registry_requests_total{method="GET",route="/subjects",status="200"} 2' in text


A2 = json.dumps(
    {"type": "record", "name": "A", "fields": [{"name": "x", "type": "int"},
                                              {"name": "y", "type": "string"}]}
)  # fmt: skip


def test_config_endpoints(client: TestClient) -> None:
    assert client.get("/config").json() == {"compatibilityLevel": "BACKWARD"}
    put = client.put("/config", content=json.dumps({"compatibility": "FULL"}))
    assert put.json() == {"compatibility": "FULL"}
    assert client.get("/config/a-value?defaultToGlobal=true").json()["compatibilityLevel"] == "FULL"
    missing = client.get("/config/a-value")
    assert (missing.status_code, missing.json()["error_code"]) == (404, 40408)
    client.put("/config/a-value", content=json.dumps({"compatibility": "NONE"}))
    assert client.get("/config/a-value").json() == {"compatibilityLevel": "NONE"}
    assert client.delete("/config/a-value").json() == {"compatibilityLevel": "NONE"}
    bad = client.put("/config", content=json.dumps({"compatibility": "SIDEWAYS"}))
    assert (bad.status_code, bad.json()["error_code"]) == (422, 42203)
    assert client.get("/config").json() == {"compatibilityLevel": "FULL"}


def test_incompatible_registration_and_compatibility_checks(client: TestClient) -> None:
    post(client, "/subjects/a-value/versions", {"schema": A})
    status, body = post(client, "/subjects/a-value/versions", {"schema": A2})
    assert (status, body["error_code"]) == (409, 40901)
    assert "/fields/1" in str(body["message"])
    assert client.get("/subjects/a-value/versions").json() == [1]
    path = "/compatibility/subjects/a-value/versions"
    assert post(client, f"{path}/latest", {"schema": A2}) == (200, {"is_compatible": False})
    status, verbose = post(client, f"{path}?verbose=true", {"schema": A2})
    assert verbose["is_compatible"] is False
    assert "reader_field_missing_default_value" in str(verbose["messages"])
    assert post(client, f"{path}/1", {"schema": A}) == (200, {"is_compatible": True})
    status, body = post(client, "/compatibility/subjects/none/versions/1", {"schema": A})
    assert (status, body["error_code"]) == (404, 40402)  # as Confluent: the version is missing


def test_soft_and_hard_deletes(client: TestClient) -> None:
    _, first = post(client, "/subjects/d-value/versions", {"schema": A})
    client.put("/config/d-value", content=json.dumps({"compatibility": "NONE"}))
    _, second = post(client, "/subjects/d-value/versions", {"schema": A2})
    hard_first = client.delete("/subjects/d-value/versions/1?permanent=true")
    assert (hard_first.status_code, hard_first.json()["error_code"]) == (404, 40407)
    assert client.delete("/subjects/d-value/versions/1").json() == 1
    again = client.delete("/subjects/d-value/versions/1")
    assert (again.status_code, again.json()["error_code"]) == (404, 40406)
    assert client.get("/subjects/d-value/versions").json() == [2]
    assert client.get("/subjects/d-value/versions?deleted=true").json() == [1, 2]
    assert client.delete("/subjects/d-value/versions/1?permanent=true").json() == 1
    early = client.delete("/subjects/d-value?permanent=true")
    assert (early.status_code, early.json()["error_code"]) == (404, 40405)
    assert client.delete("/subjects/d-value").json() == [2]
    assert "d-value" not in client.get("/subjects").json()
    assert "d-value" in client.get("/subjects?deleted=true").json()
    twice = client.delete("/subjects/d-value")
    assert (twice.status_code, twice.json()["error_code"]) == (404, 40404)
    assert client.delete("/subjects/d-value?permanent=true").json() == [2]
    assert "d-value" not in client.get("/subjects?deleted=true").json()
    # ids are never reused, and a schema stays readable by id
    assert client.get(f"/schemas/ids/{second['id']}").status_code == 200
    _, new = post(client, "/subjects/other-value/versions", {"schema": A.replace('"x"', '"w"')})
    assert new["id"] > second["id"] > first["id"]
    # registered again after deletion: its old id, a new version number (as Confluent does)
    assert post(client, "/subjects/d-value/versions", {"schema": A}) == (200, {"id": first["id"]})
    assert client.get("/subjects/d-value/versions").json() == [3]
    assert client.get("/subjects/d-value/versions/3").json()["id"] == first["id"]


def test_schema_usages(client: TestClient) -> None:
    _, a = post(client, "/subjects/a-value/versions", {"schema": A})
    post(client, "/subjects/b-value/versions", {"schema": A})
    assert client.get(f"/schemas/ids/{a['id']}/subjects").json() == ["a-value", "b-value"]
    assert client.get(f"/schemas/ids/{a['id']}/versions").json() == [
        {"subject": "a-value", "version": 1},
        {"subject": "b-value", "version": 1},
    ]
    assert client.get("/schemas/ids/999/subjects").json()["error_code"] == 40403
