"""The Avro contracts shipped in this package, one ``<topic>.avsc`` per topic."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from tide.errors import TideError


class UnknownContractError(TideError, KeyError):
    """No schema is shipped for the topic (a KeyError too, for callers that look it up)."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class Contract:
    """A topic's value schema as shipped, and the subject it registers under (TopicNameStrategy)."""

    topic: str
    schema_str: str

    @property
    def subject(self) -> str:
        return f"{self.topic}-value"

    @property
    def schema(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.schema_str)
        return parsed


def load_all() -> dict[str, Contract]:
    """Every contract of the package, by topic name, in name order."""
    root = resources.files("schemas")
    files = sorted((f for f in root.iterdir() if f.name.endswith(".avsc")), key=lambda f: f.name)
    return {
        f.name.removesuffix(".avsc"): Contract(f.name.removesuffix(".avsc"), f.read_text())
        for f in files
    }


def load(topic: str) -> Contract:
    """The contract of one topic; UnknownContractError names the topics that exist."""
    contracts = load_all()
    if topic not in contracts:
        raise UnknownContractError(f"no schema for topic {topic!r} (known: {', '.join(contracts)})")
    return contracts[topic]
