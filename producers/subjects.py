"""Subject naming strategies, as Confluent's serializers name them."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any


class SubjectStrategy(StrEnum):
    TOPIC_NAME = "TopicName"  # <topic>-value: one schema (and its evolutions) per topic
    RECORD_NAME = "RecordName"  # <record fullname>: one record type across topics
    TOPIC_RECORD_NAME = "TopicRecordName"  # <topic>-<record fullname>: several types per topic


def record_fullname(schema: dict[str, Any]) -> str:
    name = str(schema["name"])
    namespace = schema.get("namespace")
    return name if "." in name or not namespace else f"{namespace}.{name}"


def subject_for(strategy: SubjectStrategy, topic: str, schema: dict[str, Any]) -> str:
    """The value subject of ``schema`` published on ``topic`` under ``strategy``."""
    namers: dict[SubjectStrategy, Callable[[], str]] = {
        SubjectStrategy.TOPIC_NAME: lambda: f"{topic}-value",
        SubjectStrategy.RECORD_NAME: lambda: record_fullname(schema),
        SubjectStrategy.TOPIC_RECORD_NAME: lambda: f"{topic}-{record_fullname(schema)}",
    }
    return namers[strategy]()
