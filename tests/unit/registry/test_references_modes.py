"""References, modes (READONLY, IMPORT), normalize and schema listing over the HTTP edge."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from registry.api.app import create_app
from registry.service import Registry
from registry.storage.sqlite import SqliteSchemaStore

VND = "application/vnd.schemaregistry.v1+json"
ADDRESS = json.dumps(
    {"type": "record", "name": "Address", "namespace": "acme",
     "fields": [{"name": "city", "type": "string"}]}
)  # fmt: skip
CUSTOMER = json.dumps(
    {"type": "record", "name": "Customer", "namespace": "acme",
     "fields": [{"name": "name", "type": "string"}, {"name": "home", "type": "acme.Address"}]}
)  # fmt: skip
A = json.dumps({"type": "record", "name": "A", "fields": [{"name": "x", "type": "int"}]})
REF = [{"name": "acme.Address", "subject": "address", "version": 1}]


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    return TestClient(create_app(Registry(SqliteSchemaStore(tmp_path / "r.sqlite"))))


def call(client: TestClient, method: str, path: str, body: object = None) -> tuple[int, Any]:
    content = None if body is None else json.dumps(body)
    response = client.request(method, path, content=content, headers={"Content-Type": VND})
    return response.status_code, response.json()


def state(client: TestClient) -> Any:
    subjects = call(client, "GET", "/subjects?deleted=true")[1]
    return [(s, call(client, "GET", f"/subjects/{s}/versions?deleted=true")[1]) for s in subjects]


def test_references_register_read_and_protect(client: TestClient) -> None:
    address_id = call(client, "POST", "/subjects/address/versions", {"schema": ADDRESS})[1]["id"]
    status, body = call(
        client, "POST", "/subjects/customer/versions", {"schema": CUSTOMER, "references": REF}
    )
    assert status == 200
    customer_id = body["id"]
    assert customer_id != address_id
    got = call(client, "GET", "/subjects/customer/versions/1")[1]
    assert got["references"] == REF
    assert call(client, "GET", f"/schemas/ids/{customer_id}")[1]["references"] == REF
    assert call(client, "GET", "/subjects/address/versions/1/referencedby") == (200, [customer_id])
    found = call(client, "POST", "/subjects/customer", {"schema": CUSTOMER, "references": REF})
    assert found[1]["id"] == customer_id
    # the same text with the reference written as "latest" resolves to the same version
    latest = [{"name": "acme.Address", "subject": "address", "version": -1}]
    body = {"schema": CUSTOMER, "references": latest}
    again = call(client, "POST", "/subjects/customer/versions", body)
    assert again == (200, {"id": customer_id})

    before = state(client)
    for method, path in [
        ("DELETE", "/subjects/address/versions/1"),
        ("DELETE", "/subjects/address"),
    ]:
        status, body = call(client, method, path)
        assert (status, body["error_code"]) == (422, 42206), body
        assert "subject=address,version=1" in body["message"]
    assert state(client) == before

    # once the referrer is gone, the referenced version may go too
    assert call(client, "DELETE", "/subjects/customer")[0] == 200
    assert call(client, "GET", "/subjects/address/versions/1/referencedby") == (200, [])
    assert call(client, "DELETE", "/subjects/address/versions/1") == (200, 1)


def test_references_that_do_not_resolve_are_refused(client: TestClient) -> None:
    status, body = call(client, "POST", "/subjects/customer/versions", {"schema": CUSTOMER})
    assert (status, body["error_code"]) == (422, 42201)
    assert "acme.Address" in body["message"]
    status, body = call(
        client, "POST", "/subjects/customer/versions", {"schema": CUSTOMER, "references": REF}
    )
    assert (status, body["error_code"]) == (422, 42201)
    assert "subject 'address' version 1 not found" in body["message"]
    bad = [{"name": "acme.Address", "subject": "address"}]
    status, body = call(client, "POST", "/subjects/c/versions", {"schema": CUSTOMER,
                                                              "references": bad})  # fmt: skip
    assert (status, body["error_code"]) == (422, 42201)
    assert "references[0].version" in body["message"]
    assert state(client) == []


@pytest.mark.parametrize(
    ("schema_type", "message"),
    [
        (["AVRO"], "'schemaType' must be a string, got ['AVRO']"),
        ("XML", "unsupported schemaType 'XML'"),
    ],
)
def test_schema_type_must_name_a_supported_type(
    client: TestClient, schema_type: object, message: str
) -> None:
    body = {"schema": A, "schemaType": schema_type}
    status, reply = call(client, "POST", "/subjects/a/versions", body)
    assert (status, reply["error_code"]) == (422, 42201)
    assert message in reply["message"]
    assert state(client) == []


def test_references_are_refused_for_json_schema(client: TestClient) -> None:
    call(client, "POST", "/subjects/address/versions", {"schema": ADDRESS})
    before = state(client)
    body = {"schema": '{"type": "object"}', "schemaType": "JSON", "references": REF}
    status, reply = call(client, "POST", "/subjects/j/versions", body)
    assert (status, reply["error_code"]) == (422, 42201)
    assert "references are supported for AVRO and PROTOBUF schemas only" in reply["message"]
    assert state(client) == before


def test_read_only_mode_refuses_writes_and_keeps_reads(client: TestClient) -> None:
    assert call(client, "GET", "/mode") == (200, {"mode": "READWRITE"})
    call(client, "POST", "/subjects/a/versions", {"schema": A})
    status, body = call(client, "GET", "/mode/a")
    assert (status, body["error_code"]) == (404, 40409)
    assert call(client, "GET", "/mode/a?defaultToGlobal=true") == (200, {"mode": "READWRITE"})
    assert call(client, "PUT", "/mode/a", {"mode": "readonly"}) == (200, {"mode": "READONLY"})
    before = state(client)
    a2 = json.dumps({"type": "record", "name": "A", "fields": [
        {"name": "x", "type": "int"}, {"name": "y", "type": "int", "default": 0}]})  # fmt: skip
    for method, path, body in [
        ("POST", "/subjects/a/versions", {"schema": a2}),
        ("DELETE", "/subjects/a/versions/1", None),
        ("DELETE", "/subjects/a", None),
    ]:
        status, refused = call(client, method, path, body)
        assert (status, refused["error_code"]) == (422, 42205), (path, refused)
        assert "read-only" in refused["message"]
    assert state(client) == before
    assert call(client, "GET", "/subjects/a/versions/1")[0] == 200
    assert call(client, "POST", "/subjects/b/versions", {"schema": a2})[0] == 200  # others: fine
    assert call(client, "DELETE", "/mode/a") == (200, {"mode": "READONLY"})
    assert call(client, "POST", "/subjects/a/versions", {"schema": a2})[0] == 200
    status, body = call(client, "PUT", "/mode", {"mode": "SIDEWAYS"})
    assert (status, body["error_code"]) == (422, 42204)
    assert "SIDEWAYS" in body["message"]


def test_import_mode_keeps_given_ids_and_later_ids_follow(client: TestClient) -> None:
    status, body = call(client, "POST", "/subjects/a/versions", {"schema": A, "id": 7})
    assert (status, body["error_code"]) == (422, 42205)
    assert "import mode" in body["message"]
    call(client, "POST", "/subjects/a/versions", {"schema": A})
    status, body = call(client, "PUT", "/mode", {"mode": "IMPORT"})
    assert (status, body["error_code"]) == (422, 42205)  # not empty: ids could collide
    assert call(client, "PUT", "/mode?force=true", {"mode": "IMPORT"}) == (200, {"mode": "IMPORT"})

    b = json.dumps({"type": "record", "name": "B", "fields": [{"name": "s", "type": "string"}]})
    assert call(client, "POST", "/subjects/b/versions", {"schema": b, "id": 100, "version": 5}) == (
        200, {"id": 100},
    )  # fmt: skip
    got = call(client, "GET", "/subjects/b/versions/5")[1]
    assert (got["id"], got["version"]) == (100, 5)
    c = json.dumps({"type": "record", "name": "C", "fields": []})
    status, body = call(client, "POST", "/subjects/c/versions", {"schema": c, "id": 100})
    assert (status, body["error_code"]) == (422, 42207)  # id taken by another schema
    status, body = call(client, "POST", "/subjects/b/versions", {"schema": c, "id": 103,
                                                                 "version": 5})  # fmt: skip
    assert (status, body["error_code"]) == (422, 42207)  # version taken
    # IMPORT skips compatibility: an incompatible schema goes in
    b_int = json.dumps({"type": "record", "name": "B", "fields": [{"name": "s", "type": "int"}]})
    assert call(client, "POST", "/subjects/b/versions", {"schema": b_int, "id": 101})[0] == 200
    status, body = call(client, "POST", "/subjects/x/versions", {"schema": A, "id": 102})
    assert (status, body["error_code"]) == (422, 42207)  # A already has id 1

    assert call(client, "PUT", "/mode", {"mode": "READWRITE"})[0] == 200
    fresh = call(client, "POST", "/subjects/c/versions", {"schema": c})[1]["id"]
    assert fresh > 101
    assert call(client, "GET", "/schemas/ids/1?fetchMaxId=true")[1]["maxId"] == fresh


def test_normalize_folds_equivalent_spellings(client: TestClient) -> None:
    plain = {"type": "record", "name": "N", "namespace": "ns", "aliases": ["z", "b"],
             "fields": [{"name": "f", "type": {"type": "int"}}]}  # fmt: skip
    spelled = {"type": "record", "name": "ns.N", "aliases": ["b", "z"],
               "fields": [{"name": "f", "type": "int"}]}  # fmt: skip
    first = call(client, "POST", "/subjects/n/versions?normalize=true",
                 {"schema": json.dumps(plain)})[1]["id"]  # fmt: skip
    same = call(client, "POST", "/subjects/n/versions?normalize=true",
                {"schema": json.dumps(spelled)})[1]["id"]  # fmt: skip
    assert same == first
    found = call(client, "POST", "/subjects/n?normalize=true", {"schema": json.dumps(spelled)})
    assert (found[0], found[1]["version"]) == (200, 1)
    # without normalize too, as Confluent's lookup: the same schema (ParsedSchema.equivalent)
    found = call(client, "POST", "/subjects/n", {"schema": json.dumps(spelled)})
    assert (found[0], found[1]["id"]) == (200, first)
    # but another text is another schema where it is new: without normalize, a new id
    other = call(client, "POST", "/subjects/m/versions", {"schema": json.dumps(spelled)})[1]
    assert other["id"] != first


CUSTOMER_INLINED = json.dumps(
    {"type": "record", "name": "Customer", "namespace": "acme",
     "fields": [{"name": "name", "type": "string"},
                {"name": "home", "type": json.loads(ADDRESS)}]}
)  # fmt: skip


def test_lookup_finds_a_schema_registered_with_references_written_out(client: TestClient) -> None:
    call(client, "POST", "/subjects/address/versions", {"schema": ADDRESS})
    body = {"schema": CUSTOMER, "references": REF}
    customer_id = call(client, "POST", "/subjects/customer/versions", body)[1]["id"]
    status, found = call(client, "POST", "/subjects/customer", {"schema": CUSTOMER_INLINED})
    assert status == 200, found
    assert (found["id"], found["version"], found["references"]) == (customer_id, 1, REF)
    # registering it again written out is the same schema too (Confluent's canLookup)
    again = call(client, "POST", "/subjects/customer/versions", {"schema": CUSTOMER_INLINED})
    assert again == (200, {"id": customer_id})
    assert call(client, "GET", "/subjects/customer/versions")[1] == [1]


POINT = json.dumps({"type": "record", "name": "Point", "namespace": "acme",
                    "fields": [{"name": "x", "type": "int"}]})  # fmt: skip
SHAPE = json.dumps(
    {"type": "record", "name": "Shape", "namespace": "acme",
     "fields": [{"name": "at", "type": "acme.Point"}, {"name": "home", "type": "acme.Address"}]}
)  # fmt: skip


def test_normalize_ignores_the_order_of_references(client: TestClient) -> None:
    call(client, "POST", "/subjects/address/versions", {"schema": ADDRESS})
    call(client, "POST", "/subjects/point/versions", {"schema": POINT})
    point = {"name": "acme.Point", "subject": "point", "version": 1}
    first = call(client, "POST", "/subjects/shape/versions?normalize=true",
                 {"schema": SHAPE, "references": [point, *REF]})[1]["id"]  # fmt: skip
    for order in ([*REF, point], [point, *REF, point]):
        body = {"schema": SHAPE, "references": order}
        assert call(client, "POST", "/subjects/shape/versions?normalize=true", body) == (
            200, {"id": first},
        )  # fmt: skip
        found = call(client, "POST", "/subjects/shape?normalize=true", body)
        assert (found[0], found[1]["id"]) == (200, first)
    # stored as Confluent's normalize leaves them: by subject, then version
    assert call(client, "GET", f"/schemas/ids/{first}")[1]["references"] == [*REF, point]


def test_schema_by_id_with_a_subject_names_the_version(client: TestClient) -> None:
    a_id = call(client, "POST", "/subjects/a1/versions", {"schema": A})[1]["id"]
    call(client, "PUT", "/config/a2", {"compatibility": "NONE"})
    call(client, "POST", "/subjects/a2/versions", {"schema": ADDRESS})
    assert call(client, "POST", "/subjects/a2/versions", {"schema": A}) == (200, {"id": a_id})
    plain = call(client, "GET", f"/schemas/ids/{a_id}")[1]
    assert "subject" not in plain and "version" not in plain
    got = call(client, "GET", f"/schemas/ids/{a_id}?subject=a2")
    assert got == (200, {"subject": "a2", "version": 2, "schema": plain["schema"]})
    # a subject that does not use the id: Confluent answers with one that does
    other = call(client, "GET", f"/schemas/ids/{a_id}?subject=nobody")[1]
    assert (other["subject"], other["version"]) in (("a1", 1), ("a2", 2))
    call(client, "DELETE", "/subjects/a2/versions/2")
    soft = call(client, "GET", f"/schemas/ids/{a_id}?subject=a2")[1]
    assert (soft["subject"], soft["version"], soft["deleted"]) == ("a2", 2, True)


def test_schemas_listing(client: TestClient) -> None:
    a2 = json.dumps({"type": "record", "name": "A", "fields": [
        {"name": "x", "type": "int"}, {"name": "y", "type": "int", "default": 0}]})  # fmt: skip
    call(client, "POST", "/subjects/app-a/versions", {"schema": A})
    call(client, "POST", "/subjects/app-a/versions", {"schema": a2})
    call(client, "POST", "/subjects/other/versions", {"schema": A})
    every = call(client, "GET", "/schemas")[1]
    assert [(s["subject"], s["version"]) for s in every] == [("app-a", 1), ("app-a", 2),
                                                              ("other", 1)]  # fmt: skip
    latest = call(client, "GET", "/schemas?subjectPrefix=app&latestOnly=true")[1]
    assert [(s["subject"], s["version"], s["schema"]) for s in latest] == [
        ("app-a", 2, json.dumps(json.loads(a2), separators=(",", ":")))  # Avro's order
    ]
    assert call(client, "GET", "/subjects?subjectPrefix=oth")[1] == ["other"]
    assert len(call(client, "GET", "/schemas?offset=1&limit=1")[1]) == 1


def test_global_resets_and_reading_soft_deleted_versions(client: TestClient) -> None:
    assert call(client, "PUT", "/config", {"compatibility": "FULL"})[0] == 200
    assert call(client, "DELETE", "/config") == (200, {"compatibilityLevel": "FULL"})
    assert call(client, "GET", "/config") == (200, {"compatibilityLevel": "BACKWARD"})
    assert call(client, "PUT", "/mode", {"mode": "READONLY"})[0] == 200
    assert call(client, "DELETE", "/mode") == (200, {"mode": "READONLY"})
    assert call(client, "GET", "/mode") == (200, {"mode": "READWRITE"})

    call(client, "POST", "/subjects/a/versions", {"schema": A})
    assert call(client, "DELETE", "/subjects/a/versions/1") == (200, 1)
    status, body = call(client, "GET", "/subjects/a/versions/1")
    assert (status, body["error_code"]) == (404, 40401)  # no live version left
    status, body = call(client, "GET", "/subjects/a/versions/1?deleted=true")
    assert (status, body["version"]) == (200, 1)
    status, body = call(client, "POST", "/subjects/a", {"schema": A})
    assert (status, body["error_code"]) == (404, 40401)
    status, body = call(client, "POST", "/subjects/a?deleted=true", {"schema": A})
    assert (status, body["version"]) == (200, 1)


def test_references_in_object_form_resolve_over_several_levels(client: TestClient) -> None:
    """`{"type": "ns.Name"}` names a referenced type as Avro Java accepts it (it failed with
    "Undefined type"), through a reference that itself has one."""
    addr = {"type": "record", "name": "Addr", "namespace": "ns",
            "fields": [{"name": "city", "type": "string"}]}  # fmt: skip
    geo = {"type": "record", "name": "Geo", "namespace": "ns",
           "fields": [{"name": "at", "type": {"type": "ns.Addr"}}]}  # fmt: skip
    person = {"type": "record", "name": "P", "namespace": "ns", "fields": [
        {"name": "home", "type": {"type": "ns.Geo"}},
        {"name": "also", "type": ["null", {"type": "ns.Addr"}], "default": None},
        {"name": "past", "type": {"type": "array", "items": {"type": "ns.Addr"}}},
    ]}  # fmt: skip
    to_addr = [{"name": "ns.Addr", "subject": "addr", "version": 1}]
    assert call(client, "POST", "/subjects/addr/versions", {"schema": json.dumps(addr)})[0] == 200
    status, body = call(client, "POST", "/subjects/geo/versions",
                        {"schema": json.dumps(geo), "references": to_addr})  # fmt: skip
    assert status == 200, body
    both = [{"name": "ns.Geo", "subject": "geo", "version": 1}, *to_addr]
    status, body = call(client, "POST", "/subjects/person/versions",
                        {"schema": json.dumps(person), "references": both})  # fmt: skip
    assert status == 200, body
    found = call(client, "POST", "/subjects/person",
                 {"schema": json.dumps(person), "references": both})  # fmt: skip
    assert found[1]["id"] == body["id"]


def test_a_bare_primitive_finds_the_same_primitive_registered_with_attributes(
    client: TestClient,
) -> None:
    with_props = json.dumps({"type": "int", "connect.name": "count", "connect.version": 2})
    registered = call(client, "POST", "/subjects/p-value/versions", {"schema": with_props})[1]
    for bare in ('{"type":"int"}', '"int"'):
        status, found = call(client, "POST", "/subjects/p-value", {"schema": bare})
        assert status == 200, found
        assert (found["id"], found["version"]) == (registered["id"], 1)
    status, found = call(client, "POST", "/subjects/p-value", {"schema": '"long"'})
    assert (status, found["error_code"]) == (404, 40403)
    date = json.dumps({"type": "int", "logicalType": "date"})  # a logical type means more
    assert call(client, "POST", "/subjects/d-value/versions", {"schema": date})[0] == 200
    status, found = call(client, "POST", "/subjects/d-value", {"schema": '{"type":"int"}'})
    assert (status, found["error_code"]) == (404, 40403)
