"""Subjects that contain ``/``: clients send it as ``%2F``, and Confluent takes it as part of
the subject. Starlette routes on the decoded path, where that ``/`` splits the segment.

The ASGI middleware re-derives the routed path from the raw one, decoding every escape but
``%2F`` and ``%25`` (so the segment stays one, and a literal ``%`` stays unambiguous); the
``subject`` path convertor then decodes those two in the parameter.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from starlette.convertors import Convertor, register_url_convertor
from starlette.types import ASGIApp, Receive, Scope, Send

_KEPT = re.compile(r"%2[fF5]")  # the escapes of "/" and "%"


class SubjectConvertor(Convertor[str]):
    regex = "[^/]+"

    def convert(self, value: str) -> str:
        return unquote(value)

    def to_string(self, value: str) -> str:
        return value.replace("%", "%25").replace("/", "%2F")


register_url_convertor("subject", SubjectConvertor())


def routed_path(raw: bytes) -> str:
    """The raw path decoded, except that ``%2F`` and ``%25`` stay escaped (upper case)."""
    text = raw.decode("latin-1")
    parts = _KEPT.split(text)
    kept = [m.upper() for m in _KEPT.findall(text)]
    out = [unquote(parts[0])]
    for escape, part in zip(kept, parts[1:], strict=True):
        out += [escape, unquote(part)]
    return "".join(out)


class EncodedSlashes:
    """Route ``/subjects/a%2Fb/versions`` to subject ``a/b`` (Confluent's reading)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw: Any = scope.get("raw_path") if scope["type"] == "http" else None
        if isinstance(raw, bytes) and b"%" in raw:
            scope = dict(scope, path=routed_path(raw.split(b"?", 1)[0]))
        await self.app(scope, receive, send)
