"""Content negotiation as Confluent's (Jersey's) resources do it: the response type chosen from
``Accept`` among the three JSON types the registry produces (406 when none is acceptable), and
a request body only in the four types it consumes (415 otherwise; none given is fine)."""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from registry.api.error_map import MEDIA_TYPE

# what Confluent's resources produce, with their server-side quality (qs)
PRODUCED = ((MEDIA_TYPE, 1.0), ("application/vnd.schemaregistry+json", 0.9),
            ("application/json", 0.5))  # fmt: skip
CONSUMED = frozenset({MEDIA_TYPE, "application/vnd.schemaregistry+json", "application/json",
                      "application/octet-stream"})  # fmt: skip
_UNNEGOTIATED = ("/metrics",)  # Prometheus text, not part of Confluent's API


def _accepted(header: str) -> list[tuple[str, str, float]]:
    """(type, subtype, q) of each media range in an ``Accept`` header."""
    ranges = []
    for item in header.split(","):
        kind, *params = (p.strip() for p in item.split(";"))
        if not kind:
            continue
        main, _, sub = (kind if "/" in kind else "*/*").lower().partition("/")
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        ranges.append((main, sub if main != "*" else "*", q))
    return ranges


def _quality(produced: str, ranges: list[tuple[str, str, float]]) -> float:
    """The q of the most specific range that matches ``produced`` (0: none does)."""
    main, sub = produced.split("/")
    best, specificity = 0.0, -1
    for r_main, r_sub, q in ranges:
        if (r_main, r_sub) == (main, sub):
            rank = 2
        elif r_main == main and r_sub == "*":
            rank = 1
        elif r_main == "*":
            rank = 0
        else:
            continue
        if rank > specificity:
            best, specificity = q, rank
    return best


def negotiate(accept: str | None) -> str | None:
    """The response media type for ``accept`` (None: nothing acceptable, 406)."""
    if not accept or not accept.strip():
        return MEDIA_TYPE
    ranges = _accepted(accept)
    scored = [(_quality(media, ranges), qs, media) for media, qs in PRODUCED]
    q, _, media = max(scored)
    return media if q > 0 else None


def consumable(content_type: str | None) -> bool:
    if content_type is None or not content_type.strip():
        return True  # Jersey takes a body without a type as application/octet-stream
    return content_type.split(";")[0].strip().lower() in CONSUMED


class ContentNegotiation:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(_UNNEGOTIATED):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        chosen = negotiate(headers.get("accept"))
        if scope["method"] in ("POST", "PUT") and not consumable(headers.get("content-type")):
            await _refuse(send, 415, "HTTP 415 Unsupported Media Type", chosen or MEDIA_TYPE)
            return
        if chosen is None:
            await _refuse(send, 406, "HTTP 406 Not Acceptable", MEDIA_TYPE)
            return

        async def typed(message: Message) -> None:
            if message["type"] == "http.response.start" and chosen != MEDIA_TYPE:
                message = _retyped(message, chosen)
            await send(message)

        await self.app(scope, receive, typed)


def _retyped(message: MutableMapping[str, Any], media: str) -> Message:
    """The response's registry media type replaced by the negotiated one."""
    headers = [
        (k, media.encode() if k.lower() == b"content-type" and v.startswith(MEDIA_TYPE.encode())
         else v)
        for k, v in message.get("headers", [])
    ]  # fmt: skip
    return {**message, "headers": headers}


async def _refuse(send: Send, status: int, message: str, media: str) -> None:
    body = json.dumps({"error_code": status, "message": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", media.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
