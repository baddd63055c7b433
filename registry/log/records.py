"""Records of the registry log (the compacted ``_schemas`` topic): one JSON value per fact.

Keys are unique per fact, except the primary's heartbeat: compaction may only ever drop old
heartbeats, never a claim or a write, so every instance replays the same decisions.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

HEARTBEAT_KEY = b"heartbeat"


@dataclass(frozen=True)
class Claim:
    """``instance`` (serving at ``url``) asks to be primary for ``epoch`` (the current + 1)."""

    epoch: int
    instance: str
    url: str


@dataclass(frozen=True)
class Heartbeat:
    """The primary of ``epoch`` is alive."""

    epoch: int
    instance: str


@dataclass(frozen=True)
class Register:
    """A subject version, and the schema itself when ``schema_id`` is new."""

    subject: str
    version: int
    schema_id: int
    schema_type: str
    text: str
    references: list[dict[str, Any]]


@dataclass(frozen=True)
class StateChange:
    subject: str
    versions: list[int]
    state: int


@dataclass(frozen=True)
class SettingChange:
    kind: str
    subject: str  # "" is the global setting
    value: str | None  # None removes it


Change = Register | StateChange | SettingChange
_CHANGES: dict[str, type[Register] | type[StateChange] | type[SettingChange]] = {
    "register": Register, "state": StateChange, "setting": SettingChange,
}  # fmt: skip


@dataclass(frozen=True)
class Write:
    """A change made by the primary of ``epoch``; it takes effect only if that still holds."""

    epoch: int
    instance: str
    write_id: str
    change: Change


Record = Claim | Heartbeat | Write


class RecordError(ValueError):
    """A log value that is not a registry record."""


def encode(record: Record) -> tuple[bytes, bytes]:
    """(key, value) of ``record``."""
    if isinstance(record, Claim):
        body: dict[str, Any] = {"type": "claim", **asdict(record)}
        return f"claim/{record.epoch}/{record.instance}".encode(), _dump(body)
    if isinstance(record, Heartbeat):
        return HEARTBEAT_KEY, _dump({"type": "heartbeat", **asdict(record)})
    kind = next(k for k, cls in _CHANGES.items() if isinstance(record.change, cls))
    body = {"type": "write", "epoch": record.epoch, "instance": record.instance,
            "write_id": record.write_id, "change": kind, "data": asdict(record.change)}  # fmt: skip
    return f"write/{record.write_id}".encode(), _dump(body)


def decode(value: bytes) -> Record:
    try:
        body = json.loads(value)
        kind = body.pop("type")
        if kind == "claim":
            return Claim(**body)
        if kind == "heartbeat":
            return Heartbeat(**body)
        if kind == "write":
            change = _CHANGES[body["change"]](**body["data"])
            return Write(body["epoch"], body["instance"], body["write_id"], change)
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise RecordError(f"not a registry log record: {e}") from e
    raise RecordError(f"unknown record type {kind!r}")


def _dump(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()
