"""Field defaults are checked as Confluent's registry checks them: a default must be a value of
the field's type — for a union, of its first branch — else 42201, naming the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from registry.api.app import create_app
from registry.service import Registry
from registry.storage.sqlite import SqliteSchemaStore


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    return TestClient(create_app(Registry(SqliteSchemaStore(tmp_path / "r.sqlite"))))


def record(field_type: object, default: object) -> str:
    field = {"name": "a", "type": field_type, "default": default}
    return json.dumps({"type": "record", "name": "R", "fields": [field]})


@pytest.mark.parametrize(
    ("field_type", "default", "shown"),
    [
        (["null", "string"], "null", '"null" not a ["null","string"]'),  # the string, not null
        (["string", "null"], None, 'null not a ["string","null"]'),  # only the first branch
        ("int", "x", '"x" not a "int"'),
        ("int", 1.5, '1.5 not a "int"'),
        ("int", 2**31, f'{2**31} not a "int"'),
        ("boolean", 0, '0 not a "boolean"'),
        ({"type": "array", "items": "int"}, [1, "a"], '[1,"a"] not a {"type":"array"'),
        ({"type": "record", "name": "In", "fields": [{"name": "b", "type": "int"}]}, {},
         "{} not a {"),  # a record default without a value for a field that has no default
    ],
)  # fmt: skip
def test_a_default_that_is_no_value_of_its_type_is_refused(
    client: TestClient, field_type: object, default: object, shown: str
) -> None:
    answer = client.post("/subjects/d-value/versions", json={"schema": record(field_type, default)})
    assert answer.status_code == 422
    assert answer.json()["error_code"] == 42201
    assert f"Invalid default for field a: {shown}" in answer.json()["message"]


@pytest.mark.parametrize(
    ("field_type", "default"),
    [
        (["null", "string"], None),
        (["string", "null"], "x"),
        ("long", 2**40),
        ("double", 3),
        ({"type": "enum", "name": "E", "symbols": ["A", "B"]}, "B"),
        ({"type": "map", "values": "int"}, {"k": 1}),
        ({"type": "record", "name": "In", "fields": [{"name": "b", "type": "int", "default": 0}]},
         {}),  # the missing field takes its own default
    ],
)  # fmt: skip
def test_a_default_of_the_fields_type_is_accepted(
    client: TestClient, field_type: object, default: object
) -> None:
    answer = client.post("/subjects/d-value/versions", json={"schema": record(field_type, default)})
    assert answer.status_code == 200, answer.text
