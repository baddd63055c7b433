"""Followers forward writes to the primary and answer once their own replica has caught up."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Protocol

import httpx
from fastapi import Request, Response

from registry.api.error_map import error_response

log = logging.getLogger(__name__)

FORWARDED = "X-Tide-Forwarded"
LOG_OFFSET = "X-Tide-Log-Offset"
_REGISTER = re.compile(r"^/subjects/[^/]+/versions/?$")
_READ_YOUR_WRITE_S = 5.0


class Replica(Protocol):
    url: str

    def is_primary(self) -> bool: ...

    def primary_url(self) -> str | None: ...

    @property
    def applied_offset(self) -> int: ...

    def wait_applied(self, offset: int, timeout_s: float) -> bool: ...


def is_write(method: str, path: str) -> bool:
    """PUT and DELETE change state; of the POSTs only registering does (lookups and
    compatibility tests are reads)."""
    return method in ("PUT", "DELETE") or (method == "POST" and bool(_REGISTER.match(path)))


class Forwarding:
    def __init__(self, replica: Replica, timeout_s: float = 30.0) -> None:
        self._replica = replica
        self._client = httpx.AsyncClient(timeout=timeout_s)

    async def middleware(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if not is_write(request.method, request.url.path):
            return await call_next(request)
        if self._replica.is_primary():
            response = await call_next(request)
            response.headers[LOG_OFFSET] = str(self._replica.applied_offset)
            return response
        primary = self._replica.primary_url()
        if primary is None:
            return error_response(500, 50004, "no primary registry instance is known yet; retry")
        if request.headers.get(FORWARDED):
            return error_response(
                500, 50003, f"forwarded write reached a non-primary instance ({primary} leads)"
            )
        return await self._forward(request, primary)

    async def _forward(self, request: Request, primary: str) -> Response:
        headers = {k: v for k, v in request.headers.items()
                   if k.lower() in ("content-type", "authorization", "accept")}  # fmt: skip
        headers[FORWARDED] = self._replica.url
        target = f"{primary}{request.url.path}"
        if request.url.query:
            target += f"?{request.url.query}"
        try:
            answer = await self._client.request(
                request.method, target, content=await request.body(), headers=headers
            )
        except httpx.HTTPError as e:
            log.warning("forwarding failed", extra={"primary": primary, "error": str(e)})
            return error_response(
                500, 50003, f"Error while forwarding the request to the primary {primary}: {e}"
            )
        offset = answer.headers.get(LOG_OFFSET)
        if offset is not None and offset.lstrip("-").isdigit():
            await asyncio.to_thread(self._replica.wait_applied, int(offset), _READ_YOUR_WRITE_S)
        return Response(
            answer.content,
            answer.status_code,
            media_type=answer.headers.get("content-type"),
        )

    async def close(self) -> None:
        await self._client.aclose()
