"""Events that do not fit their schema are refused before anything is sent, naming the field."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from producers.errors import SchemaValidationError
from producers.registry_client import RegistryClient
from producers.serializer import AvroSerializer
from schemas.loader import load

GOOD = {"event_id": "e1", "event_time": 0, "user_id": "u1", "session_id": "s1", "page": "/",
        "referrer": None, "region": "eu", "device": "MOBILE"}  # fmt: skip


@pytest.fixture
def serializer() -> Iterator[AvroSerializer]:
    contract = load("clicks")  # body() needs no registry: nothing is called on it here
    with RegistryClient("http://127.0.0.1:9") as registry:
        yield AvroSerializer(registry, contract.subject, contract.schema_str)


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"user_id": 5}, r"user_id: expected string, got number 5$"),
        ({"device": "FRIDGE"}, r'device: expected one of DESKTOP, .* got string "FRIDGE"'),
        ({"page": None}, r"page: expected string, got null"),
        (
            {"event_time": "yesterday"},
            r"event_time: expected long \(timestamp-millis\), got string",
        ),
        ({"referrer": 7}, r"referrer: expected string, got number 7"),
        ({"extra": 1}, r"more fields than the schema specifies: extra"),
    ],
)
def test_refused_with_field_and_type(
    serializer: AvroSerializer, change: dict[str, object], needle: str
) -> None:
    with pytest.raises(SchemaValidationError, match=needle):
        serializer.body({**GOOD, **change})


def test_missing_field_without_default_is_refused(serializer: AvroSerializer) -> None:
    event = {k: v for k, v in GOOD.items() if k != "page"}
    with pytest.raises(SchemaValidationError, match="page"):
        serializer.body(event)


def test_missing_field_with_default_is_accepted(serializer: AvroSerializer) -> None:
    event = {k: v for k, v in GOOD.items() if k != "referrer"}
    assert serializer.body(event) == serializer.body(GOOD)
