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
