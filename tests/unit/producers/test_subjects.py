"""Subject names match Confluent's three strategies."""

from __future__ import annotations

import pytest

from producers.subjects import SubjectStrategy, subject_for
from schemas.loader import load


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [
        (SubjectStrategy.TOPIC_NAME, "orders-value"),
        (SubjectStrategy.RECORD_NAME, "tide.orders.OrderEvent"),
        (SubjectStrategy.TOPIC_RECORD_NAME, "orders-tide.orders.OrderEvent"),
    ],
)
def test_strategies(strategy: SubjectStrategy, expected: str) -> None:
    assert subject_for(strategy, "orders", load("orders").schema) == expected


def test_dotted_name_ignores_namespace() -> None:
    schema = {"type": "record", "name": "a.b.C", "namespace": "x.y", "fields": []}
    assert subject_for(SubjectStrategy.RECORD_NAME, "t", schema) == "a.b.C"
