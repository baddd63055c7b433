"""JSON that round-trips what events hold: datetimes, UUIDs, bytes and (branch, record) tuples."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime
from typing import Any


def _tag(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, uuid.UUID):
        return {"$uuid": str(value)}
    if isinstance(value, bytes):
        return {"$b64": base64.b64encode(value).decode()}
    if isinstance(value, tuple):
        return {"$tuple": [_tag(v) for v in value]}
    if isinstance(value, list):
        return [_tag(v) for v in value]
    if isinstance(value, dict):
        return {k: _tag(v) for k, v in value.items()}
    return value


def _untag(value: Any) -> Any:
    if isinstance(value, list):
        return [_untag(v) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((tag, inner),) = value.items()
        if tag == "$dt":
            return datetime.fromisoformat(inner)
        if tag == "$uuid":
            return uuid.UUID(inner)
        if tag == "$b64":
            return base64.b64decode(inner)
        if tag == "$tuple":
            return tuple(_untag(v) for v in inner)
    return {k: _untag(v) for k, v in value.items()}


def dumps(obj: Any) -> str:
    return json.dumps(_tag(obj), separators=(",", ":"))


def loads(text: str) -> Any:
    return _untag(json.loads(text))
