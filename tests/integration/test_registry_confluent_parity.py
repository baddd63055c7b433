"""Where a client can tell Tide's registry from Confluent's, it cannot (issue 15), over HTTP
against the real server. Expected strings and codes come from Confluent's source (release
8.3.1) and, for schema strings, from Apache Avro 1.12.1's Java ``Schema.toString()``."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

VND = "application/vnd.schemaregistry.v1+json"

RECORD = {
    "namespace": "shop", "name": "Order", "type": "record", "doc": "an order",
    "fields": [
        {"type": "string", "name": "id"},
        {"default": 0, "type": "long", "name": "qty", "doc": "how many"},
        {"name": "status", "type": {"symbols": ["NEW", "DONE"], "name": "Status", "type": "enum"}},
    ],
}  # fmt: skip
RECORD_STRING = (
    '{"type":"record","name":"Order","namespace":"shop","doc":"an order","fields":['
    '{"name":"id","type":"string"},{"name":"qty","type":"long","doc":"how many","default":0},'
    '{"name":"status","type":{"type":"enum","name":"Status","symbols":["NEW","DONE"]}}]}'
)


@pytest.fixture
def http(registry_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=registry_url, timeout=30) as client:
        yield client


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def post(http: httpx.Client, path: str, body: object, **headers: str) -> httpx.Response:
    return http.post(path, content=json.dumps(body), headers={"Content-Type": VND, **headers})


def register(http: httpx.Client, subject: str, schema: object, **extra: Any) -> int:
    text = schema if isinstance(schema, str) else json.dumps(schema)
    response = post(http, f"/subjects/{subject}/versions", {"schema": text, **extra})
    assert response.status_code == 200, response.text
    return int(response.json()["id"])


# ---------------------------------------------------------------- 1. schema strings


@pytest.mark.parametrize("indent", [None, 2])
def test_schema_strings_come_back_in_avros_order(http: httpx.Client, indent: int | None) -> None:
    subject = unique("parity-string")
    schema_id = register(http, subject, json.dumps(RECORD, indent=indent))
    assert http.get(f"/schemas/ids/{schema_id}").json()["schema"] == RECORD_STRING
    assert http.get(f"/schemas/ids/{schema_id}/schema").text == RECORD_STRING
    assert http.get(f"/subjects/{subject}/versions/1").json()["schema"] == RECORD_STRING
    assert http.get(f"/subjects/{subject}/versions/latest/schema").text == RECORD_STRING
    found = post(http, f"/subjects/{subject}", {"schema": json.dumps(RECORD, indent=4)})
    assert found.json()["schema"] == RECORD_STRING


# ---------------------------------------------------------------- 2. error codes and messages


def error(response: httpx.Response) -> tuple[int, int, str]:
    body = response.json()
    return response.status_code, body["error_code"], body["message"]


def test_incompatible_registration_names_the_old_version(http: httpx.Client) -> None:
    subject = unique("parity-incompatible")
    register(http, subject, RECORD)
    broken = dict(RECORD, fields=[*RECORD["fields"], {"name": "new", "type": "string"}])
    status, code, message = error(post(http, f"/subjects/{subject}/versions", {
        "schema": json.dumps(broken)}))  # fmt: skip
    assert (status, code) == (409, 40901)
    prefix = (
        f'Schema being registered is incompatible with an earlier schema for subject "{subject}",'
        " details: ["
    )
    assert message.startswith(prefix)
    assert message.endswith(
        f"{{oldSchemaVersion: 1}}, {{oldSchema: '{RECORD_STRING}'}}, "
        "{validateFields: 'false', compatibility: 'BACKWARD'}]"
    )
    assert "/fields/3" in message


def test_compatibility_against_a_version_of_a_missing_subject(http: httpx.Client) -> None:
    path = f"/compatibility/subjects/{unique('parity-nobody')}/versions"
    assert error(post(http, f"{path}/1", {"schema": json.dumps(RECORD)})) == (
        404, 40402, "Version 1 not found.",
    )  # fmt: skip
    latest = post(http, f"{path}/latest", {"schema": json.dumps(RECORD)})
    assert (latest.status_code, latest.json()) == (200, {"is_compatible": True})


def test_a_subject_with_control_characters_is_invalid(http: httpx.Client) -> None:
    subject = unique("parity") + "\x07bell"
    response = post(http, f"/subjects/{subject.replace(chr(7), '%07')}/versions", {
        "schema": json.dumps(RECORD)})  # fmt: skip
    assert error(response) == (422, 42208, f"The specified subject '{subject}' is not a valid.")
    assert subject not in http.get("/subjects").json()


def test_a_subject_with_an_encoded_slash_works(http: httpx.Client) -> None:
    subject = unique("team") + "/orders-value"
    path = "/subjects/" + subject.replace("/", "%2F")
    schema_id = register(http, path.removeprefix("/subjects/"), RECORD)
    assert subject in http.get("/subjects").json()
    assert http.get(f"{path}/versions").json() == [1]
    got = http.get(f"{path}/versions/1").json()
    assert (got["subject"], got["id"]) == (subject, schema_id)
    assert post(http, path, {"schema": json.dumps(RECORD)}).json()["subject"] == subject
    assert subject in http.get(f"/schemas/ids/{schema_id}/subjects").json()
    assert http.delete(path).json() == [1]
    assert subject not in http.get("/subjects").json()


def test_an_id_that_is_not_a_number_is_not_found(http: httpx.Client) -> None:
    assert error(http.get("/schemas/ids/not-a-number")) == (404, 404, "HTTP 404 Not Found")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[1]", "Cannot deserialize value of type `RegisterSchemaRequest` from Array value "
                "(token `JsonToken.START_ARRAY`)"),
        ('"x"', "Cannot construct instance of `RegisterSchemaRequest` (although at least one "
                "Creator exists): no String-argument constructor/factory method to deserialize "
                "from String value ('x')"),
    ],
)  # fmt: skip
def test_a_body_that_is_not_an_object(http: httpx.Client, body: str, message: str) -> None:
    response = http.post(f"/subjects/{unique('parity-body')}/versions", content=body,
                         headers={"Content-Type": VND})  # fmt: skip
    assert error(response) == (400, 400, message)


def test_a_missing_or_empty_schema(http: httpx.Client) -> None:
    subject = unique("parity-empty")
    for body in ({}, {"schema": ""}, {"schema": "  "}):
        assert error(post(http, f"/subjects/{subject}/versions", body)) == (
            422, 42201, "Empty schema",
        )  # fmt: skip
    schema_id = register(http, subject, RECORD)
    # with a version to go on, Confluent registers the latest one again
    assert post(http, f"/subjects/{subject}/versions", {}).json() == {"id": schema_id}
    assert http.get(f"/subjects/{subject}/versions").json() == [1]


# ---------------------------------------------------------------- 4. pagination and filters


def record(name: str, *fields: str) -> dict[str, Any]:
    """A record whose fields are optional strings (each version compatible with the last)."""
    optional = [{"name": f, "type": ["null", "string"], "default": None} for f in fields]
    return {"type": "record", "name": name, "fields": optional}


def test_offset_and_limit(http: httpx.Client) -> None:
    prefix = unique("parity-page")
    names = [f"{prefix}-{c}" for c in "abc"]
    schema_id = register(http, names[0], record("Paged"))
    for name in names[1:]:
        register(http, name, record("Paged"))
    for n in range(1, 4):
        register(http, names[0], record("Paged", *[f"f{i}" for i in range(n)]))
    listed = f"/subjects?subjectPrefix={prefix}"
    assert http.get(f"{listed}&offset=1&limit=1").json() == names[1:2]
    assert http.get(f"{listed}&offset=1&limit=0").json() == names[1:]  # 0: no limit
    assert http.get(f"/subjects/{names[0]}/versions?offset=1&limit=2").json() == [2, 3]
    assert http.get(f"/subjects/{names[0]}/versions?offset=3").json() == [4]
    assert http.get(f"/schemas/ids/{schema_id}/subjects?offset=1&limit=1").json() == names[1:2]
    assert http.get(f"/schemas/ids/{schema_id}/versions?offset=2").json() == [
        {"subject": names[2], "version": 1}
    ]


def test_deleted_only_and_the_deleted_flag(http: httpx.Client) -> None:
    prefix = unique("parity-deleted")
    kept, gone = f"{prefix}-kept", f"{prefix}-gone"
    register(http, kept, record("Kept"))
    register(http, kept, record("Kept", "a"))
    register(http, gone, record("Gone"))
    assert http.delete(f"/subjects/{gone}").json() == [1]
    assert http.delete(f"/subjects/{kept}/versions/1").json() == 1
    listed = f"/subjects?subjectPrefix={prefix}"
    assert http.get(f"{listed}&deletedOnly=true").json() == [gone]
    assert http.get(f"{listed}&deleted=true").json() == [gone, kept]
    assert http.get(listed).json() == [kept]
    versions = f"/subjects/{kept}/versions"
    assert http.get(f"{versions}?deletedOnly=true").json() == [1]
    assert http.get(f"{versions}?deletedAsNegative=true").json() == [-1, 2]
    soft = http.get(f"{versions}/1?deleted=true").json()
    assert (soft["version"], soft["deleted"]) == (1, True)
    assert "deleted" not in http.get(f"{versions}/2?deleted=true").json()


# ---------------------------------------------------------------- 6. modes


def test_a_null_mode_or_a_delete_clears_the_subjects_mode(http: httpx.Client) -> None:
    subject = unique("parity-mode")
    put = http.put(f"/mode/{subject}", json={"mode": "READONLY"})
    assert put.json() == {"mode": "READONLY"}
    cleared = http.put(f"/mode/{subject}", json={"mode": None})
    assert (cleared.status_code, cleared.json()) == (200, {"mode": None})
    assert error(http.get(f"/mode/{subject}"))[:2] == (404, 40409)
    register(http, subject, record("Cleared"))  # writable again
    http.put(f"/mode/{subject}", json={"mode": "READONLY"})
    assert http.delete(f"/mode/{subject}").json() == {"mode": "READONLY"}
    assert error(http.get(f"/mode/{subject}"))[:2] == (404, 40409)
    assert error(http.delete(f"/mode/{subject}")) == (404, 40401, f"Subject '{subject}' not found.")


def test_import_mode_needs_an_id_and_takes_a_soft_deleted_version_back(
    http: httpx.Client,
) -> None:
    subject = unique("parity-import")
    assert http.put(f"/mode/{subject}", json={"mode": "IMPORT"}).json() == {"mode": "IMPORT"}
    schema = json.dumps(record("Imported" + uuid.uuid4().hex[:8]))
    refused = post(http, f"/subjects/{subject}/versions", {"schema": schema})
    assert error(refused) == (
        422, 42205, f"Subject {subject} in context  is not in read-write mode",
    )  # fmt: skip
    schema_id = 1_000_000 + uuid.uuid4().int % 1_000_000_000
    body = {"schema": schema, "id": schema_id, "version": 1}
    assert post(http, f"/subjects/{subject}/versions", body).json() == {"id": schema_id}
    assert http.delete(f"/subjects/{subject}/versions/1").json() == 1
    again = post(http, f"/subjects/{subject}/versions", body)
    assert (again.status_code, again.json()) == (200, {"id": schema_id})
    got = http.get(f"/subjects/{subject}/versions/1").json()
    assert (got["id"], got["version"], "deleted" in got) == (schema_id, 1, False)
    http.delete(f"/mode/{subject}")


# ---------------------------------------------------------------- 7. content negotiation


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        ("application/json", "application/json"),
        ("application/vnd.schemaregistry+json", "application/vnd.schemaregistry+json"),
        ("application/vnd.schemaregistry.v2+json; q=0.1, application/vnd.schemaregistry+json; "
         "q=0.9", "application/vnd.schemaregistry+json"),
        ("text/html, image/gif, */*; q=.2", VND),
        ("application/*", VND),
        ("*", VND),
    ],
)  # fmt: skip
def test_accept_chooses_the_response_type(http: httpx.Client, accept: str, media: str) -> None:
    response = http.get("/subjects", headers={"Accept": accept})
    assert (response.status_code, response.headers["content-type"]) == (200, media)
    missing = http.get("/schemas/ids/2147483000", headers={"Accept": accept})  # errors too
    assert (missing.status_code, missing.headers["content-type"]) == (404, media)


def test_an_unacceptable_accept_is_406(http: httpx.Client) -> None:
    for accept in ("application/vnd.schemaregistry.v2+json", "text/*", "application/xml"):
        response = http.get("/subjects", headers={"Accept": accept})
        assert error(response) == (406, 406, "HTTP 406 Not Acceptable")


def test_an_unsupported_content_type_is_415_and_the_supported_ones_work(
    http: httpx.Client,
) -> None:
    subject = unique("parity-type")
    body = json.dumps({"schema": json.dumps(record("Typed"))})
    refused = http.post(f"/subjects/{subject}/versions", content=body,
                        headers={"Content-Type": "text/html"})  # fmt: skip
    assert error(refused) == (415, 415, "HTTP 415 Unsupported Media Type")
    assert refused.headers["content-type"] == VND
    put = http.put("/config", content='{"compatibility": "NONE"}',
                   headers={"Content-Type": "text/plain"})  # fmt: skip
    assert error(put)[:2] == (415, 415)
    assert subject not in http.get("/subjects").json()
    for media in (VND, "application/vnd.schemaregistry+json", "application/json",
                  "application/octet-stream", "application/json; charset=utf-8"):  # fmt: skip
        ok = http.post(
            f"/subjects/{subject}/versions", content=body, headers={"Content-Type": media}
        )
        assert ok.status_code == 200, (media, ok.text)
    untyped = http.build_request("POST", f"/subjects/{subject}/versions", content=body)
    assert "content-type" not in untyped.headers
    assert http.send(untyped).status_code == 200  # no type: our own clients send JSON so


def test_the_cluster_id(http: httpx.Client) -> None:
    body = http.get("/v1/metadata/id").json()
    assert body == {"scope": {"path": [], "clusters": {
        "kafka-cluster": None, "schema-registry-cluster": "schema-registry"}}}  # fmt: skip
