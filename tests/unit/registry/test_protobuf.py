# ruff: noqa: F811  (the fixture `client` is imported, and tests take it by name)
"""Protobuf schemas (``schemaType: PROTOBUF``) over the HTTP edge, as Confluent's registry
answers them: canonical text, protoc's errors, imports through references, its rules."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from fastapi.testclient import TestClient
from google.protobuf import descriptor_pb2

# the fixture `client` comes from there (a registry on a SQLite file in tmp_path)
from tests.unit.registry.test_references_modes import call, client  # noqa: F401

ADDRESS = 'syntax = "proto3";\npackage acme;\nmessage Address { string city = 1; }\n'
CUSTOMER = (
    'syntax = "proto3"; package acme; import "acme/address.proto";\n'
    'option java_package = "com.acme";\nmessage Customer { string name = 1; Address home = 2;\n'
    "  map<string, int32>   counts = 3; repeated int64 visits = 4 [packed = true];\n"
    "  optional string nick = 5; oneof contact { string email = 6; string phone = 7; }\n"
    "  enum Tier { FREE = 0; GOLD = 1; } Tier tier = 8; }"
)
CUSTOMER_STRING = """syntax = "proto3";
package acme;

import "acme/address.proto";

option java_package = "com.acme";

message Customer {
  string name = 1;
  Address home = 2;
  map<string, int32> counts = 3;
  repeated int64 visits = 4 [packed = true];
  optional string nick = 5;
  Tier tier = 8;

  oneof contact {
    string email = 6;
    string phone = 7;
  }

  enum Tier {
    FREE = 0;
    GOLD = 1;
  }
}
"""
REFS = [{"name": "acme/address.proto", "subject": "address", "version": 1}]


def proto(text: str, refs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"schema": text, "schemaType": "PROTOBUF"} | ({"references": refs} if refs else {})


def register(client: TestClient, subject: str, body: dict[str, Any], query: str = "") -> Any:
    status, reply = call(client, "POST", f"/subjects/{subject}/versions{query}", body)
    assert status == 200, reply
    return reply["id"]


def test_protobuf_registers_with_imports_and_reads_back_in_confluents_form(
    client: TestClient,
) -> None:
    assert "PROTOBUF" in call(client, "GET", "/schemas/types")[1]
    register(client, "address", proto(ADDRESS))
    customer_id = register(client, "customer", proto(CUSTOMER, REFS))
    got = call(client, "GET", "/subjects/customer/versions/1")[1]
    assert (got["schemaType"], got["references"], got["schema"]) == (
        "PROTOBUF", REFS, CUSTOMER_STRING,
    )  # fmt: skip
    # its canonical text is the same schema: same id; lookup finds it
    assert register(client, "customer", proto(CUSTOMER_STRING, REFS)) == customer_id
    found = call(client, "POST", "/subjects/customer", proto(" " + CUSTOMER, REFS))[1]
    assert (found["id"], found["version"]) == (customer_id, 1)
    serialized = call(client, "GET", f"/schemas/ids/{customer_id}?format=serialized")[1]
    file = descriptor_pb2.FileDescriptorProto.FromString(base64.b64decode(serialized["schema"]))
    assert (file.package, file.dependency, file.message_type[0].name) == (
        "acme", ["acme/address.proto"], "Customer",
    )  # fmt: skip
    # the serialized form registers as the same message (Confluent's serializers send it)
    again = call(client, "POST", "/subjects/customer-b/versions", proto(serialized["schema"], REFS))
    assert again[0] == 200, again
    assert "Customer" in call(client, "GET", f"/schemas/ids/{again[1]['id']}")[1]["schema"]


@pytest.mark.parametrize(
    ("text", "refs", "words"),
    [
        ('syntax = "proto3";\nmessage X { int32 a = 1 }', None, 'line 2 column 25: Expected ";"'),
        ('syntax = "proto3";\nmessage X { strin a = 1; }', None, '"strin" is not defined'),
        ('syntax = "proto3";\nmessage X { int32 a = 1; int32 b = 1; }', None,
         "has already been used"),
        ('syntax = "proto3";\nimport "acme/address.proto";\nmessage X { acme.Address a = 1; }',
         None, 'Import "acme/address.proto" was not found'),
        (ADDRESS, [{"name": "../x.proto", "subject": "address", "version": 1}],
         "invalid Protobuf reference name"),
    ],
)  # fmt: skip
def test_invalid_protobuf_is_42201_with_protocs_words(
    client: TestClient, text: str, refs: list[dict[str, Any]] | None, words: str
) -> None:
    register(client, "address", proto(ADDRESS))
    status, reply = call(client, "POST", "/subjects/x/versions", proto(text, refs))
    assert (status, reply["error_code"]) == (422, 42201), reply
    assert reply["message"].startswith("Could not parse Protobuf") or "reference" in words
    assert words in reply["message"]
    assert call(client, "GET", "/subjects")[1] == ["address"]


V1 = """syntax = "proto2";
package shop;
message Order {
  required string id = 1;
  optional int32 qty = 2;
  optional string note = 3;
  optional string coupon = 4;
  message Line { optional string sku = 1; }
}
message Receipt { optional string id = 1; }
"""


def changed(old: str, new: str) -> str:
    assert old in V1
    return V1.replace(old, new)


@pytest.mark.parametrize(
    ("level", "new", "kind"),
    [
        ("BACKWARD", changed("optional int32 qty = 2;", "optional string qty = 2;"),
         "FIELD_SCALAR_KIND_CHANGED"),
        ("BACKWARD", changed("optional int32 qty = 2;", "optional Line qty = 2;"),
         "FIELD_KIND_CHANGED"),
        ("BACKWARD", changed("optional int32 qty = 2;", "repeated int32 qty = 2;"),
         "FIELD_NUMERIC_LABEL_CHANGED"),
        ("BACKWARD", changed("message Receipt { optional string id = 1; }", ""),
         "MESSAGE_REMOVED"),
        ("BACKWARD", changed("required string id = 1;", ""), "REQUIRED_FIELD_REMOVED"),
        ("FORWARD", changed("required string id = 1;", ""), "REQUIRED_FIELD_ADDED"),
        ("BACKWARD", changed("package shop;", "package store;"), "PACKAGE_CHANGED"),
        ("BACKWARD", changed("optional string note = 3;\n  optional string coupon = 4;",
                             "oneof extra { string note = 3; string coupon = 4; }"),
         "MULTIPLE_FIELDS_MOVED_TO_ONEOF"),
        ("FULL", changed("optional int32 qty = 2;", "optional int64 qty = 2;\n  "
                         "optional string gift = 9;"), None),
        ("FULL", changed("optional string note = 3;", "optional bytes note = 3;"), None),
        ("BACKWARD", changed("optional string coupon = 4;", "optional string voucher = 4;"), None),
        ("BACKWARD", changed("optional string coupon = 4;", "optional string coupon = 14;"), None),
    ],
)  # fmt: skip
def test_protobuf_compatibility_as_confluents_schema_diff(
    client: TestClient, level: str, new: str, kind: str | None
) -> None:
    call(client, "PUT", "/config/orders", {"compatibility": level})
    register(client, "orders", proto(V1))
    path = "/compatibility/subjects/orders/versions/latest?verbose=true"
    status, reply = call(client, "POST", path, proto(new))
    assert status == 200, reply
    assert reply["is_compatible"] is (kind is None), reply
    if kind is not None:
        assert any(f'errorType:"{kind}"' in m for m in reply["messages"]), reply
        refused = call(client, "POST", "/subjects/orders/versions", proto(new))
        assert (refused[0], refused[1]["error_code"]) == (409, 40901)


def test_protobuf_transitive_levels_check_every_version(client: TestClient) -> None:
    call(client, "PUT", "/config/t", {"compatibility": "BACKWARD_TRANSITIVE"})
    register(client, "t", proto(V1))
    v2 = changed("optional int32 qty = 2;", "")  # removing a field is allowed
    register(client, "t", proto(v2))
    v3 = changed("optional int32 qty = 2;", "optional string qty = 2;")  # re-added, new type
    assert call(client, "POST", "/subjects/t/versions", proto(v3))[0] == 409
    call(client, "PUT", "/config/t", {"compatibility": "BACKWARD"})
    assert call(client, "POST", "/subjects/t/versions", proto(v3))[0] == 200


def test_protobuf_normalize_ignores_declaration_order(client: TestClient) -> None:
    first = register(client, "n", proto(V1), "?normalize=true")
    shuffled = changed("required string id = 1;\n  optional int32 qty = 2;",
                       "optional int32 qty = 2;\n  required string id = 1;")  # fmt: skip
    assert register(client, "n", proto(shuffled), "?normalize=true") == first
    assert call(client, "GET", "/subjects/n/versions")[1] == [1]
